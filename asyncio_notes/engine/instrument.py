"""The tracer's instrumentation: record an unmodified script's tasks, their run steps, waits and
ready spans, and its prints, in this process. Standard library only (the browser runs it too).

How a run is observed (in-process patches; nothing in the script changes):
* each task's coroutine is wrapped at `loop.create_task` (which also covers eager tasks), so every
  send/throw is one run step, and what it yields says what the task waits on;
* `loop.call_soon` notes when a task's wake-up is scheduled: from then on it is ready;
* `print` is recorded with the time and the current task, then printed as usual;
* each loop iteration, the handles it runs and the ready queue and timers around them
  (iterations.py).

CPU work costs virtual time: see cpu.py. script.py runs a whole script under this tracer.
"""

from __future__ import annotations

import asyncio
import builtins
import collections.abc
import contextlib
import io
import re
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncio_notes.engine.cpu import CpuMeter
from asyncio_notes.engine.describe import (
    Addresses,
    callable_name,
    describe_awaitable,
    describe_coroutine,
    describe_wait,
)
from asyncio_notes.engine.iterations import IterationRecorder
from asyncio_notes.engine.loop import VirtualEventLoop

ENGINE_DIR = Path(__file__).resolve().parent
# The folder the asyncio_notes package is imported from (children get it as PYTHONPATH).
PACKAGE_ROOT = str(ENGINE_DIR.parent.parent)
# asyncio.run's own clean-up tasks are not part of the example.
_INTERNAL_COROUTINES = {"shutdown_asyncgens", "shutdown_default_executor"}


class OutputLimitError(KeyboardInterrupt):
    """The script printed more than the run's output limit. Like Ctrl-C, it ends the run from
    inside any task: asyncio lets KeyboardInterrupt through its loop, and `except Exception`
    does not catch it."""


def is_engine_file(filename: str) -> bool:
    """Frames in these files belong to the tracer, not to the traced script."""
    return Path(filename).parent == ENGINE_DIR


@dataclass
class _TaskRecord:
    id: int
    coro: str
    parent: str | None
    created: float
    name: str = ""
    finished: float | None = None
    outcome: str = "pending"
    result: str | None = None
    exception: str | None = None
    steps: list[list[float]] = field(default_factory=list)
    waits: list[dict[str, Any]] = field(default_factory=list)
    ready: list[list[float]] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # each step's place among all steps of the run
    ready_since: float | None = None


class _TracedCoroutine(collections.abc.Coroutine):  # type: ignore[type-arg]
    """Wraps a task's coroutine: each send/throw is one run step. Looks like the coroutine to
    asyncio's reprs, get_stack() and the virtual clock's error messages."""

    def __init__(self, coro: Any, record: _TaskRecord, tracer: _Tracer) -> None:
        self._coro = coro
        self._record = record
        self._tracer = tracer
        self.__name__ = coro.__name__
        self.__qualname__ = coro.__qualname__

    def send(self, value: Any) -> Any:
        return self._tracer.step(self._record, self._coro, self._coro.send, value)

    def throw(self, *args: Any) -> Any:
        return self._tracer.step(self._record, self._coro, self._coro.throw, *args)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Any:
        return self._coro.__await__()

    def __repr__(self) -> str:
        return repr(self._coro)

    @property
    def cr_frame(self) -> Any:
        return self._coro.cr_frame

    @property
    def cr_code(self) -> Any:
        return self._coro.cr_code

    @property
    def cr_running(self) -> bool:
        return self._coro.cr_running

    @property
    def cr_await(self) -> Any:
        return self._coro.cr_await

    @property
    def cr_origin(self) -> Any:
        return self._coro.cr_origin


