"""Every chapter as a Jupyter notebook, in each language, built from the same example files.

For chapter `chNN` and language `LANG` this writes `OUT/LANG/chNN/notebook.ipynb` (the MkDocs hook
serves it at `chNN/notebook/`, the same path in both languages):

* a title cell: the H1 and first paragraph of the chapter's `index.md`, with a link back to it;
* a cell holding `examples/chNN/util.py` (the helpers), which also registers it as the module
  `util`, so the examples' `from util import ...` work unchanged;
* the chapter's pages in reading order (`chapter_pages`: index.md, then the pages of the chapter
  that index.md links to, in the order of its contents list). For each section (its heading and
  first paragraph, taken from the page itself, so nothing is written twice) a markdown cell with
  a link to that section on its page, followed by one code cell per example the section includes
  (`--8<-- "examples/..."`), in page order. A section page's H1 becomes a level-2 heading (with
  the page's intro and the examples before its first H2), its H2s level 3, and so on. Examples
  no page includes come last, under a heading of their own.

`asyncio.run(X)` at module level becomes `await X` (Jupyter's loop is already running), found with
`ast`; the `#>` comments are dropped and become the cell's stored output instead, so the notebook
reads well before anyone runs it. An example that cannot run inside a running loop (its own loop,
`asyncio.Runner`, `asyncio.run(..., debug=True)`) gets a markdown cell saying why and how to run
its file.

Output is deterministic: fixed cell ids, sorted keys, no timestamps, no version metadata.
Also here: `slim_notebook_html`, which the MkDocs hook applies to the HTML mkdocs-jupyter renders.
Only the standard library and nbformat; nothing from MkDocs.
Usage: python -m asyncio_notes.sitebuild.notebooks [--out DIR]
(writes both languages; the build does this itself)
"""

from __future__ import annotations

import argparse
import ast
import html
import os
import posixpath
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from asyncio_notes.paths import EXAMPLES_DIR, GENERATED_DIR, REPO
from asyncio_notes.sitebuild import markdown_source as md
from asyncio_notes.sitebuild.catalog import (
    HELPER_MODULES,
    chapter_dirs,
    example_files,
    expected_output,
    relative,
)

NOTEBOOK_NAME = "notebook.ipynb"  # chNN/notebook.ipynb -> page chNN/notebook/ in both languages
LANGS = ("zh", "en")
DOCS_DIR = REPO / "docs"
OUT_DIR = GENERATED_DIR / "notebooks"
METADATA_KEY = "asyncio_notes"  # cell metadata: which example file a cell comes from

# ---------------------------------------------------------------------------------------------
# Text in each language. Everything else in a notebook comes from the chapter's pages or the files.

