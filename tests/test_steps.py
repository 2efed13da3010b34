"""The stepper's data and step log (render/steps.py), from real runs of examples and small scripts.
(The page itself: tests/test_stepper_browser.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asyncio_notes import browser
from asyncio_notes.cli import main as cli_main
from asyncio_notes.engine.parent import trace_script
from asyncio_notes.paths import EXAMPLES_DIR, REPO
from asyncio_notes.render.steps import dumps_steps, step_data, steps_text

CONCURRENT = EXAMPLES_DIR / "ch02" / "concurrent_tasks.py"


@pytest.fixture(scope="module")
def concurrent() -> dict:
    return step_data(trace_script(CONCURRENT, root=REPO), CONCURRENT.parent)


def _state(data: dict, step: dict, name: str) -> list | None:
    names = [t["name"] for t in data["tasks"]]
    return step["states"][names.index(name)]


def test_concurrent_tasks_step_by_step(concurrent: dict) -> None:
    """The story the tasks page tells with the stepper."""
    steps = concurrent["steps"]
    first = steps[0]
    assert first["task"] == "Task-1" and first["awaits"] == "Task-2"
    assert [h["task"] for h in first["ready"]] == ["Task-2", "Task-3", "Task-4"]
    assert first["at"] == ["concurrent_tasks.py", 14]  # await sleep_for_three
    # Each runs until its sleep: three timers, due at 3 s, each waking its own task.
    sleeps = steps[1:4]
    assert [s["task"] for s in sleeps] == ["Task-2", "Task-3", "Task-4"]
    assert all(s["awaits"] == "sleep(3)" and s["i"] == 1 for s in sleeps)
    timers = sleeps[-1]["timers"]
    assert [t["wakes"] for t in timers] == [["Task-2"], ["Task-3"], ["Task-4"]]
    assert all(round(t["when"], 3) == 3.0 for t in timers)
    assert _state(concurrent, sleeps[-1], "Task-2") == ["sleeping", timers[0]["when"]]
    assert _state(concurrent, sleeps[-1], "Task-1") == ["waiting", "Task-2"]
    # At 3 s one iteration runs all three timers' callbacks, the next all three tasks.
    wake = [s for s in steps if round(s["t"], 3) == 3.0 and "callback" in s]
    assert len({s["i"] for s in wake}) == 1 and [s["wakes"] for s in wake] == [
        ["Task-2"],
        ["Task-3"],
        ["Task-4"],
    ]
    finishing = [s for s in steps if s.get("outcome") and s["task"] != "Task-1"]
    assert len({s["i"] for s in finishing}) == 1 and len(finishing) == 3
    last = steps[-1]
    assert last["task"] == "Task-1" and last["outcome"] == "result"
    for name in ("Task-2", "Task-3", "Task-4"):
        assert _state(concurrent, last, name) == ["done", "3"]
    assert last["out"] == len(concurrent["output"]) == 8
    assert [name for name, _ in concurrent["files"]] == ["concurrent_tasks.py", "util.py"]
    assert "async def delay" in concurrent["files"][1][1]


def test_each_step_has_its_place_on_the_timeline(concurrent: dict) -> None:
    places = [s["x"] for s in concurrent["steps"]]
    assert all(0 <= a <= b <= concurrent["span"] for a, b in places)
    starts = [a for a, _ in places]
    assert starts == sorted(starts) and starts[-1] > starts[0]


def test_the_step_log_has_one_block_per_iteration(concurrent: dict) -> None:
    for lang, wakes in (("en", "wakes Task-2"), ("zh", "唤醒 Task-2")):
        text = steps_text(concurrent, lang)
        blocks = text.strip().split("\n\n")
        assert len(blocks) == len(concurrent["iterations"]) == 5
        assert wakes in blocks[2] and "3.000 s" in blocks[2]
    en = steps_text(concurrent).split("\n\n")
    assert "then the ready queue: Task-2, Task-3, Task-4" in en[0]
    assert en[1].count("waits on sleep(3)") == 3 and en[1].count("3.000 s _set_result") == 3


def test_dumps_is_stable(concurrent: dict) -> None:
    again = step_data(trace_script(CONCURRENT, root=REPO), CONCURRENT.parent)
    assert dumps_steps(again) == dumps_steps(concurrent)


def test_steps_command_prints_the_iterations_of_any_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "mine.py"
    script.write_text(
        "import asyncio\n\nasync def nap(n):\n    await asyncio.sleep(n)\n    return n\n\n"
        "async def main():\n    await asyncio.gather(nap(1), nap(2))\n\nasyncio.run(main())\n",
        encoding="utf-8",
    )
    assert cli_main([str(script), "--steps"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Iteration 1, at 0.000 s\n")
    assert "Task-2 runs nap(1), line mine.py:3 → mine.py:4, waits on sleep(1)" in out
    assert "then the timers: 1.000 s _set_result_unless_cancelled (wakes Task-2), 2.000 s" in out
    assert "Task-2 runs nap(1), line mine.py:4, finishes: result 1" in out
    assert "callback gather.<locals>._done_callback" in out


def test_a_failed_run_shows_what_ran_and_the_error_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the browser's runner returns it (browser.py)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    source = (
        "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n    print('up')\n"
        "    await asyncio.get_running_loop().create_future()\n\nasyncio.run(main())\n"
    )
    result = browser.run_example("examples/mine.py", source)
    data = json.loads(result["steps"])
    assert data["error"] == result["error"] and "deadlocked" in data["error"]
    # Up to the deadlock; then asyncio.run cancels the pending task (and says so).
    ran = [s.get("task") or s.get("callback") for s in data["steps"]]
    assert ran[:3] == ["Task-1", "_set_result_unless_cancelled", "Task-1"]
    assert data["steps"][2]["awaits"] == "future"
    assert data["steps"][-1]["states"] == [["cancelled"]]
    assert data["output"] == ["up"] and data["steps"][-1]["out"] == 1
    assert data["error"] in steps_text(data)
