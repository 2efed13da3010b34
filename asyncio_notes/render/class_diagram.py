"""A Mermaid class diagram of Task, Future and coroutine, read from the running asyncio.

Nothing in the diagram is written by hand except the two relationship labels: class names, members
and the inheritance edge come from the classes themselves (`vars`, `__mro__`, `inspect.signature`),
so the diagram follows the Python version that builds the site (its title names it) and is the same
on every run of it.

- Future lists its public methods; Task lists only what it adds to Future (the C implementation
  repeats Future's methods in Task, which the inheritance edge already says).
- coroutine (types.CoroutineType) lists its methods (send, throw, close) and attributes (cr_*).
- "is a": the edge from Task's __mro__; "drives": Task has get_coro(), the coroutine it runs.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import types
from collections.abc import Callable

IS_A = "is a"
DRIVES = "drives"


def public_members(cls: type) -> dict[str, object]:
    return {name: obj for name, obj in vars(cls).items() if not name.startswith("_")}


def parameters(function: Callable[..., object]) -> str:
    """Parameter names without self; "…" when the builtin publishes no signature."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return "…"
    names = [name for name in signature.parameters if name != "self"]
    return ", ".join(names)


def member_lines(cls: type, inherited_from: type | None = None) -> list[str]:
    """Mermaid member lines, attributes first, each group sorted by name."""
    skip = set(dir(inherited_from)) if inherited_from else set()
    members = {n: o for n, o in public_members(cls).items() if n not in skip}
    attributes = [f"+{name}" for name, obj in sorted(members.items()) if not callable(obj)]
    methods = [
        f"+{name}({parameters(obj)})"  # type: ignore[arg-type]
        for name, obj in sorted(members.items())
        if callable(obj)
    ]
    return attributes + methods


def class_block(cls: type, inherited_from: type | None = None) -> list[str]:
    lines = [f"    class {cls.__name__} {{"]
    lines += [f"        {line}" for line in member_lines(cls, inherited_from)]
    return [*lines, "    }"]


def nearest_base(cls: type, shown: list[type]) -> type | None:
    """The first class in cls's MRO (after itself) that the diagram shows."""
    return next((base for base in cls.__mro__[1:] if base in shown), None)


def render_class_diagram() -> str:
    """Mermaid classDiagram source (no ``` fences): a Task is a Future and drives a coroutine."""
    future, task, coroutine = asyncio.Future, asyncio.Task, types.CoroutineType
    shown = [future, task, coroutine]
    # Members differ between versions (Task.get_context() is 3.12+): the title names the one read.
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    lines = ["---", f"title: asyncio in Python {version}", "---", "classDiagram"]
    for cls in shown:
        lines += class_block(cls, nearest_base(cls, shown))
    for cls in shown:
        base = nearest_base(cls, shown)
        if base is not None:
            lines.append(f"    {base.__name__} <|-- {cls.__name__} : {IS_A}")
    if callable(vars(task).get("get_coro")):
        lines.append(f"    {task.__name__} --> {coroutine.__name__} : {DRIVES}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_class_diagram(), end="")