TEXT = {
    "zh": {
        "title": "{title} · Notebook",
        "about": (
            "这个 Notebook 由[本章的网页]({page})和 `{examples}` 中的示例文件自动生成，"
            "请不要手工修改。每个代码单元格就是一个示例文件；Jupyter 里事件循环已经在运行，"
            "所以文件末尾的 `asyncio.run(main())` 在这里写成了 `await main()`。"
            "单元格下方的输出来自经过检查的那次运行：示例在虚拟时钟下运行，所以打印出的耗时是精确值；"
            "在你自己的机器上运行时，睡眠会真实地花费时间，耗时也会略长一点。"
        ),
        "helpers": (
            "示例用到的辅助函数在 `{path}` 中。请先运行下面这个单元格：它定义这些函数，"
            "并把它们注册为模块 `util`，这样示例里的 `from util import ...` 就能照常工作。"
        ),
        "helpers_comment": (
            "# 示例文件用 `from util import ...` 导入这些辅助函数；\n"
            "# 把它们注册为模块 util，这些导入在 Notebook 里也能照常工作。"
        ),
        "section_link": "[在网页上阅读这一节 →]({url})",
        "cannot_run": (
            "**`{path}` 不能在 Notebook 里运行。** {reason}"
            "请在仓库根目录下用终端运行这个文件：\n\n"
            "```console\n$ python {path}\n```\n\n"
            "```python\n{code}\n```\n\n"
            "经过检查的输出：\n\n```text\n{output}\n```"
        ),
        "reason_own_loop": (
            "它自己创建并驱动事件循环（{details}），"
            "而 Jupyter 内核已经在这个线程里运行着一个事件循环，"
            "在正在运行的循环里无法再启动另一个循环。"
        ),
        "reason_runner": (
            "它用 `asyncio.Runner` 自己管理事件循环，"
            "而 Jupyter 内核已经在这个线程里运行着一个事件循环，"
            "`Runner` 在这种情况下会拒绝启动。"
        ),
        "reason_run_args": (
            "它调用 `asyncio.run` 时带了参数 {details}，"
            "这些参数设置的是 `asyncio.run` 新建的事件循环；"
            "在 Notebook 里代码运行在 Jupyter 内核的循环上，无法原样表达"
            "（调试模式的报告也只会写到内核的日志里，而不是单元格下方）。"
        ),
        "reason_nested_run": (
            "它在函数内部调用 `asyncio.run`，"
            "而当前线程已经有事件循环在运行时，`asyncio.run` 会报错。"
        ),
        "unplaced": "本章页面没有展示的示例",
        "and": "、",
    },
    "en": {
        "title": "{title} · notebook",
        "about": (
            "This notebook is generated from the [chapter's pages]({page}) and the example files "
            "in `{examples}`; do not edit it by hand. Each code cell is one example file. "
            "Jupyter already runs an event loop, so the `asyncio.run(main())` at the end of a "
            "file is written `await main()` here. The output under each cell comes from the "
            "checked run: the examples ran under a virtual clock, so the printed durations are "
            "exact; on your own machine the sleeps take real time and the durations come out "
            "slightly longer."
        ),
        "helpers": (
            "The helpers the examples use live in `{path}`. Run the next cell first: it defines "
            "them and registers them as the module `util`, so the examples' "
            "`from util import ...` work unchanged."
        ),
        "helpers_comment": (
            "# The example files import these helpers with `from util import ...`;\n"
            "# registering them as the module util makes those imports work in the notebook too."
        ),
        "section_link": "[Read this section on the site →]({url})",
        "cannot_run": (
            "**`{path}` cannot run in a notebook.** {reason} "
            "Run the file in a terminal from the repository root instead:\n\n"
            "```console\n$ python {path}\n```\n\n"
            "```python\n{code}\n```\n\n"
            "Checked output:\n\n```text\n{output}\n```"
        ),
        "reason_own_loop": (
            "It creates and drives its own event loop ({details}), and the Jupyter kernel "
            "already runs an event loop in this thread: a second loop cannot start inside a "
            "running one."
        ),
        "reason_runner": (
            "It manages its own event loop with `asyncio.Runner`, and the Jupyter kernel "
            "already runs an event loop in this thread, so the `Runner` refuses to start."
        ),
        "reason_run_args": (
            "It calls `asyncio.run` with {details}, which configures the new event loop that "
            "`asyncio.run` creates; in a notebook the code runs on the Jupyter kernel's loop, "
            "so this cannot be expressed as it is (debug mode's reports would also go to the "
            "kernel's log, not under the cell)."
        ),
        "reason_nested_run": (
            "It calls `asyncio.run` inside a function, and `asyncio.run` raises an error when "
            "an event loop is already running in the thread."
        ),
        "unplaced": "Examples not shown on the chapter's pages",
        "and": ", ",
    },
}


class NotebookError(RuntimeError):
    """A chapter page or example could not be turned into a notebook."""


# ---------------------------------------------------------------------------------------------
# asyncio.run(X) -> await X


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


