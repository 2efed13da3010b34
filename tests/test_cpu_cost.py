"""CPU work takes virtual time: each line of the script's own code that a task runs costs
LINE_COST (engine/instrument.py), counted, not measured, so traces stay the same on every machine,
run and supported Python."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asyncio_notes.engine.cpu import LINE_COST
from asyncio_notes.engine.parent import trace_script
from asyncio_notes.paths import REPO
from tests.test_tracer import find_python

CPU_BOUND = REPO / "examples" / "ch02" / "cpu_bound.py"

LOOP = """\
import asyncio

from helper import spin

for _ in range(1000):  # module level: no task is running
    pass
print("start")


async def main():
    print("a")
    for _ in range(1000):
        pass
    print("b")
    spin(1000)  # in another folder: not the script's own code
    print("c")


asyncio.run(main())
"""


@pytest.fixture(scope="module")
def cpu_bound() -> dict:
    return trace_script(CPU_BOUND, root=REPO)


def test_a_long_loop_delays_the_task_that_is_due(cpu_bound: dict) -> None:
    main, ticker = cpu_bound["tasks"]
    counting = max(main["steps"], key=lambda step: step[1] - step[0])
    # count_up(50_000): a `for` line and a `+=` line per round, 1 µs each.
    assert counting[1] - counting[0] == pytest.approx(0.1, abs=0.001)
    (tick,) = [p for p in cpu_bound["prints"] if p["task"] == ticker["name"]]
    assert tick["time"] >= counting[1] >= 0.1
    # Due after 1 ms, the ticker is ready from then until the loop is free again.
    woken = ticker["ready"][-1]
    assert woken[0] == pytest.approx(0.001, abs=1e-4) and woken[1] >= counting[1]


def test_each_line_of_the_scripts_own_code_costs_a_microsecond(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helper.py").write_text(
        "def spin(n):\n    for _ in range(n):\n        pass\n", encoding="utf-8"
    )
    script = tmp_path / "app" / "loop.py"
    script.parent.mkdir()
    script.write_text(
        # An absolute path: the tracer runs scripts in a temporary working directory.
        LOOP.replace(
            "from helper", f"import sys\nsys.path.append({str(tmp_path / 'lib')!r})\nfrom helper"
        ),
        encoding="utf-8",
    )
    trace = trace_script(script, root=script.parent)
    times = {p["text"]: p["time"] for p in trace["prints"]}
    assert times["start"] == 0.0
    # 1001 `for` lines (the last one ends the loop), 1000 `pass`, then the print: 2002 lines.
    assert round((times["b"] - times["a"]) / LINE_COST) == 2002
    assert round((times["c"] - times["b"]) / LINE_COST) == 2  # the spin(1000) line, the print


# Where line events differ between versions: comprehensions (3.11 gives them frames of their own),
# exceptions passing through frames (3.13 reports the line again), a caught cancellation.
TRICKY = """\
import asyncio


async def inner():
    await asyncio.sleep(1)


async def refuses():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        return [i * i for i in range(3)]


async def main():
    squares = {i: i * i for i in range(5)}
    try:
        async with asyncio.timeout(0.5):  # not wait_for: on 3.11 it runs inner() in a task
            await inner()
    except TimeoutError:
        squares[0] = sum(x for x in range(3))
    task = asyncio.create_task(refuses())
    await asyncio.sleep(0)
    task.cancel()
    print(await task, squares)


asyncio.run(main())
"""


@pytest.mark.parametrize("example", ["cpu_bound.py", "cancel_task.py", "task_model.py", "tricky"])
def test_traces_are_the_same_on_every_supported_python(example: str, tmp_path: Path) -> None:
    """The meter counts the same lines on every version (see CpuMeter)."""
    script = REPO / "examples" / "ch02" / example
    if example == "tricky":
        script = tmp_path / "tricky.py"
        script.write_text(TRICKY, encoding="utf-8")
    traces = {}
    for version in ("3.11", "3.12", "3.13"):
        python = find_python(version)
        if python is not None:
            trace = trace_script(script, python=python, root=REPO)
            traces[version] = json.dumps({**trace, "python": None}, sort_keys=True)
    if len(traces) < 2:
        pytest.skip("fewer than two of Python 3.11-3.13 are installed")
    assert len(set(traces.values())) == 1, list(traces)
