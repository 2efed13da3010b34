"""The virtual clock: exact times, FIFO ties, determinism, threads, and clear errors when stuck."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from asyncio_notes.engine.clock import EPOCH, DeadlockError, TimeLimitError, VirtualClock
from asyncio_notes.engine.describe import describe_coroutine
from asyncio_notes.engine.loop import VirtualEventLoop, installed, wait_time


def run_virtual(main: Callable[[], Any], **kwargs: Any) -> tuple[Any, VirtualClock]:
    with installed(**kwargs) as clock:
        return asyncio.run(main()), clock


def test_sleeps_take_exact_virtual_time() -> None:
    async def main() -> tuple[float, float, float]:
        start = time.perf_counter()
        await asyncio.gather(asyncio.sleep(1), asyncio.sleep(3), asyncio.sleep(2))
        return time.perf_counter() - start, time.monotonic(), time.time()

    (elapsed, monotonic, wall), clock = run_virtual(main)
    assert (elapsed, monotonic, wall, clock.now) == (3.0, 3.0, EPOCH + 3.0, 3.0)


def test_every_way_of_making_a_loop_is_virtual() -> None:
    async def nap() -> float:
        await asyncio.sleep(5)
        return asyncio.get_running_loop().time()

    with installed() as clock:
        loop = asyncio.new_event_loop()
        try:
            assert isinstance(loop, VirtualEventLoop)
            assert loop.run_until_complete(nap()) == 5.0
        finally:
            loop.close()
        with asyncio.Runner() as runner:
            assert runner.run(nap()) == 10.0
        assert asyncio.run(nap()) == 15.0
    assert clock.now == 15.0


def test_timers_due_at_the_same_instant_fire_first_in_first_out() -> None:
    async def main() -> tuple[list[int], list[int]]:
        loop = asyncio.get_running_loop()
        callbacks: list[int] = []
        for i in range(200):  # a plain heap of TimerHandles pops these out of order
            loop.call_later(1, callbacks.append, i)
        woken: list[int] = []

        async def sleeper(i: int) -> None:
            await asyncio.sleep(2)
            woken.append(i)

        await asyncio.gather(*(sleeper(i) for i in range(200)))
        return callbacks, woken

    (callbacks, woken), _ = run_virtual(main)
    assert callbacks == list(range(200))
    assert woken == list(range(200))


def _transcript() -> list[str]:
    log: list[str] = []

    async def worker(name: str, period: float) -> None:
        for _ in range(4):
            await asyncio.sleep(period)
            log.append(f"{time.perf_counter():.6f} {name}")

    async def main() -> None:
        await asyncio.gather(*(worker(f"w{i}", 0.1 * (i % 3 + 1)) for i in range(9)))

    run_virtual(main)
    return log


def test_two_runs_are_identical() -> None:
    first, second = _transcript(), _transcript()
    assert first == second
    assert len(first) == 36 and first[-1].startswith("1.200000")


def test_deadlock_names_each_stuck_task_and_line() -> None:
    async def waiter() -> None:
        await asyncio.get_running_loop().create_future()  # nobody sets it

    async def main() -> None:
        await asyncio.create_task(waiter(), name="forgotten")

    start = time.perf_counter()
    with pytest.raises(DeadlockError) as caught:
        run_virtual(main)
    message = str(caught.value)
    assert time.perf_counter() - start < 1
    assert "Task-" in message and "main()" in message
    assert "forgotten waiter()" in message
    assert f"tests/test_virtual_clock.py:{waiter.__code__.co_firstlineno + 1}" in message
    assert "set its result" in message  # says what to do


def test_time_limit_stops_a_loop_that_never_ends() -> None:
    async def ticker() -> None:
        while True:
            await asyncio.sleep(1)

    start = time.perf_counter()
    with pytest.raises(TimeLimitError) as caught:
        run_virtual(ticker, time_limit=100)
    message = str(caught.value)
    assert time.perf_counter() - start < 2
    assert "limit of 100 s" in message and "ticker()" in message
    assert f"tests/test_virtual_clock.py:{ticker.__code__.co_firstlineno + 2}" in message
    assert "asyncio.timeout()" in message


def test_blocking_sleep_holds_the_loop_and_advances_time() -> None:
    order: list[tuple[str, float]] = []

    async def blocking(name: str) -> None:
        time.sleep(1)
        order.append((name, time.perf_counter()))

    async def ticker() -> None:
        await asyncio.sleep(0.5)  # due at 0.5, but the loop is blocked until 2.0
        order.append(("tick", time.perf_counter()))

    async def main() -> None:
        await asyncio.gather(ticker(), blocking("a"), blocking("b"))

    run_virtual(main)
    assert order == [("a", 1.0), ("b", 2.0), ("tick", 2.0)]


def test_debug_mode_reports_the_virtual_duration_of_a_slow_step(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        time.sleep(0.2)

    caplog.set_level(logging.WARNING, logger="asyncio")
    with installed():
        asyncio.run(main(), debug=True)
    assert "took 0.200 seconds" in caplog.text


def test_time_sleep_outside_a_loop_advances_the_clock() -> None:
    with installed() as clock:
        time.sleep(2.5)
        assert time.monotonic() == 2.5
    assert clock.now == 2.5


def test_executor_threads_sleep_in_virtual_time() -> None:
    def work(seconds: float) -> float:
        time.sleep(seconds / 2)
        sum(range(100_000))  # real CPU work in the thread costs no virtual time
        time.sleep(seconds / 2)
        return time.perf_counter()

    async def main() -> tuple[list[float], float]:
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            # 7 one-second jobs on 3 workers: three waves, as in a real run.
            jobs = [loop.run_in_executor(pool, work, 1.0) for _ in range(7)]
            ends = await asyncio.gather(*jobs)
        return ends, await asyncio.to_thread(work, 0.5)

    (ends, last), clock = run_virtual(main)
    assert sorted(ends) == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0]
    assert last == 3.5 and clock.now == 3.5


def test_loop_blocking_sleep_and_worker_sleep_overlap() -> None:
    def work() -> float:
        sum(range(300_000))  # still busy when the loop blocks: its sleep must start at 0.0
        time.sleep(0.5)
        return time.perf_counter()

    async def main() -> tuple[float, float]:
        task = asyncio.ensure_future(asyncio.to_thread(work))
        await asyncio.sleep(0)  # the job starts at 0.0
        time.sleep(0.2)  # the loop blocks meanwhile; the worker keeps its own time
        return await task, time.perf_counter()

    finished, _ = run_virtual(main)
    assert finished == (0.5, 0.5)


def test_a_job_for_an_idle_worker_starts_before_time_moves_on() -> None:
    def work() -> float:
        time.sleep(1)
        return time.perf_counter()

    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        ends = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            await loop.run_in_executor(pool, sum, ())  # leaves idle worker threads behind
            for _ in range(5):
                start = time.perf_counter()
                job = loop.run_in_executor(pool, work)
                await asyncio.sleep(0.5)  # a timer due before the job's sleep ends
                ends.append(await job - start)
        return ends

    ends, _ = run_virtual(main)
    assert ends == [1.0] * 5


def test_abandoned_executor_job_is_still_waited_for_at_shutdown() -> None:
    async def main() -> float:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.to_thread(time.sleep, 5), 1)
        return time.perf_counter()

    timed_out, clock = run_virtual(main)
    assert timed_out == 1.0
    assert clock.now == 5.0  # asyncio.run joins the default executor, as it really does


def test_a_plain_thread_can_still_call_the_loop_back() -> None:
    def worker(loop: asyncio.AbstractEventLoop, future: asyncio.Future[float]) -> None:
        time.sleep(1)  # parked until the loop moves virtual time to 1.0
        loop.call_soon_threadsafe(future.set_result, time.perf_counter())

    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        thread = threading.Thread(target=worker, args=(loop, future))
        thread.start()
        sent = await future  # no job, no timer: the loop gives the thread a moment first
        thread.join()
        return sent, time.perf_counter()

    assert run_virtual(main)[0] == (1.0, 1.0)


def test_everything_is_restored_on_exit() -> None:
    functions = {name: getattr(time, name) for name in ("time", "monotonic", "sleep")}
    policy = asyncio.get_event_loop_policy()
    with pytest.raises(ZeroDivisionError), installed():
        assert time.monotonic is not functions["monotonic"]
        1 / 0  # noqa: B018
    assert {name: getattr(time, name) for name in functions} == functions
    assert asyncio.get_event_loop_policy() is policy
    loop = asyncio.new_event_loop()
    try:
        assert not isinstance(loop, VirtualEventLoop)
    finally:
        loop.close()


def test_an_hour_of_virtual_time_costs_little_real_time() -> None:
    async def main() -> None:
        await asyncio.gather(*(asyncio.sleep(i) for i in range(0, 3601, 6)))

    start = time.perf_counter()
    _, clock = run_virtual(main)
    assert clock.now == 3600.0
    assert time.perf_counter() - start < 2.0  # generous: the machine may be busy


def test_describe_coroutine_shows_the_call() -> None:
    async def delay(seconds: float, *extra: Any, label: str = "x", **options: Any) -> None:
        pass

    coros = [delay(3), delay(1.5, "a", label="b", retry=True)]
    try:
        assert [describe_coroutine(c) for c in coros] == [
            "delay(3, label='x')",
            "delay(1.5, 'a', label='b', retry=True)",
        ]
    finally:
        for coro in coros:
            coro.close()


def test_the_loop_waits_in_whole_milliseconds_rounded_up_as_epoll_does() -> None:
    assert wait_time(2.999996) == 3.0  # just under: one wake-up at the deadline's millisecond
    assert wait_time(1.0000000000000002) == 1.0  # float noise is not a millisecond more
    assert wait_time(0.000004) == 0.001  # a timer due in 4 µs still costs a whole wait
    assert wait_time(0.0105) == 0.011

    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        woke: list[float] = []
        # Due 0.3 ms after the first: the same wake-up runs both (a real loop does too).
        loop.call_later(0.0102, lambda: woke.append(loop.time()))
        loop.call_later(0.0105, lambda: woke.append(loop.time()))
        loop.call_later(0.0125, lambda: woke.append(loop.time()))  # the next millisecond
        await asyncio.sleep(0.02)
        return woke

    woke, _ = run_virtual(main)
    assert woke == [0.011, 0.011, 0.013]


def test_timers_fire_in_cpythons_order_ties_included() -> None:
    """Timers set one after another fire in that order (a real clock never reads the same
    twice); timers set for one explicit deadline tie, and fire in heap order, as for real."""

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        fired: list[str] = []
        deadline = loop.time() + 0.01
        for name in "abcde":
            loop.call_at(deadline, fired.append, name)
        for name in "fghij":
            loop.call_later(0.02, fired.append, name)
        await asyncio.gather(*(asyncio.sleep(0.03, n) for n in "klm"))
        return fired

    real = asyncio.run(main())  # this test's process has no virtual clock installed
    assert real[:5] != list("abcde")  # heapq is not stable: ties are not first in, first out
    virtual, _ = run_virtual(main)
    assert virtual == real


def test_a_thread_that_calls_the_loop_back_ends_its_wait_there_and_then() -> None:
    """The thread's result reaches the loop at 45 ms, as on a real loop (its self-pipe wakes
    it), not at the timer's 50 ms that the loop was waiting for."""

    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        seen: list[tuple[str, float]] = []
        loop.call_later(0.05, lambda: seen.append(("timer", round(loop.time(), 4))))
        await asyncio.to_thread(time.sleep, 0.045)
        seen.append(("thread", round(loop.time(), 4)))
        await asyncio.sleep(0.01)
        return seen

    for _ in range(5):  # the thread's timing must not matter
        seen, _ = run_virtual(main)
        assert seen == [("thread", 0.045), ("timer", 0.05)]