def strip_output_comments(example: Path, source: str | None = None) -> str:
    """The example's source without its `#>` output lines and without trailing blank lines."""
    source = example.read_text(encoding="utf-8") if source is None else source
    drop = {e.lineno for e in expected_output(example)}
    lines = [line for n, line in enumerate(source.splitlines(), start=1) if n not in drop]
    return "\n".join(lines).rstrip() + "\n"


def transcript(example: Path) -> str:
    """What the checked run printed: the `#>` lines, one per printed line."""
    lines = [e.text for e in expected_output(example)]
    return "".join(f"{line}\n" for line in lines)


# ---------------------------------------------------------------------------------------------
# A chapter page: title, sections (heading, first paragraph, examples in page order)

_LISTS = ("bullet_list", "ordered_list")
_PROSE = ("paragraph", "blockquote", *_LISTS)
# Paragraphs to markdown-it that are extension syntax, not prose: a snippet include, an attribute
# list, an abbreviation or footnote definition, a fenced div, display maths.
_NOT_PROSE = ("--8<--", "{", "*[", "[^", ":::", "$$")


@dataclass
class Section:
    level: int
    title: str
    id: str | None
    paragraph: str = ""
    examples: list[str] = field(default_factory=list)  # repository-relative paths


@dataclass
class ChapterPage:
    title: str
    id: str | None
    intro: str
    sections: list[Section]
    intro_examples: list[str] = field(default_factory=list)  # included before the first H2

    @property
    def examples(self) -> list[str]:
        return self.intro_examples + [e for s in self.sections for e in s.examples]


def _examples_in(block: md.TopBlock, lines: dict[int, md.Line]) -> list[str]:
    """The whole example files (not sections, not helpers) a block includes, in order."""
    found = []
    for number in range(block.first, block.last + 1):
        for target in md.expand(md.snippet(lines[number]) or ""):
            whole = target.startswith("examples/") and ":" not in target  # not a section
            if whole and posixpath.basename(target) not in HELPER_MODULES:
                found.append(target)
    return found


def parse_page(text: str) -> ChapterPage:
    """Headings, the first paragraph after each, and the example includes, in page order.

    The H1 and the paragraph under it are the page's title and intro; examples included before
    the first H2 are its `intro_examples` (a section page shows them under its title). The first
    prose block after a heading is its paragraph; when it ends with a colon, the list it
    introduces comes with it.
    """
    title, title_id, intro = "", None, ""
    intro_examples: list[str] = []
    sections: list[Section] = []
    current: Section | None = None  # None: before the first H2 (the H1's introduction)
    taken = False  # the current heading's paragraph is found
    lines = {line.number: line for line in md.lines(text)}
    for block in md.top_blocks(text):
        (intro_examples if current is None else current.examples).extend(_examples_in(block, lines))
        if block.heading:
            if block.heading.level == 1 and not title:
                title, title_id = block.heading.title, block.heading.id
            else:
                current = Section(block.heading.level, block.heading.title, block.heading.id)
                sections.append(current)
            taken = False
            continue
        paragraph = intro if current is None else current.paragraph
        if not taken and block.kind in _PROSE and not block.source.startswith(_NOT_PROSE):
            paragraph, taken = block.source, True
        elif taken and paragraph.endswith((":", "：")) and block.kind in _LISTS:
            paragraph = f"{paragraph}\n\n{block.source}"
        else:
            continue
        if current is None:
            intro = paragraph
        else:
            current.paragraph = paragraph
    if not title:
        raise NotebookError("the page has no '# title' heading")
    return ChapterPage(title, title_id, intro, sections, intro_examples)


def _notebook_url(page_src: str) -> str:
    """Directory URL of a chapter's notebook page: ch02/index.md -> ch02/notebook/."""
    return posixpath.join(posixpath.dirname(page_src), NOTEBOOK_NAME.removesuffix(".ipynb")) + "/"


def _page_url(src: str) -> str:
    """The directory URL MkDocs gives a Markdown file (use_directory_urls): a/index.md -> a/."""
    stem = src.removesuffix(".md")
    if posixpath.basename(stem) in ("index", "README"):
        stem = posixpath.dirname(stem)
    return f"{stem}/" if stem else ""


