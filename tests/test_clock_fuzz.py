"""A differential fuzz of the virtual clock (asyncio_notes/devtools/clock_fuzz.py): random small
asyncio programs run the same loop iterations, handle by handle, and print the same lines in the
same order and at the same times, under the virtual clock as on the real one. `make bench` runs
more of them, on every Python."""

from __future__ import annotations

import random
import re

import pytest

from asyncio_notes.devtools import clock_fuzz

SEED = 20261202
COUNT = 40


@pytest.mark.slow  # the real clock: every program also runs on real time
@pytest.mark.timeout(300)  # ~10 s; repeated real runs take longer on a loaded machine
def test_virtual_and_real_clocks_agree_on_random_programs() -> None:
    result = clock_fuzz.run(SEED, COUNT)
    assert not result.failures, (
        result.summary(SEED) + "\n\n" + "\n\n".join(map(str, result.failures))
    )
    # A real run counts as a witness only when the machine woke it on time; most must.
    assert len(result.inconclusive) <= COUNT // 5, result.summary(SEED)


def test_the_programs_use_every_construct() -> None:
    rng = random.Random(SEED)
    text = "\n".join(clock_fuzz.program(rng) for _ in range(COUNT))
    for construct in (
        "asyncio.create_task(",
        "asyncio.sleep(",
        "asyncio.gather(",
        "asyncio.wait_for(",
        "task.cancel",
        "asyncio.TaskGroup()",
        "asyncio.shield(",
        "asyncio.to_thread(time.sleep",
        "    time.sleep(",  # blocking the loop's thread
    ):
        assert construct in text, construct
    # Ties: two or more tasks created one after another whose first await is the same sleep.
    assert re.search(r"t0 = asyncio.create_task\(c\d+\(\)\)\n    t1 = ", text)


def test_the_comparison_catches_a_wrong_order_a_missing_line_and_a_long_wait() -> None:
    def run(prints: list[tuple[float, str]], wait: float = 0.02) -> clock_fuzz.Run:
        return clock_fuzz.Run(prints, {"c1() wait 1": wait})

    virtual = run([(0.0, "L1"), (0.02, "L2"), (0.02, "L3"), (0.04, "L4")])
    same_instant_swapped = [(0.001, "L1"), (0.021, "L3"), (0.022, "L2"), (0.04, "L4")]
    assert clock_fuzz.compare(virtual, run(same_instant_swapped, 0.021)) is None
    swapped = [(0.0, "L1"), (0.02, "L4"), (0.02, "L2"), (0.04, "L3")]
    assert "order" in clock_fuzz.compare(virtual, run(swapped))
    assert "order" in clock_fuzz.compare(virtual, run(virtual.prints[:3]))
    assert "15 ms" in clock_fuzz.compare(virtual, run(virtual.prints, 0.04))


def test_the_comparison_catches_different_iterations() -> None:
    prints = [(0.0, "L1")]
    together = clock_fuzz.Run(
        prints, {}, [["main()"], ["callback:t", "callback:t"], ["a()", "b()"]]
    )
    apart = clock_fuzz.Run(prints, {}, [["main()"], ["callback:t"], ["a()", "callback:t"], ["b()"]])
    assert "different loop iterations" in clock_fuzz.compare(together, apart)
    assert clock_fuzz.compare(together, together) is None


def test_a_late_real_wake_up_is_no_witness() -> None:
    virtual = clock_fuzz.Run([(0.0, "L1"), (0.02, "L2"), (0.04, "L3")], {})
    on_time = clock_fuzz.Run([(0.0003, "L1"), (0.0205, "L2"), (0.041, "L3")], {})
    late = clock_fuzz.Run([(0.0003, "L1"), (0.0265, "L2"), (0.047, "L3")], {})
    assert clock_fuzz.disturbed(virtual, on_time) is None
    assert "ms late" in clock_fuzz.disturbed(virtual, late)
    # Late at an iteration before the runs part ways (a thread that started late, say).
    story = [["main()"], ["callback:_chain_future.<locals>._set_state"], ["callback:t"]]
    virtual = clock_fuzz.Run([], {}, story, [0.0, 0.025, 0.04])
    late_thread = clock_fuzz.Run([], {}, [story[0], story[2], story[1]], [0.0003, 0.0405, 0.031])
    assert "ms late" in clock_fuzz.disturbed(virtual, late_thread)
    on_time = clock_fuzz.Run([], {}, story[:2], [0.0003, 0.0254])
    assert clock_fuzz.disturbed(virtual, on_time) is None


def trace_with(times: list[float], deadlines: list[float], callback: str = "") -> dict:
    entry = {"task": None, "callback": callback}
    ran = [{**entry, "time": t, "timers": [{"when": d} for d in deadlines]} for t in times]
    return {"iterations": [{"time": times[0], "ready": [], "timers": [], "ran": ran}]}


def test_programs_a_real_run_could_schedule_either_way_are_found() -> None:
    # Microseconds apart (one instant) or clearly apart: a real loop always does the same.
    assert clock_fuzz.ambiguous(trace_with([0.0, 0.00002, 0.04], [0.04001, 0.06])) is None
    # A deadline 1.5 ms after a wake-up: a late real wake-up would take it along.
    assert "ms apart" in clock_fuzz.ambiguous(trace_with([0.0, 0.04], [0.0415]))
    # A thread that ends as a timer is due: the thread's real start-up decides.
    thread = trace_with([0.0, 0.025], [0.02501], "_chain_future.<locals>._set_state")
    assert "thread" in clock_fuzz.ambiguous(thread)
    # Two tasks cancelled together (asyncio.run's clean-up, a TaskGroup): a set's order.
    together = trace_with([0.1, 0.1], [])
    for entry in together["iterations"][0]["ran"]:
        entry["outcome"] = "cancelled"
    assert "set's order" in clock_fuzz.ambiguous(together)


def test_timers_set_at_different_moments_that_fire_together_are_a_race() -> None:
    early = {"when": 0.08, "callback": "_set_result_unless_cancelled", "wakes": ["Task-2"]}
    late = {"when": 0.0801, "callback": "Task.cancel", "wakes": ["Task-3"]}
    ran = [
        {"task": "Task-2", "time": 0.0, "timers": [early]},
        {"task": "Task-3", "time": 0.03, "timers": [early, late]},
    ]
    fire = {"time": 0.0801, "ready": [early, late], "timers": [], "ran": []}
    trace = {"iterations": [{"time": 0.0, "ready": [], "timers": [], "ran": ran}, fire]}
    assert "fire together" in clock_fuzz.ambiguous(trace)
    ran[1]["time"] = 0.00002  # set together, microseconds apart: one real wake-up takes both
    assert clock_fuzz.ambiguous(trace) is None
