"""Trace an unmodified example: its tasks' run steps, waits and ready spans, and its prints.

`trace_script(path)` runs the example in a child interpreter, as `python path` would (the script's
directory first on sys.path, `__name__ == "__main__"`, the repo root as working directory), under
the virtual clock (or the real one) and returns the trace: `script`, `python`, `clock`, `elapsed`
(from the first loop start), `tasks` (id, name, coro, parent, created, finished, outcome, result,
exception, steps, waits, ready), `prints` (time, task, text) and `stderr` (paths normalized). All
times are seconds from the first loop start. The child side is stdlib-only, so any supported
interpreter can run it. Where os.fork exists, each interpreter gets one fork server that has
imported asyncio once; every trace is then a forked child (a fresh interpreter otherwise).

How the child observes the run (all in-process patches, nothing in the example changes):
* each task's coroutine is wrapped at `loop.create_task` (which also covers eager tasks), so every
  send/throw is one run step, and what it yields says what the task waits on;
* `loop.call_soon` notes when a task's wake-up is scheduled: from then on it is ready;
* `print` is recorded with the time and the current task, then printed as usual.
"""

from __future__ import annotations

import asyncio
import atexit
import builtins
import collections.abc
import contextlib
import faulthandler
import gc
import io
import json
import os
import queue
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script (the child process): make `scripts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.virtual_clock import (
    DeadlockError,
    TimeLimitError,
    VirtualEventLoop,
    describe_coroutine,
    installed,
)

REPO = Path(__file__).resolve().parent.parent
_OWN_FILES = {str(Path(__file__).resolve()), str(REPO / "scripts" / "virtual_clock.py")}
# Seconds the parent waits beyond `timeout` for the child to report where it was stuck.
_KILL_GRACE = 3.0
# asyncio.run's own clean-up tasks are not part of the example.
_INTERNAL_COROUTINES = {"shutdown_asyncgens", "shutdown_default_executor"}


class TraceError(RuntimeError):
    """The example could not be traced: it raised, deadlocked, ran past a limit or hung."""


# -- parent side ------------------------------------------------------------------------------


def trace_script(
    script: Path,
    *,
    real: bool = False,
    time_limit: float = 3600.0,
    timeout: float = 30.0,
    python: str | None = None,
) -> dict[str, Any]:
    """Run `script` in a child interpreter and return its trace; raise TraceError if it fails."""
    script = Path(script).resolve()
    name = display_path(script)
    if not script.is_file():
        raise TraceError(f"{name}: no such file")
    with tempfile.TemporaryDirectory(prefix="trace-") as tmp:
        files = {name: os.path.join(tmp, name) for name in _CHILD_FILES}
        args = [
            str(script),
            files["result.json"],
            "real" if real else "virtual",
            repr(time_limit),
            repr(timeout),
            files["stuck.txt"],
        ]
        try:
            status = _run_child(python or sys.executable, args, files, timeout + _KILL_GRACE)
        except OSError as exc:
            raise TraceError(f"{name}: cannot start the interpreter {python!r}: {exc}") from None
        found = {name: Path(path).read_text("utf-8", errors="replace") for name, path in
                 files.items() if os.path.exists(path)}  # fmt: skip
    stderr, stuck = found.get("stderr.txt", ""), found.get("stuck.txt", "")
    if "result.json" not in found:
        _raise_for_missing_result(name, stderr, status, stuck, timeout)
    result = json.loads(found["result.json"])
    stdlib = result.pop("stdlib")
    error = result.pop("error")
    result["stderr"] = normalize(stderr, stdlib)
    if error is not None:
        raise TraceError(_error_message(name, error, normalize(error["detail"], stdlib)))
    return result


# What a child writes: the example's stdout and stderr, the trace, and where it was stuck.
_CHILD_FILES = ("stdout.txt", "stderr.txt", "result.json", "stuck.txt")
_CHILD_ENV = {"PYTHONIOENCODING": "utf-8", "PYTHONHASHSEED": "0"}


def dumps(trace: dict) -> str:
    """The published form of a trace: stable key order, so equal traces are equal bytes."""
    return json.dumps(trace, indent=2, sort_keys=True, ensure_ascii=False)


def _run_child(python: str, args: list[str], files: dict[str, str], limit: float) -> int | None:
    """Run child_main(args) in a fresh child; return its exit status (None if it was killed)."""
    if hasattr(os, "fork"):
        with contextlib.suppress(_ServerGone):
            return _fork_server(python).run(args, files, limit)
    return _spawn_child(python, args, files, limit)


def _spawn_child(python: str, args: list[str], files: dict[str, str], limit: float) -> int | None:
    with open(files["stdout.txt"], "wb") as stdout, open(files["stderr.txt"], "wb") as stderr:
        child = subprocess.Popen(
            [python, __file__, *args],
            cwd=REPO,
            env={**os.environ, **_CHILD_ENV},
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            return child.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            child.kill()  # faulthandler in the child should have ended it already
            child.wait()
            return None


class _ServerGone(Exception):
    """The fork server is not running (any more): spawn a fresh interpreter instead."""


class _ForkServer:
    """An interpreter that has imported asyncio and this module once and forks a child per trace,
    so that a trace costs a fork instead of an interpreter start-up (about ten times less).

    Protocol, one JSON object per line: we send {"args", "stdout", "stderr"}; it answers
    {"started": pid}, and {"exited": pid, "status": code} when that child has ended."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, __file__, "--serve"],
            cwd=REPO,
            env={**os.environ, **_CHILD_ENV},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self.requests = threading.Lock()  # one request at a time, so answers come in order
        self.started: queue.Queue[int | None] = queue.Queue()
        self.exits: dict[int, int] = {}
        self.changed = threading.Condition()
        self.alive = True
        threading.Thread(target=self._read_answers, daemon=True).start()

    def _read_answers(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            answer = json.loads(line)
            if "started" in answer:
                self.started.put(answer["started"])
            else:
                with self.changed:
                    self.exits[answer["exited"]] = answer["status"]
                    self.changed.notify_all()
        with self.changed:
            self.alive = False
            self.changed.notify_all()
        self.started.put(None)

    def run(self, args: list[str], files: dict[str, str], limit: float) -> int | None:
        request = {"args": args, "stdout": files["stdout.txt"], "stderr": files["stderr.txt"]}
        with self.requests:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
                pid = self.started.get(timeout=_KILL_GRACE * 10)
            except (OSError, queue.Empty):
                pid = None
        if pid is None:
            raise _ServerGone
        with self.changed:
            if not self.changed.wait_for(lambda: pid in self.exits or not self.alive, limit):
                os.kill(pid, signal.SIGKILL)  # faulthandler in the child should have ended it
                self.changed.wait_for(lambda: pid in self.exits or not self.alive, _KILL_GRACE)
                self.exits.pop(pid, None)
                return None
            return self.exits.pop(pid, None)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()  # the server ends when its input does


_SERVERS: dict[str, _ForkServer] = {}
_SERVERS_LOCK = threading.Lock()


def _fork_server(python: str) -> _ForkServer:
    """The running fork server for `python`, started on first use."""
    with _SERVERS_LOCK:
        server = _SERVERS.get(python)
        if server is None or not server.alive:
            if not _SERVERS:
                atexit.register(lambda: [s.close() for s in _SERVERS.values()])
            server = _SERVERS[python] = _ForkServer(python)
        return server


def _raise_for_missing_result(
    name: str, stderr: str, status: int | None, stuck: str, timeout: float
) -> None:
    stdlib = os.path.dirname(os.__file__)
    if stuck or status is None:
        where = stuck_at(stuck)
        raise TraceError(
            f"{name} did not finish within {timeout:g} s of real time and was stopped"
            f"{f' at {where}' if where else ''}: it never yields to the event loop (a CPU "
            f"loop?) or blocks on something outside asyncio. Make it finish, or raise the "
            f"timeout if it really needs that long.\n{normalize(stuck, stdlib)}"
        )
    raise TraceError(
        f"{name}: the tracer's child process ended with status {status} before reporting "
        f"(crashed or killed?).\n{normalize(stderr, stdlib)}"
    )


def _error_message(name: str, error: dict[str, str], detail: str) -> str:
    kind = error["kind"]
    if kind == "deadlock":
        return f"{name} deadlocked under the virtual clock: {detail}"
    if kind == "time_limit":
        return f"{name} ran past the virtual time limit: {detail}"
    if kind == "exit":
        return f"{name} exited with status {detail}."
    return f"{name} raised {error['type']}; fix the example (run it with: python {name}).\n{detail}"


def display_path(path: Path) -> str:
    """The path relative to the repo root where possible, with forward slashes."""
    with contextlib.suppress(ValueError):
        return Path(path).resolve().relative_to(REPO).as_posix()
    return Path(path).as_posix()


_FRAME = re.compile(r'^(?P<indent>\s*)File "(?P<file>[^"]+)", line \d+,? in ')


def drop_own_frames(text: str) -> str:
    """Remove traceback entries (and their source lines) that belong to the tracer itself."""
    kept: list[str] = []
    skip_deeper_than: int | None = None
    for line in text.splitlines(keepends=True):
        indent = len(line) - len(line.lstrip())
        if skip_deeper_than is not None and indent > skip_deeper_than and line.strip():
            continue
        skip_deeper_than = None
        match = _FRAME.match(line)
        if match and match["file"] in _OWN_FILES:
            skip_deeper_than = len(match["indent"])
            continue
        kept.append(line)
    return "".join(kept)


def normalize(text: str, stdlib: str) -> str:
    """Drop the tracer's frames; show the repo root as relative paths and stdlib as <stdlib>/."""
    text = drop_own_frames(text)
    text = text.replace(stdlib.rstrip(os.sep) + os.sep, "<stdlib>/")
    return text.replace(str(REPO) + os.sep, "")


def stuck_at(dump: str) -> str:
    """`examples/x.py:5 in spin`: the innermost frame outside the tracer in a faulthandler dump."""
    for line in dump.splitlines():
        match = re.match(r'\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<fn>\S+)', line)
        if match and match["file"] not in _OWN_FILES:
            return f"{display_path(Path(match['file']))}:{match['line']} in {match['fn']}"
    return ""


# -- child side ---------------------------------------------------------------------------------


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

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
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
            (base, "create_task", base.create_task),
            (base, "call_soon", base.call_soon),
            (asyncio, "shield", asyncio.shield),
            (asyncio.tasks, "shield", asyncio.tasks.shield),
        ]
        # Every event loop class that defines its own run_in_executor.
        loops = [cls for cls in (base, VirtualEventLoop) if "run_in_executor" in vars(cls)]
        saved += [(cls, "run_in_executor", vars(cls)["run_in_executor"]) for cls in loops]
        builtins.print = self.patched_print(builtins.print)
        base.create_task = self.patched_create_task(base.create_task)
        base.call_soon = self.patched_call_soon()
        asyncio.shield = asyncio.tasks.shield = self.patched_shield(asyncio.shield)
        for cls in loops:
            cls.run_in_executor = self.patched_run_in_executor(vars(cls)["run_in_executor"])
        try:
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

        return print

    def record_print(self, text: str) -> None:
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
                coro=describe_coroutine(coro),
                parent=_current_task_name(),
                created=tracer.loop_now(),
            )
            tracer.tasks.append(record)
            task = create_task(loop, _TracedCoroutine(coro, record, tracer), **kwargs)
            # Debug mode shows where a task was created: that is the caller, not this wrapper.
            source = getattr(task, "_source_traceback", None)
            if source and source[-1].filename in _OWN_FILES:
                del source[-1]
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
                    record.ready_since = tracer.loop_now()
            return handle

        return call_soon

    def patched_shield(self, shield: Callable[..., Any]) -> Callable[..., Any]:
        def traced_shield(arg: Any) -> Any:
            outer = shield(arg)
            if outer is not arg:
                self.labels[outer] = f"shield({_describe_awaitable(arg, self.labels)})"
            return outer

        return traced_shield

    def patched_run_in_executor(self, run_in_executor: Callable[..., Any]) -> Callable[..., Any]:
        def traced_run_in_executor(loop: Any, executor: Any, func: Any, *args: Any) -> Any:
            future = run_in_executor(loop, executor, func, *args)
            self.labels[future] = f"run_in_executor({_callable_name(func)})"
            return future

        return traced_run_in_executor

    # -- steps --------------------------------------------------------------------------------

    def step(self, record: _TaskRecord, coro: Any, method: Callable[..., Any], *args: Any) -> Any:
        start = self.loop_now()
        record.name = _current_task_name() or record.name  # set_name() may have renamed it
        if record.steps:  # the first step follows creation, not a wait
            record.waits[-1]["end"] = start
            if record.ready_since is not None:
                record.ready.append([record.ready_since, start])
        record.ready_since = None
        try:
            yielded = method(*args)
        except StopIteration as stop:
            self.finish(record, start, "result", result=_safe_repr(stop.value))
            raise
        except asyncio.CancelledError:
            self.finish(record, start, "cancelled")
            raise
        except BaseException as exc:
            self.finish(record, start, "exception", exception=_safe_repr(exc))
            raise
        end = self.loop_now()
        record.steps.append([start, end])
        record.waits.append({"start": end, "end": None, "on": _describe_wait(coro, yielded, self)})
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
                }
            )
        prints = [{**p, "time": t(p["time"])} for p in self.prints]
        return {"elapsed": t(end), "tasks": tasks, "prints": prints}


def _current_task_name() -> str | None:
    loop = asyncio._get_running_loop()
    task = asyncio.current_task(loop) if loop is not None else None
    return task.get_name() if task is not None else None


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:  # a broken __repr__ must not break the trace
        return f"<repr failed: {type(exc).__name__}>"


def _callable_name(func: Any) -> str:
    func = getattr(func, "func", func)  # functools.partial, as asyncio.to_thread uses
    return getattr(func, "__qualname__", None) or type(func).__name__


_ASYNCIO_DIR = str(Path(asyncio.__file__).parent)


def _describe_awaitable(value: Any, labels: Any) -> str:
    """What a future stands for: `Task-2`, `gather(Task-2, Task-3)`, `sleep(1)`, `future`."""
    if isinstance(value, asyncio.Task):
        return value.get_name()
    if isinstance(value, asyncio.Future):
        if value in labels:
            return labels[value]
        children = getattr(value, "_children", None)  # a gather() future
        if children is not None:
            return f"gather({', '.join(_describe_awaitable(c, labels) for c in children)})"
        return "future"
    if asyncio.iscoroutine(value):
        return describe_coroutine(value)
    return type(value).__name__


def _describe_wait(coro: Any, yielded: Any, tracer: _Tracer) -> str:
    """What a suspended task waits on: the asyncio call its own code made, or the future."""
    frame_owner = coro
    while frame_owner is not None:
        frame = getattr(frame_owner, "cr_frame", None) or getattr(frame_owner, "gi_frame", None)
        if frame is None:
            break
        if os.path.dirname(frame.f_code.co_filename) == _ASYNCIO_DIR:
            return _describe_asyncio_call(frame, yielded, tracer)
        frame_owner = getattr(frame_owner, "cr_await", None) or getattr(
            frame_owner, "gi_yieldfrom", None
        )
    if yielded is None:
        return "sleep(0)"  # a bare yield: the task only gave other tasks a turn
    return _describe_awaitable(yielded, tracer.labels)


def _describe_asyncio_call(frame: types.FrameType, yielded: Any, tracer: _Tracer) -> str:
    """`sleep(1)`, `wait_for(Task-2, timeout=1)`, `to_thread(work)`, `Event.wait()`, ..."""
    name = frame.f_code.co_qualname
    values = frame.f_locals
    if name == "sleep":
        return f"sleep({values.get('delay')!r})"
    if name == "wait_for":
        target = _describe_awaitable(values.get("fut"), tracer.labels)
        return f"wait_for({target}, timeout={values.get('timeout')!r})"
    if name == "to_thread":
        return f"to_thread({_callable_name(values.get('func'))})"
    if name == "wait":
        futures = ", ".join(_describe_awaitable(f, tracer.labels) for f in values.get("fs", ()))
        return f"wait({futures})"
    if name.endswith(".__aexit__"):  # e.g. the end of `async with asyncio.TaskGroup()`
        return name.removesuffix(".__aexit__")
    return f"{name}()"


def child_main(argv: list[str]) -> None:
    """Entry point of the child process (see trace_script)."""
    script, result_file, clock, time_limit, timeout, dump_file = argv
    path = Path(script)
    with open(dump_file, "w", encoding="utf-8") as dump:
        faulthandler.dump_traceback_later(float(timeout), exit=True, file=dump)
        sys.argv = [display_path(path)]
        sys.path[:2] = [str(path.parent)]  # as `python script.py`: its directory first
        with contextlib.ExitStack() as stack:
            if clock == "virtual":
                virtual = stack.enter_context(installed(time_limit=float(time_limit)))
                tracer = _Tracer(lambda: virtual.now)
            else:
                tracer = _Tracer(time.perf_counter)
            stack.enter_context(tracer.install())
            error = _run_script(path)
            # The script ends, as `python script.py` does, once its threads have finished
            # (executor workers included); their prints belong to the trace.
            threading._shutdown()  # type: ignore[attr-defined]
            trace = tracer.trace(tracer.clock())
        faulthandler.cancel_dump_traceback_later()
    if not Path(dump_file).stat().st_size:
        os.unlink(dump_file)
    sys.stdout.flush()
    sys.stderr.flush()
    trace = {
        "script": display_path(path),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "clock": clock,
        **trace,
        "stdlib": os.path.dirname(os.__file__),
        "error": error,
    }
    Path(result_file).write_text(json.dumps(trace, ensure_ascii=False), encoding="utf-8")


def _run_script(path: Path) -> dict[str, str] | None:
    """Run the script as __main__; report how it failed, printing its traceback as Python would."""
    code = compile(path.read_bytes(), str(path), "exec")
    # Debug mode keeps this many frames of where coroutines and tasks were created; count ours
    # (all below the example's, and dropped from the output) so that the example's all stay.
    asyncio.constants.DEBUG_STACK_DEPTH += len(traceback.extract_stack())
    module = types.ModuleType("__main__")
    module.__file__ = str(path)
    module.__builtins__ = __builtins__  # type: ignore[attr-defined]
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
    except SystemExit as exc:
        if exc.code in (None, 0):
            return None
        if not isinstance(exc.code, int):
            print(exc.code, file=sys.__stderr__)
        return {"kind": "exit", "type": "SystemExit", "detail": str(exc.code)}
    except BaseException as exc:
        if isinstance(exc, DeadlockError | TimeLimitError):
            kind = "deadlock" if isinstance(exc, DeadlockError) else "time_limit"
            return {"kind": kind, "type": type(exc).__name__, "detail": str(exc)}
        text = "".join(traceback.format_exception(exc.with_traceback(exc.__traceback__.tb_next)))
        sys.stderr.write(text)
        return {"kind": "exception", "type": type(exc).__name__, "detail": text}
    return None


def serve() -> None:
    """The fork server's loop (see _ForkServer): fork a child per request, report its exit."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)  # a child's exit wakes the select below
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    pending = b""
    gc.freeze()  # children then neither scan nor copy-on-write the server's own objects
    while True:
        for key, _ in selector.select():
            if key.fd == wake_read:
                os.read(wake_read, 4096)
                continue
            data = os.read(0, 65536)
            if not data:
                return  # the parent has gone
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    for fd in (wake_read, wake_write):
                        os.close(fd)
                    _run_forked(json.loads(line))
                _answer({"started": pid})
        _reap_children()


def _reap_children() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _answer({"exited": pid, "status": os.waitstatus_to_exitcode(status)})


def _answer(message: dict[str, int]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _run_forked(request: dict[str, Any]) -> None:
    """In a forked child: take the example's stdin/stdout/stderr, trace it, exit as usual."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        opened = os.open(path, flags, 0o644)
        os.dup2(opened, fd)
        os.close(opened)
    child_main(request["args"])
    # Unwind through the server's frames to a normal interpreter exit, as `python script.py`
    # would end (thread joins, atexit, warnings and messages at shutdown).
    sys.exit(0)


if __name__ == "__main__":  # a child (or the fork server) started by trace_script
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        child_main(sys.argv[1:])
