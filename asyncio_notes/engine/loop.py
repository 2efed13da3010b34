"""The virtual event loop, and `installed()`, which makes unmodified scripts run on it.

A `VirtualEventLoop` is a selector event loop whose time is a `VirtualClock` (clock.py): when
nothing is ready, its selector asks the clock to jump to the next timer instead of waiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import heapq
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from asyncio_notes.engine.clock import (
    _REAL,
    _THREAD_GRACE,
    JOINING,
    MOVED,
    QUEUED,
    READY,
    RUNNING,
    SPIN_ROUNDS,
    SPIN_SECONDS,
    WAIT,
    WOKE,
    DeadlockError,
    SpinError,
    VirtualClock,
    _Job,
)

# Pyodide (Emscripten) has no socket pair for the loop's self-pipe, and no other thread that could
# use it to wake the loop: there the loop runs without one.
SELF_PIPE = sys.platform not in ("emscripten", "wasi")


class _TimerHandle(asyncio.TimerHandle):
    """A timer ordered as it would be on a real clock, and that tells the loop, while it runs,
    when it was due (the tracer dates a task's wake-up from then, instrument.py).

    A real clock never reads the same twice, so timers set one after another by call_later (a
    sleep, say) never tie: they fire first in, first out. On the virtual clock they can tie (the
    loop's own code takes no time), so they carry a sequence number. Timers set with call_at for
    one explicit deadline tie on a real clock too, and fire in heap order (heapq is not stable):
    they carry none and compare by deadline alone, as asyncio's own timers do."""

    __slots__ = ("_seq",)

    def __init__(self, when: float, seq: int | None, *args: Any) -> None:
        super().__init__(when, *args)
        self._seq = seq

    def __lt__(self, other: object) -> bool:
        if isinstance(other, _TimerHandle) and self._when == other._when:
            return self._seq is not None and other._seq is not None and self._seq < other._seq
        return super().__lt__(other)

    def __gt__(self, other: object) -> bool:
        if isinstance(other, _TimerHandle) and self._when == other._when:
            return self._seq is not None and other._seq is not None and self._seq > other._seq
        return super().__gt__(other)

    def _run(self) -> None:
        loop = self._loop
        loop.running_timer_due = self._when
        try:
            super()._run()
        finally:
            loop.running_timer_due = None


def wait_time(timeout: float) -> float:
    """How long CPython's selector loop on Linux really waits for `timeout` seconds: epoll_wait
    takes whole milliseconds, rounded up (selectors.EpollSelector.select), so the loop wakes up to
    1 ms after its first timer and then runs every timer due by then in one iteration
    (BaseEventLoop._run_once). The timeout is first taken to whole nanoseconds, as CPython's
    clock is: a float difference such as 1.0000000000000002 must not cost a millisecond more."""
    nanoseconds = round(timeout * 1e9)
    return -(-nanoseconds // 1_000_000) / 1000


class _VirtualSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """Polls real file descriptors; when nothing is ready, the clock jumps to where the loop's
    wait would end instead of waiting (see wait_time)."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self.loop: VirtualEventLoop | None = None
        # The clock's own wake-up pipe: outside work that changed state makes the loop look at
        # the clock again, without ending its wait as a real event would.
        self._wake_r = self._wake_w = None
        if SELF_PIPE:
            self._wake_r, self._wake_w = socket.socketpair()
            self._wake_r.setblocking(False)
            self._wake_w.setblocking(False)
            super().register(self._wake_r, selectors.EVENT_READ)

    def wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):  # full (a wake-up is pending anyway) or closed
                self._wake_w.send(b"\0")

    def close(self) -> None:
        super().close()
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()

    def _poll(self, timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(timeout)
        real = [event for event in events if event[0].fileobj is not self._wake_r]
        if len(real) < len(events):
            with contextlib.suppress(OSError):
                while self._wake_r.recv(4096):
                    pass
        return real

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = self._poll(0)
        if events or (timeout is not None and timeout <= 0) or self.loop is None:
            return events
        deadline = None if timeout is None else self.clock.now + wait_time(timeout)
        while True:
            # The loop's own wake-up pipe (if any) and the clock's are registered; anything else
            # is real I/O.
            internal = self.loop._internal_fds + (self._wake_r is not None)
            has_io = len(self.get_map()) > internal
            step = self.clock.wait(deadline, has_io, lambda: bool(self.loop._ready))
            if step == MOVED:
                return []
            if step == READY:
                return self._poll(0)
            if step == WOKE:  # a parked thread runs again: it may call the loop back
                events = self._poll(0)
            elif step == WAIT:
                events = self._poll(None)
            else:
                # A plain thread (which the clock does not see) may still call the loop back:
                # give other threads a moment of real time before calling it a deadlock.
                events = self._poll(_THREAD_GRACE if threading.active_count() > 1 else 0)
                if not events:
                    raise DeadlockError(self.clock.deadlock_message(self.loop))
            if events:
                return events


class VirtualEventLoop(asyncio.SelectorEventLoop):  # type: ignore[misc,valid-type]
    """A selector event loop whose time is a `VirtualClock`."""

    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.clock = clock if clock is not None else VirtualClock()
        self.running_timer_due: float | None = None  # set by _TimerHandle._run
        self._selector_wake: Callable[[], None] = lambda: None
        selector = _VirtualSelector(self.clock)
        super().__init__(selector)
        selector.loop = self
        self._selector_wake = selector.wake
        # Linux's monotonic clock, whatever this platform's is (Pyodide's is coarser): the
        # loop runs the timers due before now + this, so the model must not depend on it.
        self._clock_resolution = 1e-09
        self._later = False  # call_later is setting a timer (see _TimerHandle)
        # The spin check (see _run_once): the clock's wait count, rounds since, real time since.
        self._spin_waits = -1
        self._spin_rounds = 0
        self._spin_since: float | None = None
        self.clock.add_loop(self)

    def time(self) -> float:
        return self.clock.now

    # -- what the clock asks of a loop

    def in_own_thread(self) -> bool:
        """The calling thread is the one running this loop."""
        return self._thread_id == threading.get_ident()

    def wake(self) -> None:
        """Outside work changed state: look at the clock again (does not end the loop's wait)."""
        self._selector_wake()

    def _run_once(self) -> None:
        # A loop that runs round after round and never waits never reaches a timer: say so,
        # rather than let it spin until the tracer's real timeout blames a CPU loop. (Rounds
        # are counted per wait, not per instant: CPU cost moves the clock a little each round.)
        if self._spin_waits != self.clock.waits:
            self._spin_waits, self._spin_rounds, self._spin_since = self.clock.waits, 0, None
        self._spin_rounds += 1
        if self._spin_rounds % SPIN_ROUNDS == 0:
            real = _REAL["monotonic"]()
            if self._spin_since is None or self.clock.outside_work():  # waiting is no spin
                self._spin_since = real
            elif real - self._spin_since > SPIN_SECONDS:
                raise SpinError(
                    self.clock.spin_message(self, self._spin_rounds, real - self._spin_since)
                )
        super()._run_once()

    def _make_self_pipe(self) -> None:
        if SELF_PIPE:
            super()._make_self_pipe()
        else:
            self._ssock = self._csock = None  # _write_to_self then does nothing

    def _close_self_pipe(self) -> None:
        if self._ssock is not None:
            super()._close_self_pipe()

    def close(self) -> None:
        super().close()
        self.clock.loop_closed()

    def call_at(
        self, when: float, callback: Callable[..., Any], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        # Same as BaseEventLoop.call_at (3.11-3.13) but with our timer handle.
        seq = self.clock.next_seq() if self._later else None
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = _TimerHandle(when, seq, callback, args, self, context)
        if timer._source_traceback:
            del timer._source_traceback[-1]
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def call_later(
        self, delay: float, callback: Callable[..., Any], *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        self._later = True  # BaseEventLoop.call_later calls call_at(self.time() + delay)
        try:
            return super().call_later(delay, callback, *args, context=context)
        finally:
            self._later = False

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
        threads = isinstance(executor, concurrent.futures.ThreadPoolExecutor)
        if threads:
            job = _Job(QUEUED, executor, executor._max_workers)
            call = self.clock.job_runner(job, func)
        else:
            # Another process (ProcessPoolExecutor): its work takes no virtual time, and the
            # loop really waits for it. The call goes unwrapped: it must stay picklable.
            job = _Job(RUNNING, executor)
            call = func
        self.clock.start_job(job)
        try:
            source = executor.submit(call, *args)
        except BaseException:
            self.clock.finish_job(job)
            raise
        future = asyncio.wrap_future(source, loop=self)
        # Callbacks of `source` run in order: wrap_future's puts the result in the loop's ready
        # queue first, then the job is dropped, so time cannot advance between the two (and the
        # loop runs no handle of ours that a real run would not have).
        source.add_done_callback(lambda _: self.clock.finish_job(job))
        return future

    # -- child processes (asyncio.create_subprocess_*): the loop really waits for them, as
    # for executor work; their run takes no virtual time.

    async def _make_subprocess_transport(self, *args: Any, **kwargs: Any) -> Any:
        job = _Job(RUNNING)
        self.clock.start_job(job)
        try:
            transport = await super()._make_subprocess_transport(*args, **kwargs)
        except BaseException:
            self.clock.finish_job(job)
            raise
        pid = transport.get_pid()
        exited = self.__dict__.setdefault("_exited_pids", set())
        if pid in exited or transport._returncode is not None:
            exited.discard(pid)
            self.clock.finish_job(job)
        else:
            self.__dict__.setdefault("_process_jobs", {})[pid] = job
        return transport

    def _child_watcher_callback(self, pid: int, returncode: int, transp: Any) -> None:
        # Called from the child watcher (a thread, or the loop itself); the process's result
        # reaches the loop first, then its job ends: time cannot move in between.
        super()._child_watcher_callback(pid, returncode, transp)  # type: ignore[misc]
        self.call_soon_threadsafe(self.call_soon, self._process_exited, pid)

    def _process_exited(self, pid: int) -> None:
        job = self.__dict__.get("_process_jobs", {}).pop(pid, None)
        if job is None:
            self.__dict__.setdefault("_exited_pids", set()).add(pid)  # before the transport
        else:
            self.clock.finish_job(job)

    async def shutdown_default_executor(self, *args: Any) -> None:
        job = _Job(JOINING)
        self.clock.start_job(job)
        try:
            await super().shutdown_default_executor(*args)
        finally:
            self.clock.finish_job(job)


# asyncio's own Runner, before `installed()` replaces it.
_StdRunner = asyncio.runners.Runner


@contextlib.contextmanager
def installed(
    clock: VirtualClock | None = None, *, time_limit: float = 3600.0
) -> Iterator[VirtualClock]:
    """While active, unmodified scripts run on `clock`: asyncio.run, asyncio.Runner and
    asyncio.new_event_loop make VirtualEventLoops (through `loop_factory`, not the event loop
    policy that 3.14 deprecates, so it also works in Pyodide, whose asyncio.run is its own);
    time.time, time.monotonic, time.perf_counter (and their _ns variants) read the virtual clock;
    a blocking time.sleep advances it. No loop counts as running meanwhile (in Pyodide the
    browser's loop does, and asyncio.run would refuse). Everything is restored on exit."""
    clock = clock if clock is not None else VirtualClock()
    clock.time_limit = time_limit

    def new_event_loop() -> VirtualEventLoop:
        return VirtualEventLoop(clock)

    class Runner(_StdRunner):  # type: ignore[misc,valid-type]
        def __init__(self, *, debug: bool | None = None, loop_factory: Any = None) -> None:
            super().__init__(debug=debug, loop_factory=loop_factory or new_event_loop)

    def run(main: Any, *, debug: bool | None = None, loop_factory: Any = None) -> Any:
        if asyncio.events._get_running_loop() is not None:
            raise RuntimeError("asyncio.run() cannot be called from a running event loop")
        with Runner(debug=debug, loop_factory=loop_factory) as runner:
            return runner.run(main)

    Runner.__module__, Runner.__qualname__ = _StdRunner.__module__, _StdRunner.__qualname__
    replacements = [
        # The stdlib's asyncio.run looks Runner up in its module, so it needs no replacing (and
        # tracebacks keep its frame, as in a real run); Pyodide's own asyncio.run does.
        *([(asyncio, "run", run)] if asyncio.run is not asyncio.runners.run else []),
        *((module, "Runner", Runner) for module in (asyncio, asyncio.runners)),
        *((module, "new_event_loop", new_event_loop) for module in (asyncio, asyncio.events)),
        *((time, name, function) for name, function in clock.time_functions().items()),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in replacements]
    for owner, name, value in replacements:
        setattr(owner, name, value)
    running = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield clock
    finally:
        asyncio.events._set_running_loop(running)
        for owner, name, value in saved:
            setattr(owner, name, value)