_LINK = re.compile(r"(?P<prefix>\]\()(?P<target>[^)\s]+)(?P<suffix>(?:\s+\"[^\"]*\")?\))")


def rewrite_links(markdown: str, page_src: str) -> str:
    """Make the page's relative links work from the notebook page (chNN/notebook/)."""
    here = _notebook_url(page_src)
    page_url = _page_url(page_src)

    def fix(match: re.Match[str]) -> str:
        target = match.group("target")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
            return match.group(0)  # absolute URL or site-absolute path
        path, _, anchor = target.partition("#")
        if path:
            src = posixpath.normpath(posixpath.join(posixpath.dirname(page_src), path))
            url = _page_url(src) if src.endswith(".md") else src
        else:
            url = page_url
        rel = posixpath.relpath(url or ".", here.rstrip("/") or ".")
        rel = "./" if rel == "." else rel + ("/" if url.endswith("/") else "")
        return (
            f"{match.group('prefix')}{rel}{'#' + anchor if anchor else ''}{match.group('suffix')}"
        )

    return _LINK.sub(fix, markdown)


# ---------------------------------------------------------------------------------------------
# A chapter's pages, in reading order


def chapter_pages(docs_dir: Path, chapter: str) -> list[str]:
    """The chapter's pages in reading order, as page_src: ['ch02/index.md', 'ch02/tasks.md', ...].

    index.md comes first, then the Markdown pages of the same directory that index.md links to
    (`[...](coroutines.md)` or `[...](coroutines.md#x)`), in the order of their first link. A
    chapter that is a single page is just ['chNN/index.md']. Every other `.md` file in the
    chapter's directory must be linked from index.md, or the notebook would silently leave out
    its examples: that, and a link to a page that does not exist, is a NotebookError.
    """
    directory = docs_dir / chapter
    index = directory / "index.md"
    linked: list[str] = []
    for link in md.links(index.read_text(encoding="utf-8")):
        target = link.href
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
            continue  # absolute URL or site-absolute path
        path = target.partition("#")[0]
        if not path.endswith(".md"):
            continue
        src = posixpath.normpath(posixpath.join(chapter, path))
        if posixpath.dirname(src) != chapter or src == f"{chapter}/index.md":
            continue  # another chapter's page, or the index itself
        if src not in linked:
            linked.append(src)
    missing = [src for src in linked if not (docs_dir / src).is_file()]
    if missing:
        names = ", ".join(relative(docs_dir / src) for src in missing)
        raise NotebookError(
            f"{relative(index)} links to {names}, which "
            f"{'does' if len(missing) == 1 else 'do'} not exist: fix the link or add the page"
        )
    unlinked = sorted(
        f"{chapter}/{path.name}"
        for path in directory.glob("*.md")
        if path.name != "index.md" and f"{chapter}/{path.name}" not in linked
    )
    if unlinked:
        files = ", ".join(relative(docs_dir / src) for src in unlinked)
        raise NotebookError(
            f"{files} {'is' if len(unlinked) == 1 else 'are'} not linked from {relative(index)}, "
            "so the chapter's notebook would leave out its examples: add "
            f"{'it' if len(unlinked) == 1 else 'them'} to the chapter's contents list in "
            "index.md (a link like [Title](page.md), in reading order)"
        )
    return [f"{chapter}/index.md", *linked]


# ---------------------------------------------------------------------------------------------
# Building the notebook


def _helpers_cell_source(helper: Path, lang: str) -> str:
    """util.py without the snippet markers, then a few lines registering it as module `util`."""
    source = helper.read_text(encoding="utf-8")
    lines = [ln for ln in source.splitlines() if not re.match(r"^\s*#\s*-{1,}8<-{1,}", ln)]
    body = re.sub(r"\n{3,}", "\n\n\n", "\n".join(lines)).rstrip()
    tree = ast.parse(source)
    names = sorted(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and not node.name.startswith("_")
    )
    module = helper.stem
    register = [
        "",
        "",
        TEXT[lang]["helpers_comment"],
        "import sys",
        "import types",
        "",
        f'{module} = types.ModuleType("{module}")',
        *(f"{module}.{name} = {name}" for name in names),
        f'sys.modules["{module}"] = {module}',
    ]
    return body + "\n" + "\n".join(register)


