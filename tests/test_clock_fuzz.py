"""A differential fuzz of the virtual clock (asyncio_notes/devtools/clock_fuzz.py): random small
asyncio programs print the same lines, in the same order and at the same times, under the
virtual clock as on the real one. `make bench` runs more of them."""

from __future__ import annotations

import random

import pytest

from asyncio_notes.devtools import clock_fuzz

SEED = 20261202
COUNT = 40


@pytest.mark.slow  # the real clock: every program also runs on real time
@pytest.mark.timeout(300)  # ~10 s; repeated real runs take longer on a loaded machine
def test_virtual_and_real_clocks_agree_on_random_programs() -> None:
    failures = clock_fuzz.run(SEED, COUNT)
    assert not failures, f"seed {SEED}: {len(failures)} of {COUNT} programs differ\n\n" + (
        "\n\n".join(map(str, failures))
    )


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
    ):
        assert construct in text, construct


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
