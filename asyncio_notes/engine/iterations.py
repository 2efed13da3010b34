"""The loop's story: what each event-loop iteration ran, and what was ready and pending around it.

Recorded by patching `BaseEventLoop._run_once` (an iteration) and `Handle._run` (one handle it
runs), so it works the same on the real loop and on the virtual one: the differential check
(devtools/clock_fuzz.py) compares the two iteration by iteration. The tracer (instrument.py) adds
what a task step did: where it resumed and suspended, and what it then awaits.

Handles that are the loop's own plumbing, not the program's, are left out: asyncio.run's stop
callback, the self-pipe's reader, the engine's own callbacks and asyncio.run's clean-up tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from asyncio_notes.engine.describe import await_frames, callable_name

# Callbacks of asyncio's own plumbing (a real run has them too, but they are not the program's).
_PLUMBING = {"_run_until_complete_cb", "_read_from_self"}
# What a task step's handle calls: the C Task's wrapper types and methods, the Python Task's.
_STEP_NAMES = {"task_wakeup", "_Task__step", "_Task__wakeup", "__step", "__wakeup"}
# Entries shown of a long ready queue or timer list (a run with thousands of tasks).
SHOWN = 16
# Handles recorded in all: past this the story is cut (and says so), so a huge run stays small.
MAX_HANDLES = 1000

_ENGINE_DIR = str(Path(__file__).resolve().parent)


def step_task(callback: Any) -> asyncio.Task[Any] | None:
    """The task whose step this callback runs (its first step or a wake-up), else None."""
    owner = getattr(callback, "__self__", None)
    if not isinstance(owner, asyncio.Task):
        return None
    kind = type(callback).__name__
    name = getattr(callback, "__name__", None) or kind
    return owner if name in _STEP_NAMES or kind == "TaskStepMethWrapper" else None


def _earliest(heap: list[Any]) -> Iterator[Any]:
    """A heap's items in the order heappop would give them, without popping: a walk from the
    root, so the first few cost a few steps, not a sort of the whole heap."""
    frontier = [(heap[0], 0)] if heap else []
    while frontier:
        item, index = heapq.heappop(frontier)
        yield item
        for child in (2 * index + 1, 2 * index + 2):
            if child < len(heap):
                heapq.heappush(frontier, (heap[child], child))


def _is_plumbing(callback: Any) -> bool:
    function = getattr(callback, "func", callback)  # functools.partial
    if getattr(function, "__name__", None) in _PLUMBING:
        return True
    code = getattr(function, "__code__", None)
    return code is not None and str(Path(code.co_filename).resolve().parent) == _ENGINE_DIR


class IterationRecorder:
    """Collects the iterations of one run. `name_of(task)` gives a traced task's name, or None
    for a task that is not the program's (asyncio.run's clean-up)."""

    def __init__(
        self,
        clock: Callable[[], float],
        name_of: Callable[[asyncio.Task[Any]], str | None],
        folder: Path,
        addresses: Callable[[str], str],
        detail: bool = True,
    ) -> None:
        self.clock = clock
        # Without detail (a real-clock run, compared by its handles alone) no ready queue,
        # timers or frames are recorded: each costs real time, which would shift real deadlines.
        self.detail = detail
        self.name_of = name_of
        self.folder = str(folder.resolve())
        self.addresses = addresses
        self.iterations: list[dict[str, Any]] = []
        self.cut = 0  # handles not recorded past MAX_HANDLES
        self._handles = 0
        self._loop: Any = None
        self._pending: dict[str, Any] | None = None  # this iteration, until it runs a handle
        self._entry: dict[str, Any] | None = None  # the handle running now
        self._own: dict[str, bool] = {}

    # -- patches

    @contextlib.contextmanager
    def install(self) -> Iterator[None]:
        base, handle = asyncio.BaseEventLoop, asyncio.events.Handle
        saved = [(base, "_run_once", base._run_once), (handle, "_run", handle._run)]
        run_once, run = base._run_once, handle._run
        recorder = self

        def _run_once(loop: Any) -> None:
            recorder._loop, recorder._pending = loop, None
            try:
                run_once(loop)
            finally:
                recorder._pending = None

        def _run(h: Any) -> None:
            entry = recorder.begin(h)
            try:
                run(h)
            finally:
                if entry is not None:
                    recorder.end(entry)

        base._run_once, handle._run = _run_once, _run  # type: ignore[method-assign]
        try:
            yield
        finally:
            for owner, name, value in saved:
                setattr(owner, name, value)

    # -- describing handles

    def describe(self, handle: Any) -> dict[str, Any] | None:
        """`{"task": "Task-2"}` for a task step; `{"task": None, "callback": ..., "wakes": [...]}`
        for a plain callback; None for the loop's plumbing. Timers add `"when"`."""
        callback = handle._callback
        if callback is None:
            return None
        task = step_task(callback)
        if task is not None:
            name = self.name_of(task)
            described: dict[str, Any] | None = None if name is None else {"task": name}
        elif _is_plumbing(callback):
            described = None
        else:
            described = {
                "task": None,
                "callback": self.addresses(callable_name(callback)),
                "wakes": self._wakes(callback, handle._args),
            }
        if described is not None and isinstance(handle, asyncio.TimerHandle):
            described["when"] = handle._when
        return described

    def _wakes(self, callback: Any, args: tuple[Any, ...]) -> list[str]:
        """The tasks a callback will wake: a task it is a method of (`task.cancel`, a timeout's
        `_on_timeout`), or the tasks waiting on a future it completes (a sleep's timer)."""
        owner = getattr(callback, "__self__", None)
        tasks = [t for t in (owner, getattr(owner, "_task", None)) if isinstance(t, asyncio.Task)]
        for value in (owner, *args):
            if isinstance(value, asyncio.Future) and not isinstance(value, asyncio.Task):
                waiting = getattr(value, "_callbacks", None) or ()
                tasks += [task for cb, _ in waiting if (task := step_task(cb)) is not None]
        return list(dict.fromkeys(name for t in tasks if (name := self.name_of(t))))

    def _queue(self, handles: Iterator[Any], total: int) -> list[dict[str, Any]]:
        """The first SHOWN of `handles` (of `total`) that are the program's, and how many more:
        a snapshot costs the same whatever the queue's length (a run may have 10,000 tasks)."""
        shown: list[dict[str, Any]] = []
        seen = 0
        for handle in handles:
            seen += 1
            described = None if handle._cancelled else self.describe(handle)
            if described is not None:
                shown.append(described)
                if len(shown) == SHOWN:
                    break
        more = total - seen
        return shown + ([{"more": more}] if more > 0 else [])

    def _snapshot(self, loop: Any, running: Any = None) -> dict[str, Any]:
        ready = loop._ready
        first = itertools.chain([running] if running is not None else [], ready)
        scheduled = loop._scheduled
        timers = len(scheduled) - loop._timer_cancelled_count  # asyncio's own count
        return {
            "ready": self._queue(first, len(ready) + (running is not None)),
            "timers": self._queue(_earliest(scheduled), timers),
        }

    # -- recording

    def begin(self, handle: Any) -> dict[str, Any] | None:
        loop = self._loop
        if loop is None or handle._loop is not loop:
            return None
        described = self.describe(handle)
        if described is None:
            return None
        if self._handles >= MAX_HANDLES:
            self.cut += 1
            return None
        self._handles += 1
        now = self.clock()
        if self._pending is None:
            # The iteration's first handle of the program's: the state as it starts to run them.
            state = self._snapshot(loop, running=handle) if self.detail else {}
            self._pending = {"time": now, **state, "ran": []}
            self.iterations.append(self._pending)
        described.pop("when", None)
        entry = {**described, "time": now}
        self._pending["ran"].append(entry)
        self._entry = entry
        return entry

    def end(self, entry: dict[str, Any]) -> None:
        self._entry = None
        if self.detail:
            entry.update(self._snapshot(self._loop))

    def frames(self, coro: Any) -> list[list[Any]]:
        """[file, line] of each frame of the script's own files in a task's await chain,
        outermost first (the file relative to the script's folder)."""
        found = []
        for frame in await_frames(coro):
            filename = frame.f_code.co_filename
            own = self._own.get(filename)
            if own is None:
                own = self._own[filename] = str(Path(filename).resolve().parent) == self.folder
            if own:
                found.append([Path(filename).name, frame.f_lineno])
        return found

    def step_started(self, name: str, coro: Any) -> dict[str, Any] | None:
        """A task step begins: the entry it belongs to (an eager task's first step, run inside
        another handle, gets an entry of its own)."""
        entry = self._entry
        if entry is None or self._pending is None:
            return None
        if entry.get("task") != name or "resumed" in entry:
            eager = {"task": name, "time": self.clock(), "eager": True}
            self._pending["ran"].append(eager)
            entry = eager
        entry["resumed"] = self.frames(coro) if self.detail else []
        return entry

    def step_ended(
        self, entry: dict[str, Any] | None, coro: Any, awaits: str | None, outcome: str | None
    ) -> None:
        if entry is None:
            return
        entry["suspended"] = self.frames(coro) if awaits is not None and self.detail else []
        entry["awaits"] = awaits
        entry["outcome"] = outcome
        if entry.get("eager") and self.detail:
            entry.update(self._snapshot(self._loop))

    def result(self, t: Callable[[float], float]) -> list[dict[str, Any]]:
        """The iterations with times as the trace shows them (`t`: seconds from its origin)."""

        def times(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{**i, "when": t(i["when"])} if "when" in i else i for i in items]

        out = []
        for iteration in self.iterations:
            ran = [
                {
                    **e,
                    "time": t(e["time"]),
                    "ready": e.get("ready", []),
                    "timers": times(e.get("timers", [])),
                }
                for e in iteration["ran"]
            ]
            out.append(
                {
                    "time": t(iteration["time"]),
                    "ready": iteration.get("ready", []),
                    "timers": times(iteration.get("timers", [])),
                    "ran": ran,
                }
            )
        return out