def _cell_id(prefix: str, name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{prefix}{name}")[:64]


def build_notebook(
    chapter: str, lang: str, pages: Sequence[tuple[str, str]]
) -> nbformat.NotebookNode:
    """The notebook of one chapter in one language.

    pages: (page_src, Markdown) of the chapter's pages in reading order, its index.md first, e.g.
    [('ch02/index.md', ...), ('ch02/coroutines.md', ...)] (see `chapter_pages`).
    """
    text = TEXT[lang]
    if not pages:
        raise NotebookError(f"{chapter}: no pages to build the notebook from")
    parsed: list[tuple[str, ChapterPage]] = []
    for page_src, page_text in pages:
        try:
            parsed.append((page_src, parse_page(page_text)))
        except NotebookError as exc:
            raise NotebookError(f"docs/{lang}/{page_src}: {exc}") from None
    (index_src, index), *section_pages = parsed
    if index.intro_examples:
        raise NotebookError(
            f"docs/{lang}/{index_src}: {index.intro_examples[0]} is included before the first "
            "section heading"
        )
    chapter_dir = EXAMPLES_DIR / chapter
    here = _notebook_url(index_src)

    def link(page_src: str, anchor: str | None = None) -> str:
        """The URL of a page (or a section on it), relative to the notebook page."""
        url = posixpath.relpath(_page_url(page_src) or ".", here.rstrip("/")) + "/"
        return url + (f"#{anchor}" if anchor else "")

    known = {relative(p) for p in example_files(chapter)}
    for page_src, page in parsed:
        unknown = [e for e in page.examples if e not in known]
        if unknown:
            raise NotebookError(f"docs/{lang}/{page_src} includes missing examples: {unknown}")
    placed = {e for _, page in parsed for e in page.examples}
    unplaced = sorted(known - placed)

    cells = []
    ids: set[str] = set()

    def add(cell: nbformat.NotebookNode, cell_id: str, page_src: str) -> None:
        if cell_id in ids:
            raise NotebookError(f"docs/{lang}/{page_src}: two notebook cells would be '{cell_id}'")
        ids.add(cell_id)
        cell.id = cell_id
        cells.append(cell)

    intro = [f"# {text['title'].format(title=index.title)}"]
    if index.intro:
        intro.append(rewrite_links(index.intro, index_src))
    intro.append(text["about"].format(page=link(index_src), examples=f"examples/{chapter}/"))
    add(new_markdown_cell("\n\n".join(intro)), index.id or "title", index_src)

    helpers = sorted(chapter_dir / name for name in HELPER_MODULES if (chapter_dir / name).exists())
    for helper in helpers:
        add(
            new_markdown_cell(text["helpers"].format(path=relative(helper))),
            _cell_id("about-", helper.stem),
            index_src,
        )
        add(
            new_code_cell(_helpers_cell_source(helper, lang)),
            _cell_id("helpers-", helper.stem),
            index_src,
        )

    # (page it comes from, section at its notebook heading level, link to it or None)
    sections: list[tuple[str, Section, str | None]] = [
        (index_src, section, link(index_src, section.id)) for section in index.sections
    ]
    for page_src, page in section_pages:
        # The page's H1 (with its intro and the examples before its first H2) is a section of
        # the chapter; its own sections go one level deeper.
        top = Section(2, page.title, page.id, page.intro, page.intro_examples)
        sections.append((page_src, top, link(page_src)))
        for section in page.sections:
            deeper = Section(
                min(section.level + 1, 6),
                section.title,
                section.id,
                section.paragraph,
                section.examples,
            )
            sections.append((page_src, deeper, link(page_src, section.id)))
    if unplaced:
        unplaced_section = Section(2, text["unplaced"], "unplaced-examples", "", unplaced)
        sections.append((index_src, unplaced_section, None))

    for number, (page_src, section, url) in enumerate(sections, start=1):
        parts = [f"{'#' * section.level} {section.title}"]
        if section.paragraph:
            parts.append(rewrite_links(section.paragraph, page_src))
        if url is not None:
            parts.append(text["section_link"].format(url=url))
        add(new_markdown_cell("\n\n".join(parts)), section.id or f"section-{number}", page_src)
        for example_path in section.examples:
            example = REPO / example_path
            source = strip_output_comments(example)
            code = notebook_code(source)
            meta = {METADATA_KEY: {"example": example_path}}
            if code.runnable:
                cell = new_code_cell(f"# {example_path}\n{code.code.rstrip()}", metadata=meta)
                output = transcript(example)
                if output:
                    cell.outputs = [new_output("stream", name="stdout", text=output)]
                add(cell, _cell_id("example-", example.stem), page_src)
            else:
                details = text["and"].join(f"`{d}`" for d in code.details)
                reason = text[str(code.reason)].format(details=details)
                body = text["cannot_run"].format(
                    path=example_path,
                    reason=reason,
                    code=source.rstrip(),
                    output=transcript(example).rstrip("\n"),
                )
                add(
                    new_markdown_cell(body, metadata=meta),
                    _cell_id("example-", example.stem),
                    page_src,
                )

    count = 0
    for cell in cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
    nb = new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3",
        },
    }
    nbformat.validate(nb)
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """Stable text: nbformat's own layout (sorted keys, indent 1), UTF-8, final newline."""
    return nbformat.writes(nb, version=4).rstrip("\n") + "\n"


