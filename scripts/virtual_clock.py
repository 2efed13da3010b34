"""A virtual clock for asyncio: examples that "take" seconds run in milliseconds, with exact times.

While `installed()` is active, every event loop that asyncio creates is a `VirtualEventLoop`, and
`time.time`, `time.monotonic`, `time.perf_counter` (and `_ns` variants) and `time.sleep` use the
virtual clock. The model, in the manner of a discrete-event simulation:

* The loop's own code (callbacks, task steps, CPU work) costs zero virtual time.
* When nothing is ready, the loop jumps straight to the next timer (Trio's MockClock "autojump").
  Timers due at the same instant fire first in, first out: they are ordered by (when, sequence).
* A blocking `time.sleep(x)` in the loop's thread advances the clock by x while the loop is blocked.
* Work submitted with `run_in_executor` / `asyncio.to_thread` is tracked as a job. While a job runs
  real code (or has returned and its result is on the way to the loop) virtual time stands still
  and the loop really waits for it. A `time.sleep(x)` inside a job parks the thread until virtual
  time reaches now + x; the clock jumps there once every job is parked, so the times a real run
  would show come out exact, whatever the machine's speed.
* Outside a running virtual loop (no loop at all), `time.sleep` simply advances the clock.

Not modelled: plain `threading.Thread`s are invisible (their sleeps are virtual, but the loop
does not wait for them; it only gives them half a second of real time before it reports a
deadlock); `datetime.now()` and `time.strftime` still read the real clock; sockets and pipes are
real (polled before each jump, waited for really when no timer is left); work in other processes
costs no virtual time; a job still sleeping after every loop is closed moves the clock itself,
alongside whatever the main thread does meanwhile; if the loop's thread blocks on anything but
`time.sleep` (a lock, a join) while a job sleeps, nothing moves the clock (the tracer's real
timeout then reports where it is stuck).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import heapq
import itertools
import math
import os
import re
import reprlib
import selectors
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

# 2024-01-01T00:00:00Z: time.time() is this epoch plus the virtual seconds.
EPOCH = 1_704_067_200.0

_TIME_FUNCTIONS = (
    "time",
    "time_ns",
    "monotonic",
    "monotonic_ns",
    "perf_counter",
    "perf_counter_ns",
    "sleep",
)
_REAL = {name: getattr(time, name) for name in _TIME_FUNCTIONS}

_HINT_DEADLOCK = (
    "Every awaited future needs someone to set its result (or cancel it), every awaited task must "
    "be able to finish, and an awaited event or queue needs a producer."
)
_HINT_TIME_LIMIT = (
    "Give the program a way to end (a loop counter, asyncio.timeout(), cancelling the task), "
    "or raise time_limit if it really runs that long."
)


class DeadlockError(RuntimeError):
    """Tasks are pending but nothing is ready, no timer is set and no outside work is pending."""


class TimeLimitError(RuntimeError):
    """Virtual time would pass the clock's time limit."""


# What an idle loop does next (VirtualClock._idle).
MOVED, WAIT, STUCK = "moved", "wait", "stuck"
# Real seconds an idle loop waits for plain threads before it reports a deadlock.
_THREAD_GRACE = 0.5

# Job states; see the module docstring.
QUEUED, RUNNING, SLEEPING, RETURNED = "queued", "running", "sleeping", "returned"
JOINING = "joining"  # the default executor's shutdown, waiting for the jobs still in it


@dataclass(eq=False)
class _Job:
    """One piece of outside work: an executor call, or the join of the default executor."""

    state: str
    executor: object = None
    capacity: int | None = None  # worker threads of a ThreadPoolExecutor; None if unknown


@dataclass(order=True)
class _Sleeper:
    """A thread parked in a virtual time.sleep until the clock reaches `when`."""

    when: float
    seq: int
    job: _Job | None = field(compare=False, default=None)
    woken: bool = field(compare=False, default=False)
    expired: bool = field(compare=False, default=False)


