"""A virtual clock for asyncio: examples that "take" seconds run in milliseconds, with exact times.

A `VirtualClock` holds virtual seconds for the virtual event loop (loop.py), for the `time`
module's clock functions and for threads that sleep. The model, in the manner of a discrete-event
simulation:

* The loop's own code costs zero virtual time. The tracer charges CPU work to this clock: 1 µs
  for each line of the script's own code that a task runs (cpu.py, CpuMeter).
* When nothing is ready, the loop waits as CPython's selector loop does on Linux, and the clock
  jumps to where that wait ends instead of waiting: `epoll_wait` takes whole milliseconds,
  rounded up, so the loop wakes at `now + ceil(ms)` and then runs every timer due by then in one
  iteration (loop.py, `wait_time`). Timers due at the same instant fire first in, first out: they
  are ordered by (when, sequence).
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
real (polled before each jump, waited for really when no timer is left); work in other
processes (a ProcessPoolExecutor, asyncio's subprocesses) costs no virtual time: the loop really
waits for it, as for a job running real code, and the stdlib code that waits for processes reads
real time; a job still sleeping after every loop is closed moves the clock itself, alongside
whatever the main thread does meanwhile; if the loop's thread blocks on anything but
`time.sleep` (a lock, a join) while a job sleeps, nothing moves the clock (the tracer's real
timeout then reports where it is stuck); two threads that call the loop back at one virtual
instant (a job's result and asyncio.run's join of the executor, say) reach it in one iteration or
in two as their real timing decides, which is a race on a real clock too (the clock fuzz skips it).
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asyncio_notes.engine.describe import describe_pending_tasks

if TYPE_CHECKING:
    from asyncio_notes.engine.loop import VirtualEventLoop

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
# Modules that wait for other processes: the time they read is real (see time_functions).
_REAL_TIME_MODULES = ("multiprocessing", "concurrent.futures.process", "subprocess")

_HINT_DEADLOCK = (
    "Every awaited future needs someone to set its result (or cancel it), every awaited task must "
    "be able to finish, and an awaited event or queue needs a producer."
)
_HINT_TIME_LIMIT = (
    "Give the program a way to end (a loop counter, asyncio.timeout(), cancelling the task)."
)


class DeadlockError(RuntimeError):
    """Tasks are pending but nothing is ready, no timer is set and no outside work is pending."""


class TimeLimitError(RuntimeError):
    """Virtual time would pass the clock's time limit."""


class SpinError(RuntimeError):
    """The loop keeps running tasks, but virtual time never moves (a `sleep(0)` loop)."""


# Real seconds a loop may go on running rounds at one virtual instant before SpinError; it
# checks every SPIN_ROUNDS rounds (a real program does not run that many without time passing).
SPIN_SECONDS = 2.0
SPIN_ROUNDS = 1000