def chapters() -> list[str]:
    return [d.name for d in chapter_dirs()]


def write_notebooks(docs_dir: Path, lang: str, out_dir: Path) -> list[Path]:
    """Write `out_dir/chNN/notebook.ipynb` for every chapter whose index.md exists in docs_dir,
    from all the chapter's pages (`chapter_pages`).

    A file is rewritten only when its content changes; stale notebooks are removed. Returns the
    notebooks, relative to out_dir.
    """
    written = []
    for chapter in chapters():
        index = docs_dir / chapter / "index.md"
        if not index.exists():
            continue
        try:
            pages = [
                (src, (docs_dir / src).read_text(encoding="utf-8"))
                for src in chapter_pages(docs_dir, chapter)
            ]
            nb = build_notebook(chapter, lang, pages)
        except (NotebookError, SyntaxError) as exc:
            raise NotebookError(f"notebook for {relative(index.parent)}/: {exc}") from None
        rel = Path(chapter) / NOTEBOOK_NAME
        target = out_dir / rel
        content = dumps(nb)
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Atomically: the other language's build (or a live server) may be reading it.
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temporary.write_text(content, encoding="utf-8", newline="\n")
            os.replace(temporary, target)
        written.append(rel)
    if out_dir.exists():
        for stale in out_dir.rglob("*.ipynb"):
            if stale.relative_to(out_dir) not in written:
                stale.unlink()
    return written


# ---------------------------------------------------------------------------------------------
# The rendered page: what mkdocs-jupyter's nbconvert template adds that the site does not want

_STYLE = re.compile(r"<style\b[^>]*>.*?</style>\s*", re.S | re.I)
_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script>\s*", re.S | re.I)
_CELL_ID = re.compile(r'<div\b[^>]*\sid="cell-id=(?P<id>[^"]+)"')
_H = re.compile(r'<h(?P<level>[1-6]) id="(?P<id>[^"]*)">(?P<inner>.*?)</h(?P=level)>', re.S)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link" href="#[^"]*">(?P<text>.*?)</a>', re.S)


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    name: str  # plain text