class VirtualClock:
    """Virtual seconds shared by virtual event loops, the patched `time` functions and threads."""

    def __init__(self, start: float = 0.0, *, time_limit: float = math.inf) -> None:
        self.now = float(start)
        self.time_limit = time_limit
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._sleepers: list[_Sleeper] = []
        self._jobs: list[_Job] = []
        self._loops: weakref.WeakSet[VirtualEventLoop] = weakref.WeakSet()
        self._local = threading.local()
        self._pid = os.getpid()

    def next_seq(self) -> int:
        """A sequence number that orders timers and parked threads due at the same instant."""
        return next(self._seq)

    # -- time functions -------------------------------------------------------------------------

    def time_functions(self) -> dict[str, Callable[..., Any]]:
        """Replacements for the `time` module's clock functions, reading this clock."""

        def forked() -> bool:
            # A forked child (multiprocessing) has no loop driving this clock: use real time.
            return os.getpid() != self._pid

        def seconds(name: str, offset: float) -> Callable[[], float]:
            real = _REAL[name]
            return lambda: real() if forked() else offset + self.now

        def nanoseconds(name: str, offset: float) -> Callable[[], int]:
            real = _REAL[name]
            return lambda: real() if forked() else round((offset + self.now) * 1e9)

        def sleep(seconds: float) -> None:
            if forked():
                _REAL["sleep"](seconds)
            else:
                self.sleep(seconds)

        return {
            "time": seconds("time", EPOCH),
            "time_ns": nanoseconds("time_ns", EPOCH),
            "monotonic": seconds("monotonic", 0.0),
            "monotonic_ns": nanoseconds("monotonic_ns", 0.0),
            "perf_counter": seconds("perf_counter", 0.0),
            "perf_counter_ns": nanoseconds("perf_counter_ns", 0.0),
            "sleep": sleep,
        }

    def sleep(self, seconds: float) -> None:
        """time.sleep: the loop's thread advances the clock; other threads park until it gets
        there. A job's thread parks as long as a loop is open (it may run again), any other
        thread while a loop runs; with no loop to drive the clock, the sleeper advances it."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        running = self._running_loops()
        if any(loop._thread_id == threading.get_ident() for loop in running):
            self.advance(seconds)
        elif running or (getattr(self._local, "job", None) and self._open_loops()):
            self._park(seconds)
        else:
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move the clock forward, waking parked threads in order and letting each settle."""
        with self._cond:
            self._advance_to(self.now + seconds)

    def _advance_to(self, target: float) -> None:
        own_job = getattr(self._local, "job", None)
        if own_job is not None:  # a job thread driving the clock is not running anything else
            own_job.state = SLEEPING
        try:
            # Jobs already under way must reach their own sleeps at the current time first.
            self._cond.wait_for(self._threads_settled)
            while self._sleepers and self._sleepers[0].when <= target:
                self._wake(heapq.heappop(self._sleepers))
                self._cond.wait_for(self._threads_settled)
            self._set_now(target)
        finally:
            if own_job is not None:
                own_job.state = RUNNING

    def _park(self, seconds: float) -> None:
        with self._cond:
            job = getattr(self._local, "job", None)
            sleeper = _Sleeper(self.now + seconds, self.next_seq(), job)
            heapq.heappush(self._sleepers, sleeper)
            if sleeper.job is not None:
                sleeper.job.state = SLEEPING
            self._changed()
            self._cond.wait_for(lambda: sleeper.woken or not self._open_loops())
            if not sleeper.woken:  # every loop was closed meanwhile: move time on ourselves
                self._sleepers.remove(sleeper)
                heapq.heapify(self._sleepers)
                self._advance_to(sleeper.when)
            elif sleeper.expired:
                raise TimeLimitError(f"virtual time passed the limit of {self.time_limit:g} s")

    def _wake(self, sleeper: _Sleeper) -> None:
        self._set_now(sleeper.when)
        if sleeper.job is not None:
            sleeper.job.state = RUNNING
        sleeper.woken = True
        self._cond.notify_all()

    def _set_now(self, when: float) -> None:
        if when > self.time_limit:
            self._expire()
            raise TimeLimitError(self._time_limit_message(when))
        self.now = max(self.now, when)

    def _expire(self) -> None:
        # Release parked threads so that nothing waits forever for a clock that has stopped.
        for sleeper in self._sleepers:
            sleeper.woken = sleeper.expired = True
        self._sleepers.clear()
        self._cond.notify_all()

    # -- outside work ---------------------------------------------------------------------------

    def _changed(self) -> None:
        """Outside work changed state: wake anyone deciding whether time may advance."""
        self._cond.notify_all()
        for loop in self._running_loops():
            loop._write_to_self()

    def _threads_settled(self) -> bool:
        """No job runs real code and no queued job can start (every worker is parked)."""
        if any(job.state == RUNNING for job in self._jobs):
            return False
        for job in self._jobs:
            if job.state == QUEUED:
                parked = sum(
                    other.state == SLEEPING and other.executor is job.executor
                    for other in self._jobs
                )
                if job.capacity is None or parked < job.capacity:
                    return False
        return True

    def _outside_busy(self) -> bool:
        """True while the loop must really wait for jobs before time may advance."""
        if not self._threads_settled():
            return True
        if any(job.state == RETURNED for job in self._jobs):
            return True
        # The executor join is busy only once no job is left for it to wait for.
        states = {job.state for job in self._jobs}
        return states == {JOINING}

    def _start_job(self, job: _Job) -> None:
        with self._cond:
            self._jobs.append(job)

    def _job_thread_enter(self, job: _Job) -> None:
        with self._cond:
            job.state = RUNNING
            self._local.job = job

    def _job_thread_exit(self, job: _Job) -> None:
        with self._cond:
            self._local.job = None
            job.state = RETURNED
            self._changed()

    def _finish_job(self, job: _Job) -> None:
        with self._cond:
            if job in self._jobs:
                self._jobs.remove(job)
            self._changed()

    # -- the loop's view ------------------------------------------------------------------------

    def _add_loop(self, loop: VirtualEventLoop) -> None:
        with self._cond:
            self._loops.add(loop)

    def _running_loops(self) -> list[VirtualEventLoop]:
        with self._cond:
            return [loop for loop in self._loops if loop.is_running()]

    def _open_loops(self) -> list[VirtualEventLoop]:
        with self._cond:
            return [loop for loop in self._loops if not loop.is_closed()]

    def _loop_closed(self) -> None:
        with self._cond:
            self._cond.notify_all()  # parked threads may have to drive the clock themselves

    def _idle(self, loop: VirtualEventLoop, has_io: bool) -> str:
        """Nothing is ready on `loop`: move time on if anything is due. Returns MOVED, WAIT (for
        outside work or I/O, really) or STUCK (nothing at all can wake the loop)."""
        with self._cond:
            if self._outside_busy():
                return WAIT
            timer = loop._next_timer()
            sleeper = self._sleepers[0] if self._sleepers else None
            if sleeper is not None and (timer is None or (sleeper.when, sleeper.seq) < timer):
                self._wake(heapq.heappop(self._sleepers))
                return MOVED
            if timer is not None:
                self._set_now(timer[0])
                return MOVED
            return WAIT if has_io else STUCK

    def deadlock_message(self, loop: VirtualEventLoop) -> str:
        return (
            f"deadlock at virtual time {self.now:g} s: nothing is ready, no timer is set and no "
            f"thread or I/O is pending, so nothing can ever wake the event loop.\n"
            f"{describe_pending_tasks(loop)}\n{_HINT_DEADLOCK}"
        )

    def _time_limit_message(self, when: float) -> str:
        pending = "\n".join(describe_pending_tasks(loop) for loop in self._running_loops())
        return (
            f"virtual time would pass the limit of {self.time_limit:g} s (next event at "
            f"{when:g} s): the program keeps scheduling work.\n"
            f"{pending or 'No event loop is running.'}\n{_HINT_TIME_LIMIT}"
        )