# What an idle loop does next (VirtualClock.wait): the clock reached the loop's deadline; a parked
# thread woke (it may call the loop back); really wait for outside work or I/O; nothing can wake it.
MOVED, WOKE, WAIT, STUCK, READY = "moved", "woke", "wait", "stuck", "ready"
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
        # How often time moved by waiting; CPU cost (cpu.CpuMeter) moves `now` alone.
        self.waits = 0
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
            # A forked child (multiprocessing) has no loop driving this clock, and the stdlib's
            # machinery for other processes waits for them in real time (a frozen virtual
            # clock made ProcessPoolExecutor's manager thread spin forever): both get real time.
            return os.getpid() != self._pid or sys._getframe(2).f_globals.get(
                "__name__", ""
            ).startswith(_REAL_TIME_MODULES)

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

        functions = {
            "time": seconds("time", EPOCH),
            "time_ns": nanoseconds("time_ns", EPOCH),
            "monotonic": seconds("monotonic", 0.0),
            "monotonic_ns": nanoseconds("monotonic_ns", 0.0),
            "perf_counter": seconds("perf_counter", 0.0),
            "perf_counter_ns": nanoseconds("perf_counter_ns", 0.0),
            "sleep": sleep,
        }
        for name, function in functions.items():  # `to_thread(sleep)` in a trace, as for real
            function.__name__ = function.__qualname__ = name
        return functions

    def sleep(self, seconds: float) -> None:
        """time.sleep: the loop's thread advances the clock; other threads park until it gets
        there. A job's thread parks as long as a loop is open (it may run again), any other
        thread while a loop runs; with no loop to drive the clock, the sleeper advances it."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        running = self._running_loops()
        if any(loop.in_own_thread() for loop in running):
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
        if when > self.now:
            self.waits += 1  # time passed by waiting (a timer, a sleep), not by CPU cost
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
            loop.wake()

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

    def start_job(self, job: _Job) -> None:
        """Outside work begins: time may not pass while it runs real code."""
        with self._cond:
            self._jobs.append(job)

    def job_runner(self, job: _Job, func: Callable[..., Any]) -> Callable[..., Any]:
        """`func`, to run in a worker thread as `job`: its time.sleep calls park on this clock."""

        def run(*args: Any) -> Any:
            with self._cond:
                job.state = RUNNING
                self._local.job = job
            try:
                return func(*args)
            finally:
                with self._cond:
                    self._local.job = None
                    job.state = RETURNED
                    self._changed()

        return run

    def finish_job(self, job: _Job) -> None:
        """The job's result is in the loop's ready queue (or nobody waits for it any more)."""
        with self._cond:
            if job in self._jobs:
                self._jobs.remove(job)
            self._changed()

    def outside_work(self) -> bool:
        """Jobs, processes or an executor join are under way."""
        with self._cond:
            return bool(self._jobs)

    # -- the loop's view ------------------------------------------------------------------------

    def add_loop(self, loop: VirtualEventLoop) -> None:
        with self._cond:
            self._loops.add(loop)

    def _running_loops(self) -> list[VirtualEventLoop]:
        with self._cond:
            return [loop for loop in self._loops if loop.is_running()]

    def _open_loops(self) -> list[VirtualEventLoop]:
        with self._cond:
            return [loop for loop in self._loops if not loop.is_closed()]

    def loop_closed(self) -> None:
        with self._cond:
            self._cond.notify_all()  # parked threads may have to drive the clock themselves

    def wait(self, deadline: float | None, has_io: bool, called_back: Callable[[], bool]) -> str:
        """A loop waits until `deadline` (None: until something happens). Move time on to the
        first thing due: a parked thread (WOKE: it runs now and may call the loop back) or the
        deadline itself (MOVED). WAIT: outside work or I/O must be waited for really; STUCK:
        nothing at all can wake the loop; READY: `called_back()`, a thread has called the loop
        back (call_soon_threadsafe): a real loop's wait ends there and then."""
        with self._cond:
            if self._outside_busy():
                return WAIT
            # A job that has ended put its result in the loop's ready queue before it ended
            # (loop.run_in_executor), so this check, after the one above, misses none.
            if called_back():
                return READY
            sleeper = self._sleepers[0] if self._sleepers else None
            if sleeper is not None and (deadline is None or sleeper.when <= deadline):
                self._wake(heapq.heappop(self._sleepers))
                return WOKE
            if deadline is not None:
                self._set_now(deadline)
                return MOVED
            return WAIT if has_io else STUCK

    def deadlock_message(self, loop: VirtualEventLoop) -> str:
        return (
            f"deadlock at virtual time {self.now:g} s: nothing is ready, no timer is set and no "
            f"thread or I/O is pending, so nothing can ever wake the event loop.\n"
            f"{describe_pending_tasks(loop)}\n{_HINT_DEADLOCK}"
        )

    def spin_message(self, loop: VirtualEventLoop, rounds: int, seconds: float) -> str:
        return (
            f"at virtual time {self.now:g} s the event loop ran {rounds} rounds in {seconds:.1f} s "
            f"of real time and no wait ever ended: the program yields to the event loop "
            f"(a loop around `await asyncio.sleep(0)`?) but never waits for anything that takes "
            f"time, so no timer is ever reached.\n{describe_pending_tasks(loop)}\n"
            f"Give the loop a way to end, or let it wait for time to pass (asyncio.sleep(0.1))."
        )

    def _time_limit_message(self, when: float) -> str:
        pending = "\n".join(describe_pending_tasks(loop) for loop in self._running_loops())
        return (
            f"virtual time would pass the limit of {self.time_limit:g} s (next event at "
            f"{when:g} s): the program keeps scheduling work.\n"
            f"{pending or 'No event loop is running.'}\n{_HINT_TIME_LIMIT}"
        )