def _third_party_script(attrs: str, body: str) -> bool:
    """A script that loads code from another host (src=, or an import() / import ... from URL)."""
    if re.search(r"\bsrc\s*=", attrs) or "x-mathjax-config" in attrs:
        return True
    return bool(re.search(r"""import\s*\(?\s*["'{]|from\s+["']https?:""", body))


def slim_notebook_html(content: str) -> tuple[str, list[Heading]]:
    """Lighten the HTML mkdocs-jupyter renders, and give headings the chapter page's ids.

    * Drops every inline `<style>`: nbconvert's JupyterLab CSS (~590 KB per page, plus a global
      `pre { ... }` rule) — the site links one small stylesheet for notebook pages instead.
    * Makes code and output blocks focusable, since they may scroll sideways.
    * Drops scripts that load from third-party hosts: MathJax (cdnjs) and its configuration,
      and the Mermaid loader (an `import()` from cdnjs); keeps the small copy-button script.
    * A markdown cell's id is the section's heading id (fixed by the builder); the heading inside
      it gets that id, so `#async-await` works here as on the section page (nbconvert would
      derive ids from the heading text, which for Chinese headings are empty).

    Returns the HTML and its headings (for the page's table of contents).
    """
    content = _STYLE.sub("", content)
    # Code and output blocks scroll sideways: keyboard users must be able to focus them (axe
    # scrollable-region-focusable), as Material does for its own code blocks.
    content = re.sub(r"<pre>", '<pre tabindex="0">', content)
    content = re.sub(r"<!--[^>]*(?:mathjax|mermaid)[^>]*-->", "", content, flags=re.I)
    # mkdocs-jupyter's template has a stray comma among the copy button's attributes.
    content = content.replace('<clipboard-copy ,="" ', "<clipboard-copy ")
    content = re.sub(r'(<clipboard-copy [^>]*?"),', r"\1", content)
    content = _SCRIPT.sub(
        lambda m: "" if _third_party_script(m.group("attrs"), m.group("body")) else m.group(0),
        content,
    )
    headings: list[Heading] = []
    out: list[str] = []
    pos = 0
    cell_starts = [(m.start(), m.group("id")) for m in _CELL_ID.finditer(content)]
    claimed: set[str] = set()
    for match in _H.finditer(content):
        owner = None
        for start, cell_id in cell_starts:
            if start < match.start():
                owner = cell_id
        new_id = html.unescape(owner) if owner and owner not in claimed else match.group("id")
        if owner:
            claimed.add(owner)
        inner = _ANCHOR_LINK.sub(
            lambda m, i=new_id: (
                f'<a class="headerlink" href="#{html.escape(i)}">{m.group("text")}</a>'
            ),
            match.group("inner"),
        )
        name = html.unescape(re.sub(r"<[^>]+>", "", _ANCHOR_LINK.sub("", match.group("inner"))))
        level = int(match.group("level"))
        headings.append(Heading(level, new_id, name.strip()))
        out.append(content[pos : match.start()])
        out.append(f'<h{level} id="{html.escape(new_id)}">{inner}</h{level}>')
        pos = match.end()
    out.append(content[pos:])
    return "".join(out), headings


def toc_tree(headings: list[Heading]) -> list[dict]:
    """Nest headings as MkDocs' table-of-contents tokens (level, id, name as HTML, children)."""
    root: list[dict] = []
    stack: list[dict] = []
    for h in headings:
        token = {"level": h.level, "id": h.id, "name": html.escape(h.name), "children": []}
        while stack and stack[-1]["level"] >= h.level:
            stack.pop()
        (stack[-1]["children"] if stack else root).append(token)
        stack.append(token)
    return root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"default: {relative(OUT_DIR)}")
    args = parser.parse_args()
    try:
        for lang in LANGS:
            for rel in write_notebooks(DOCS_DIR / lang, lang, args.out / lang):
                print(relative(args.out / lang / rel))
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