class _Tracer:
    """Collects tasks and prints in the child; `install()` applies the patches."""

    def __init__(
        self,
        clock: Callable[[], float],
        folder: Path,
        meter: CpuMeter | None = None,
        output_limit: int | None = None,
    ) -> None:
        self.clock = clock
        self.addresses = Addresses()
        self.meter = meter
        self.steps_started = 0
        self.output_limit = output_limit  # characters of printed text; None: no limit
        self.printed = 0
        self.task_offset: int | None = None  # see renumber()
        self.start = clock()  # when the script starts
        self.origin: float | None = None  # when the first loop first scheduled work
        self.tasks: list[_TaskRecord] = []
        self.records: weakref.WeakKeyDictionary[asyncio.Task[Any], _TaskRecord] = (
            weakref.WeakKeyDictionary()
        )
        self.labels: weakref.WeakKeyDictionary[asyncio.Future[Any], str] = (
            weakref.WeakKeyDictionary()
        )
        self.prints: list[dict[str, Any]] = []
        self.line_open = False  # the last print did not end its line
        self.lock = threading.Lock()
        # A run on the real clock (meter None) records which handles ran, not the state around
        # them: recording costs real time (see IterationRecorder).
        self.loop_story = IterationRecorder(
            clock, self.task_name, folder, self.addresses, detail=meter is not None
        )

    def task_name(self, task: asyncio.Task[Any]) -> str | None:
        """A traced task's name (None for asyncio.run's clean-up tasks, which are not traced)."""
        return task.get_name() if task in self.records else None

    def loop_now(self) -> float:
        """The time, for something a loop does; the first such moment is time 0 of the trace."""
        now = self.clock()
        if self.origin is None:
            self.origin = now
        return now

    # -- patches ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def install(self) -> Iterator[None]:
        base = asyncio.BaseEventLoop
        saved = [
            (builtins, "print", builtins.print),
            (builtins, "input", builtins.input),
            (base, "create_task", base.create_task),
            (base, "call_soon", base.call_soon),
            (asyncio, "shield", asyncio.shield),
            (asyncio.tasks, "shield", asyncio.tasks.shield),
        ]
        # Every event loop class that defines its own run_in_executor.
        loops = [cls for cls in (base, VirtualEventLoop) if "run_in_executor" in vars(cls)]
        saved += [(cls, "run_in_executor", vars(cls)["run_in_executor"]) for cls in loops]
        builtins.print = self.patched_print(builtins.print)
        builtins.input = _no_input
        base.create_task = self.patched_create_task(base.create_task)
        base.call_soon = self.patched_call_soon()
        asyncio.shield = asyncio.tasks.shield = self.patched_shield(asyncio.shield)
        for cls in loops:
            cls.run_in_executor = self.patched_run_in_executor(vars(cls)["run_in_executor"])
        try:
            with self.loop_story.install():
                yield
        finally:
            for owner, name, value in saved:
                setattr(owner, name, value)

    def patched_print(self, real_print: Callable[..., None]) -> Callable[..., None]:
        def print(
            *args: Any, sep: Any = " ", end: Any = "\n", file: Any = None, flush: bool = False
        ) -> None:
            buffer = io.StringIO()
            real_print(*args, sep=sep, end=end, file=buffer)
            text = buffer.getvalue()
            target = sys.stdout if file is None else file
            if target is None:
                return
            real_print(text, end="", file=target, flush=flush)
            if target in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
                self.record_print(text)

        print.__qualname__ = "print"  # as the builtin reads in `loop.call_soon(print, ...)`
        return print

    def record_print(self, text: str) -> None:
        if self.output_limit is not None:
            if self.printed >= self.output_limit:
                raise OutputLimitError(
                    f"the output passed the limit of {self.output_limit} characters"
                )
            text = text[: self.output_limit - self.printed]
            self.printed += len(text)
        with self.lock:
            if self.line_open and self.prints:
                self.prints[-1]["text"] += text
            else:
                entry = {"time": self.clock(), "task": _current_task_name(), "text": text}
                self.prints.append(entry)
            self.line_open = not text.endswith("\n")
            if not self.line_open:
                self.prints[-1]["text"] = self.prints[-1]["text"][:-1]

    def patched_create_task(self, create_task: Callable[..., Any]) -> Callable[..., Any]:
        tracer = self

        def traced_create_task(loop: Any, coro: Any, **kwargs: Any) -> Any:
            if getattr(coro, "__name__", None) in _INTERNAL_COROUTINES:
                return create_task(loop, coro, **kwargs)
            record = _TaskRecord(
                id=len(tracer.tasks) + 1,
                coro=describe_coroutine(coro, tracer.addresses),
                parent=_current_task_name(),
                created=tracer.loop_now(),
            )
            record.ready_since = record.created  # a new task is ready (an eager one runs now)
            tracer.tasks.append(record)
            task = create_task(loop, _TracedCoroutine(coro, record, tracer), **kwargs)
            # Debug mode shows where a task was created: that is the caller, not this wrapper.
            source = getattr(task, "_source_traceback", None)
            if source and is_engine_file(source[-1].filename):
                del source[-1]
            if kwargs.get("name") is None:
                tracer.renumber(task)
            record.name = task.get_name()
            tracer.records[task] = record
            return task

        return traced_create_task

    def patched_call_soon(self) -> Callable[..., Any]:
        tracer = self

        def call_soon(loop: Any, callback: Any, *args: Any, context: Any = None) -> Any:
            # BaseEventLoop.call_soon (3.11-3.13), plus: a scheduled task step makes it ready.
            loop._check_closed()
            if loop._debug:
                loop._check_thread()
                loop._check_callback(callback, "call_soon")
            handle = loop._call_soon(callback, args, context)
            if handle._source_traceback:
                del handle._source_traceback[-1]
            owner = getattr(callback, "__self__", None)
            if isinstance(owner, asyncio.Task) and owner in tracer.records:
                record = tracer.records[owner]
                if record.ready_since is None:
                    now = tracer.loop_now()
                    # Woken by a timer that ran late (CPU work held the loop): ready since due.
                    due = getattr(loop, "running_timer_due", None)
                    record.ready_since = now if due is None else min(now, due)
            return handle

        return call_soon

    def patched_shield(self, shield: Callable[..., Any]) -> Callable[..., Any]:
        def traced_shield(arg: Any) -> Any:
            outer = shield(arg)
            if outer is not arg:
                self.labels[outer] = f"shield({describe_awaitable(arg, self.labels)})"
            return outer

        return traced_shield

    def patched_run_in_executor(self, run_in_executor: Callable[..., Any]) -> Callable[..., Any]:
        def traced_run_in_executor(loop: Any, executor: Any, func: Any, *args: Any) -> Any:
            future = run_in_executor(loop, executor, func, *args)
            self.labels[future] = f"run_in_executor({callable_name(func)})"
            return future

        return traced_run_in_executor

    def renumber(self, task: asyncio.Task[Any]) -> None:
        """Default names count from Task-1 in each run, as in a fresh interpreter: the browser
        runs many scripts in one, and asyncio's counter (in C) cannot be reset."""
        name = task.get_name()
        if not re.fullmatch(r"Task-\d+", name):
            return
        number = int(name.removeprefix("Task-"))
        if self.task_offset is None:
            self.task_offset = number - 1
        if self.task_offset:
            task.set_name(f"Task-{number - self.task_offset}")

    # -- steps --------------------------------------------------------------------------------

    def step(self, record: _TaskRecord, coro: Any, method: Callable[..., Any], *args: Any) -> Any:
        start = self.loop_now()
        record.name = _current_task_name() or record.name  # set_name() may have renamed it
        if record.steps:  # the first step follows creation, not a wait
            record.waits[-1]["end"] = start
        if record.ready_since is not None:
            record.ready.append([record.ready_since, start])
        record.ready_since = None
        record.order.append(self.steps_started)
        self.steps_started += 1
        meter = self.meter
        if meter is not None:
            meter.steps += 1
        story = self.loop_story.step_started(record.name, coro)
        try:
            yielded = method(*args)
        except StopIteration as stop:
            self.finish(record, start, "result", result=self.addresses(_safe_repr(stop.value)))
            self.loop_story.step_ended(story, coro, None, "result")
            raise
        except asyncio.CancelledError:
            self.finish(record, start, "cancelled")
            self.loop_story.step_ended(story, coro, None, "cancelled")
            raise
        except BaseException as exc:
            self.finish(record, start, "exception", exception=self.addresses(_safe_repr(exc)))
            self.loop_story.step_ended(story, coro, None, "exception")
            raise
        finally:
            if meter is not None:
                meter.steps -= 1
        end = self.loop_now()
        record.steps.append([start, end])
        on = self.addresses(describe_wait(coro, yielded, self.labels))
        record.waits.append({"start": end, "end": None, "on": on})
        self.loop_story.step_ended(story, coro, on, None)
        return yielded

    def finish(self, record: _TaskRecord, start: float, outcome: str, **values: str) -> None:
        end = self.loop_now()
        record.steps.append([start, end])
        record.finished = end
        record.outcome = outcome
        for key, value in values.items():
            setattr(record, key, value)

    # -- output -------------------------------------------------------------------------------

    def trace(self, end: float) -> dict[str, Any]:
        origin = self.origin if self.origin is not None else self.start

        def t(value: float | None) -> float | None:
            return None if value is None else round(value - origin, 6)

        tasks = []
        for r in self.tasks:
            tasks.append(
                {
                    "id": r.id,
                    "name": r.name,
                    "coro": r.coro,
                    "parent": r.parent,
                    "created": t(r.created),
                    "finished": t(r.finished),
                    "outcome": r.outcome,
                    "result": r.result,
                    "exception": r.exception,
                    "steps": [[t(a), t(b)] for a, b in r.steps],
                    "waits": [
                        {"start": t(w["start"]), "end": t(w["end"]), "on": w["on"]} for w in r.waits
                    ],
                    "ready": [[t(a), t(b)] for a, b in r.ready],
                    "order": r.order,
                }
            )
        prints = [{**p, "time": t(p["time"])} for p in self.prints]
        story = self.loop_story
        return {
            "elapsed": t(end),
            "tasks": tasks,
            "prints": prints,
            "iterations": story.result(t),  # type: ignore[arg-type]
            "iterations_cut": story.cut,
        }


def _no_input(prompt: object = "") -> str:
    """input(): a traced script has no terminal; the same exception as at the end of input."""
    raise EOFError(
        "examples cannot read standard input (the tracer gives them none); "
        "put the value in the code instead"
    )


def _current_task_name() -> str | None:
    loop = asyncio._get_running_loop()
    task = asyncio.current_task(loop) if loop is not None else None
    return task.get_name() if task is not None else None


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a broken __repr__ must not break the trace
        return f"<repr failed: {type(exc).__name__}>"