class _TimerHandle(asyncio.TimerHandle):
    """A timer ordered by (when, sequence), so that ties fire first in, first out."""

    __slots__ = ("_seq",)

    def __init__(self, when: float, seq: int, *args: Any) -> None:
        super().__init__(when, *args)
        self._seq = seq

    def key(self) -> tuple[float, int]:
        return (self._when, self._seq)

    def __lt__(self, other: object) -> bool:
        if isinstance(other, _TimerHandle):
            return self.key() < other.key()
        return super().__lt__(other)

    def __le__(self, other: object) -> bool:
        if isinstance(other, _TimerHandle):
            return self.key() <= other.key()
        return super().__le__(other)

    def __gt__(self, other: object) -> bool:
        if isinstance(other, _TimerHandle):
            return self.key() > other.key()
        return super().__gt__(other)

    def __ge__(self, other: object) -> bool:
        if isinstance(other, _TimerHandle):
            return self.key() >= other.key()
        return super().__ge__(other)


class _VirtualSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """Polls real file descriptors; when nothing is ready, the clock jumps instead of waiting."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self.loop: VirtualEventLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(0)
        if events or (timeout is not None and timeout <= 0) or self.loop is None:
            return events
        # The loop's own wake-up pipe is always registered; anything else is real I/O.
        has_io = len(self.get_map()) > 1
        step = self.clock._idle(self.loop, has_io)
        if step == MOVED:
            return []
        if step == WAIT:
            return super().select(None)
        # A plain thread (which the clock does not see) may still call the loop back: give
        # other threads a moment of real time before calling it a deadlock.
        events = super().select(_THREAD_GRACE if threading.active_count() > 1 else 0)
        if events:
            return events
        raise DeadlockError(self.clock.deadlock_message(self.loop))


class VirtualEventLoop(asyncio.SelectorEventLoop):  # type: ignore[misc,valid-type]
    """A selector event loop whose time is a `VirtualClock`."""

    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.clock = clock if clock is not None else VirtualClock()
        selector = _VirtualSelector(self.clock)
        super().__init__(selector)
        selector.loop = self
        self.clock._add_loop(self)

    def time(self) -> float:
        return self.clock.now

    def close(self) -> None:
        super().close()
        self.clock._loop_closed()

    def _next_timer(self) -> tuple[float, int] | None:
        # _run_once has dropped cancelled timers from the head of the heap before it selects.
        if not self._scheduled:
            return None
        head = self._scheduled[0]
        return head.key() if isinstance(head, _TimerHandle) else (head._when, -1)

    def call_at(
        self, when: float, callback: Callable[..., Any], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        # Same as BaseEventLoop.call_at (3.11-3.13) but with a sequenced timer handle.
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = _TimerHandle(when, self.clock.next_seq(), callback, args, self, context)
        if timer._source_traceback:
            del timer._source_traceback[-1]
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def run_in_executor(
        self, executor: concurrent.futures.Executor | None, func: Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any]:
        # Same as BaseEventLoop.run_in_executor (3.11-3.13) but the call is tracked as a job.
        self._check_closed()
        if self._debug:
            self._check_callback(func, "run_in_executor")
        if executor is None:
            executor = self._default_executor
            self._check_default_executor()
            if executor is None:
                executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="asyncio")
                self._default_executor = executor
        capacity = None
        if isinstance(executor, concurrent.futures.ThreadPoolExecutor):
            capacity = executor._max_workers
        job = _Job(QUEUED, executor, capacity)
        self.clock._start_job(job)
        try:
            source = executor.submit(self._job_runner(job, func), *args)
        except BaseException:
            self.clock._finish_job(job)
            raise
        future = asyncio.wrap_future(source, loop=self)
        # Callbacks of `source` run in order: its result is handed to the loop first, then the
        # job is dropped, so time cannot advance between the two.
        source.add_done_callback(lambda _: self._finish_job_soon(job))
        return future

    def _job_runner(self, job: _Job, func: Callable[..., Any]) -> Callable[..., Any]:
        clock = self.clock

        def run(*args: Any) -> Any:
            clock._job_thread_enter(job)
            try:
                return func(*args)
            finally:
                clock._job_thread_exit(job)

        return run

    def _finish_job_soon(self, job: _Job) -> None:
        if self.is_closed():
            self.clock._finish_job(job)
        else:
            self.call_soon_threadsafe(self.clock._finish_job, job)

    async def shutdown_default_executor(self, *args: Any) -> None:
        job = _Job(JOINING)
        self.clock._start_job(job)
        try:
            await super().shutdown_default_executor(*args)
        finally:
            self.clock._finish_job(job)


class _VirtualPolicy(asyncio.DefaultEventLoopPolicy):  # type: ignore[misc,valid-type]
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock

    def new_event_loop(self) -> VirtualEventLoop:
        return VirtualEventLoop(self.clock)


@contextlib.contextmanager
def installed(
    clock: VirtualClock | None = None, *, time_limit: float = 3600.0
) -> Iterator[VirtualClock]:
    """While active: every event loop created by asyncio.run / asyncio.Runner /
    asyncio.new_event_loop is a VirtualEventLoop on `clock` (through the event loop policy, so
    unmodified scripts pick it up); time.time, time.monotonic, time.perf_counter (and their _ns
    variants) read the virtual clock; a blocking time.sleep advances it. Everything is restored on
    exit. Usable in-process (pytest runs examples in-process with it)."""
    clock = clock if clock is not None else VirtualClock()
    clock.time_limit = time_limit
    saved_policy = asyncio.get_event_loop_policy()
    saved_time = {name: getattr(time, name) for name in _TIME_FUNCTIONS}
    asyncio.set_event_loop_policy(_VirtualPolicy(clock))
    for name, function in clock.time_functions().items():
        setattr(time, name, function)
    try:
        yield clock
    finally:
        for name, function in saved_time.items():
            setattr(time, name, function)
        asyncio.set_event_loop_policy(saved_policy)


# -- describing tasks, shared with the tracer ---------------------------------------------------

_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxother = 40


def _value_repr(value: Any) -> str:
    """A short repr without memory addresses, which would differ from run to run."""
    if callable(value) and hasattr(value, "__qualname__"):
        return value.__qualname__
    return re.sub(r" at 0x[0-9a-fA-F]+", "", _repr.repr(value))


def describe_coroutine(coro: Any) -> str:
    """`delay(3)`: the coroutine's name and the arguments it was called with (frame locals)."""
    name = getattr(coro, "__name__", type(coro).__name__)
    frame = getattr(coro, "cr_frame", None)
    if frame is None:
        return f"{name}()"
    code, values = frame.f_code, frame.f_locals
    positional = code.co_argcount
    names = code.co_varnames[: positional + code.co_kwonlyargcount]
    parts = [_value_repr(values[n]) for n in names[:positional] if n in values and n != "self"]
    extra = positional + code.co_kwonlyargcount
    if code.co_flags & 0x04:  # CO_VARARGS: *args follow the named parameters
        parts += [_value_repr(v) for v in values.get(code.co_varnames[extra], ())]
        extra += 1
    parts += [f"{n}={_value_repr(values[n])}" for n in names[positional:] if n in values]
    if code.co_flags & 0x08:  # CO_VARKEYWORDS
        kwargs = values.get(code.co_varnames[extra], {})
        parts += [f"{k}={_value_repr(v)}" for k, v in kwargs.items()]
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
