"""Describe tasks and coroutines in words for messages and traces, such as
`Task-2 delay(3) waiting at examples/ch02/util.py:14`. Memory addresses, which differ from run to
run, are numbered by first appearance (`Addresses`) or left out: the same text every run."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import re
import reprlib
from pathlib import Path
from types import FrameType
from typing import Any

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
# Awaitables named in a gather() or wait() label; the rest are counted.
LISTED = 8


class Addresses:
    """Numbers the memory addresses in a run's reprs by first appearance (`0x1`, `0x2`, ...): the
    same object keeps its number, and two runs of a program give the same text."""

    def __init__(self) -> None:
        self._numbers: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return _ADDRESS.sub(self._number, text)

    def _number(self, match: re.Match[str]) -> str:
        address = match.group().lower()
        if address not in self._numbers:
            self._numbers[address] = f"0x{len(self._numbers) + 1}"
        return self._numbers[address]


def _without_addresses(text: str) -> str:
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


class _ShortRepr(reprlib.Repr):
    """reprlib's short reprs, with addresses replaced before a long repr is cut (a cut address
    would escape the replacement)."""

    def __init__(self, addresses: Any) -> None:
        super().__init__()
        self.maxstring = self.maxother = 40
        self.addresses = addresses

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            text = self.addresses(builtins.repr(x))
        except Exception:
            return f"<{type(x).__name__} instance>"
        if len(text) > self.maxother:
            head = (self.maxother - 3) // 2
            tail = self.maxother - 3 - head
            text = text[:head] + "..." + text[len(text) - tail :]
        return text


def _value_repr(value: Any, addresses: Any) -> str:
    """A short repr, its memory addresses numbered (or dropped)."""
    if callable(value) and hasattr(value, "__qualname__"):
        return value.__qualname__
    return _ShortRepr(addresses).repr(value)


def describe_coroutine(coro: Any, addresses: Any = _without_addresses) -> str:
    """`delay(3)`: the coroutine's name and the arguments it was called with (frame locals);
    `addresses` replaces the memory addresses in their reprs (default: drops them)."""
    name = getattr(coro, "__name__", type(coro).__name__)
    frame = getattr(coro, "cr_frame", None)
    if frame is None:
        return f"{name}()"
    code, values = frame.f_code, frame.f_locals
    positional = code.co_argcount
    names = code.co_varnames[: positional + code.co_kwonlyargcount]

    def short(value: Any) -> str:
        return _value_repr(value, addresses)

    parts = [short(values[n]) for n in names[:positional] if n in values and n != "self"]
    extra = positional + code.co_kwonlyargcount
    if code.co_flags & 0x04:  # CO_VARARGS: *args follow the named parameters
        parts += [short(v) for v in values.get(code.co_varnames[extra], ())]
        extra += 1
    parts += [f"{n}={short(values[n])}" for n in names[positional:] if n in values]
    if code.co_flags & 0x08:  # CO_VARKEYWORDS
        kwargs = values.get(code.co_varnames[extra], {})
        parts += [f"{k}={short(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def await_frames(coro: Any) -> list[FrameType]:
    """The frames of a suspended coroutine and of everything it awaits, outermost first."""
    frames = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return frames


def where(frame: FrameType) -> str:
    """`examples/ch02/util.py:14`: a frame's file (relative to the working directory) and line."""
    path = Path(frame.f_code.co_filename)
    with contextlib.suppress(ValueError):
        path = path.relative_to(Path.cwd())
    return f"{path.as_posix()}:{frame.f_lineno}"


_ASYNCIO_DIR = Path(asyncio.__file__).parent


def describe_task(task: asyncio.Task[Any]) -> str:
    """`Task-2 delay(3) waiting at examples/ch02/util.py:14` (innermost frame outside asyncio)."""
    coro = task.get_coro()
    frames = await_frames(coro) or task.get_stack()
    own = [f for f in frames if Path(f.f_code.co_filename).parent != _ASYNCIO_DIR] or frames
    place = f" waiting at {where(own[-1])}" if own else ""
    return f"{task.get_name()} {describe_coroutine(coro)}{place}"


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def describe_pending_tasks(loop: asyncio.AbstractEventLoop) -> str:
    """One line per pending task of `loop`, in creation order."""
    tasks = sorted(
        (task for task in asyncio.all_tasks(loop) if not task.done()),
        key=lambda task: _natural_key(task.get_name()),
    )
    if not tasks:
        return "No task is pending: the loop waits for a future that nobody will complete."
    lines = [f"  - {describe_task(task)}" for task in tasks]
    return "Pending tasks:\n" + "\n".join(lines)


def callable_name(func: Any) -> str:
    func = getattr(func, "func", func)  # functools.partial, as asyncio.to_thread uses
    return getattr(func, "__qualname__", None) or type(func).__name__


def describe_awaitable(value: Any, labels: Any) -> str:
    """What a future stands for: `Task-2`, `gather(Task-2, Task-3)`, `sleep(1)`, `future`."""
    if isinstance(value, asyncio.Task):
        return value.get_name()
    if isinstance(value, asyncio.Future):
        if value in labels:
            return labels[value]
        children = getattr(value, "_children", None)  # a gather() future
        if children is not None:
            named = [describe_awaitable(c, labels) for c in children[:LISTED]]
            if len(children) > LISTED:  # a gather of 10,000 tasks stays a short label
                named.append(f"{len(children) - LISTED} more")
            return f"gather({', '.join(named)})"
        return "future"
    if asyncio.iscoroutine(value):
        return describe_coroutine(value)
    return type(value).__name__


def describe_wait(coro: Any, yielded: Any, labels: Any) -> str:
    """What a suspended task waits on: the asyncio call its own code made, or the future."""
    frame_owner = coro
    while frame_owner is not None:
        frame = getattr(frame_owner, "cr_frame", None) or getattr(frame_owner, "gi_frame", None)
        if frame is None:
            break
        if Path(frame.f_code.co_filename).parent == _ASYNCIO_DIR:
            return _describe_asyncio_call(frame, yielded, labels)
        frame_owner = getattr(frame_owner, "cr_await", None) or getattr(
            frame_owner, "gi_yieldfrom", None
        )
    if yielded is None:
        return "sleep(0)"  # a bare yield: the task only gave other tasks a turn
    return describe_awaitable(yielded, labels)


def _describe_asyncio_call(frame: FrameType, yielded: Any, labels: Any) -> str:
    """`sleep(1)`, `wait_for(Task-2, timeout=1)`, `to_thread(work)`, `Event.wait()`, ..."""
    name = frame.f_code.co_qualname
    values = frame.f_locals
    if name == "sleep":
        return f"sleep({values.get('delay')!r})"
    if name == "wait_for":
        target = describe_awaitable(values.get("fut"), labels)
        return f"wait_for({target}, timeout={values.get('timeout')!r})"
    if name == "to_thread":
        return f"to_thread({callable_name(values.get('func'))})"
    if name == "wait":
        fs = list(values.get("fs", ()))
        named = [describe_awaitable(f, labels) for f in fs[:LISTED]]
        if len(fs) > LISTED:
            named.append(f"{len(fs) - LISTED} more")
        return f"wait({', '.join(named)})"
    if name.endswith(".__aexit__"):  # e.g. the end of `async with asyncio.TaskGroup()`
        return name.removesuffix(".__aexit__")
    return f"{name}()"
