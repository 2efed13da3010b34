"""An example file as a notebook cell: `asyncio.run(X)` at module level becomes `await X`.

Jupyter's kernel already runs an event loop, so a cell awaits at top level instead. The call is
found with `ast` and only it is rewritten, so comments and layout stay. An example that needs a
loop of its own (`run_until_complete`, `asyncio.Runner`, `asyncio.run(..., debug=True)`) is not
rewritten: the notebook explains why and how to run its file instead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class CellCode:
    """What a notebook shows for one example: runnable `code`, or the `reason` it cannot run."""

    code: str
    reason: str | None = None  # a TEXT key ("reason_own_loop", ...) when it cannot run in a loop
    details: tuple[str, ...] = ()  # what in the code calls for that reason, e.g. run_until_complete

    @property
    def runnable(self) -> bool:
        return self.reason is None


# Calls that make or configure the loop a script runs on; in a notebook that is Jupyter's loop.
_OWN_LOOP_CALLS = (
    "run_until_complete",
    "run_forever",
    "new_event_loop",
    "set_event_loop",
    "set_event_loop_policy",
)
_REASONS = ("reason_runner", "reason_own_loop", "reason_run_args", "reason_nested_run")
# Expressions that can follow `await` without parentheses (primaries and displays).
_PRIMARY = (
    ast.Name,
    ast.Attribute,
    ast.Call,
    ast.Subscript,
    ast.Constant,
    ast.List,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.JoinedStr,
)


class _Finder(ast.NodeVisitor):
    """Find module-level `asyncio.run(X)` calls, and anything that needs a loop of its own."""

    def __init__(self) -> None:
        self.asyncio_names: set[str] = set()  # names bound to the asyncio module
        self.run_names: set[str] = set()  # names bound to asyncio.run
        self.depth = 0  # > 0 inside a function, lambda or class body
        self.parents: dict[ast.AST, ast.AST] = {}
        self.calls: list[ast.Call] = []  # module-level asyncio.run(X) to rewrite
        self.blockers: dict[str, list[str]] = {}  # reason -> details, in source order

    def block(self, reason: str, detail: str = "") -> None:
        details = self.blockers.setdefault(reason, [])
        if detail and detail not in details:
            details.append(detail)

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.parents[child] = node
        scoped = isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
        )
        self.depth += scoped
        super().generic_visit(node)
        self.depth -= scoped

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "asyncio":
                self.asyncio_names.add(alias.asname or "asyncio")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "asyncio" and node.level == 0:
            for alias in node.names:
                name = alias.asname or alias.name
                if alias.name == "run":
                    self.run_names.add(name)
                elif alias.name == "Runner":
                    self.block("reason_runner")
                elif alias.name in _OWN_LOOP_CALLS:
                    self.block("reason_own_loop", alias.name)
        self.generic_visit(node)

    def _is_asyncio_attr(self, node: ast.AST, attr: str) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == attr
            and isinstance(node.value, ast.Name)
            and node.value.id in self.asyncio_names
        )

    def _is_run(self, node: ast.AST) -> bool:
        return self._is_asyncio_attr(node, "run") or (
            isinstance(node, ast.Name) and node.id in self.run_names
        )

    def visit_Attribute(self, node: ast.Attribute) -> None:
        on_any_loop = node.attr in ("run_until_complete", "run_forever")
        if on_any_loop or (node.attr in _OWN_LOOP_CALLS and self._is_asyncio_attr(node, node.attr)):
            self.block("reason_own_loop", node.attr)
        elif self._is_asyncio_attr(node, "Runner"):
            self.block("reason_runner")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if self._is_run(node.func):
            if self.depth:
                self.block("reason_nested_run")
            elif len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                extra = [ast.unparse(a) for a in node.args[1:]]
                extra += [ast.unparse(k) for k in node.keywords]
                self.block("reason_run_args", ", ".join(extra) or ast.unparse(node))
            else:
                self.calls.append(node)
            # Visit the argument, not the `asyncio.run` reference itself.
            self.parents[node.func] = node
            for child in (*node.args, *node.keywords):
                self.parents[child] = node
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        # `asyncio.run` used other than by calling it (runner = asyncio.run): no safe rewrite.
        if node.id in self.run_names and not isinstance(self.parents.get(node), ast.Call):
            self.block("reason_nested_run")

    def check_bare_run_references(self, tree: ast.AST) -> None:
        called = {id(c.func) for c in self.calls}
        for node in ast.walk(tree):
            if self._is_asyncio_attr(node, "run") and id(node) not in called:
                parent = self.parents.get(node)
                if not (isinstance(parent, ast.Call) and parent.func is node):
                    self.block("reason_nested_run")


def notebook_code(source: str) -> CellCode:
    """The cell source for one example: `asyncio.run(X)` at module level becomes `await X`.

    Only the call is rewritten (by its `ast` position), so comments and layout are kept. Returns a
    CellCode with `reason` set when the example needs an event loop of its own.
    """
    tree = ast.parse(source)
    finder = _Finder()
    finder.visit(tree)
    finder.check_bare_run_references(tree)
    for reason in _REASONS:  # the most specific reason first
        if reason in finder.blockers:
            return CellCode(source, reason, tuple(finder.blockers[reason]))
    data = source.encode("utf-8")  # ast column offsets count UTF-8 bytes
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        return starts[lineno - 1] + col

    def segment(node: ast.AST) -> str:
        begin = offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return data[begin:end].decode("utf-8")

    edits = []
    for call in finder.calls:
        arg = call.args[0]
        operand = segment(arg) if isinstance(arg, _PRIMARY) else f"({segment(arg)})"
        text = f"await {operand}"
        parent = finder.parents.get(call)
        if (isinstance(parent, ast.Attribute | ast.Subscript) and parent.value is call) or (
            isinstance(parent, ast.Call) and parent.func is call
        ):
            text = f"({text})"
        begin = offset(call.lineno, call.col_offset)
        end = offset(call.end_lineno, call.end_col_offset)  # type: ignore[arg-type]
        edits.append((begin, end, text.encode("utf-8")))
    for begin, end, text in sorted(edits, reverse=True):
        data = data[:begin] + text + data[end:]
    code = data.decode("utf-8")
    compile(code, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)  # still valid?
    return CellCode(code)
