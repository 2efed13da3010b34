"""The in-page runner's Python side, on CPython: the same results as the build, run after run in
one interpreter, the limits, and the bundle the browser loads. (In Pyodide itself:
tests/test_runner_browser.py.)"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from asyncio_notes import browser
from asyncio_notes.engine import loop as virtual_loop
from asyncio_notes.engine.script import run_traced
from asyncio_notes.paths import REPO
from asyncio_notes.render.output import fold_stdlib_frames, output_text
from asyncio_notes.sitebuild import runner_bundle
from asyncio_notes.sitebuild.catalog import example_files, relative
from asyncio_notes.sitebuild.generate import example_out_dir, generate_all


@pytest.fixture(scope="module")
def generated() -> None:
    generate_all()


# Every example twice in one interpreter, as the worker does; a plain interpreter (pytest would
# record the warnings and log records that debug_mode.py prints to stderr).
_TWICE = """
import json, sys
from asyncio_notes.browser import run_example
print(json.dumps([run_example(path) for path in sys.argv[1:] * 2]))
"""


def test_every_example_twice_in_one_interpreter_equals_the_build(generated) -> None:
    """Nothing may carry over from one run to the next (task names, debug depth, modules)."""
    examples = example_files()
    proc = subprocess.run(
        [sys.executable, "-c", _TWICE, *(relative(e) for e in examples)],
        cwd=REPO,  # examples at their site paths, as in the worker's directory
        capture_output=True,
        text=True,
        check=True,
    )
    results = json.loads(proc.stdout)
    for example, result in zip(examples * 2, results, strict=True):
        out = example_out_dir(example)
        assert result["output"] == (out / "output.txt").read_text(encoding="utf-8"), example
        assert result["timeline"] == (out / "timeline.md").read_text(encoding="utf-8"), example
        assert result["steps"] == (out / "steps.json").read_text(encoding="utf-8"), example
        assert result["error"] is None


def _run_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> dict:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir(exist_ok=True)
    return browser.run_example("examples/mine.py", source)


def test_a_reader_edit_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = (
        "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n    print('hi')\n\n"
        "asyncio.run(main())\n"
    )
    result = _run_source(tmp_path, monkeypatch, source)
    assert result["output"] == "$ python examples/mine.py\nhi\n"
    assert "1000" in result["timeline"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("while True:\n        await asyncio.sleep(1)", "ran past the virtual time limit"),
        ("await asyncio.get_running_loop().create_future()", "deadlocked under the virtual clock"),
        ("while True:\n        print('x' * 1000)", "the output passed the limit of 200000"),
    ],
    ids=["runaway", "deadlock", "output"],
)
def test_a_run_that_cannot_end_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, expected: str
) -> None:
    source = f"import asyncio\n\nasync def main():\n    {body}\n\nasyncio.run(main())\n"
    result = _run_source(tmp_path, monkeypatch, source)
    assert expected in result["error"]
    assert result["output"].count("\n[error]\n") == 1 and expected in result["output"]
    assert len(result["output"]) < browser.OUTPUT_LIMIT + 10_000


def test_an_exception_shows_its_traceback_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "import asyncio\n\nasync def main():\n    1 / 0\n\nasyncio.run(main())\n"
    result = _run_source(tmp_path, monkeypatch, source)
    assert "raised ZeroDivisionError" in result["error"]
    assert result["output"].count("ZeroDivisionError: division by zero") == 1
    assert 'File "examples/mine.py", line 4, in main' in result["output"]
    assert "asyncio_notes" not in result["output"]  # neither the engine nor the runner


def test_the_loop_runs_without_a_self_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in Pyodide, which has no socket pair."""
    monkeypatch.setattr(virtual_loop, "SELF_PIPE", False)
    loop = virtual_loop.VirtualEventLoop()
    try:
        assert loop._ssock is None
        assert loop.run_until_complete(asyncio.sleep(5, "done")) == "done"
        assert loop.time() == 5
    finally:
        loop.close()


def test_a_trace_runs_inside_a_running_loop(tmp_path: Path) -> None:
    """Pyodide's own loop counts as running while the worker calls the runner."""
    script = tmp_path / "x.py"
    script.write_text("import asyncio\nasyncio.run(asyncio.sleep(2))\n", encoding="utf-8")

    async def outer() -> tuple:
        return run_traced(script, wait_for_threads=False)

    trace, error = asyncio.run(outer())
    assert error is None and trace["elapsed"] == 2.0


def test_stdlib_frames_fold_into_one_line() -> None:
    stack = (
        "Coroutine created at (most recent call last)\n"
        '  File "examples/ch02/x.py", line 17, in <module>\n'
        "    asyncio.run(main())\n"
        '  File "<stdlib>/asyncio/runners.py", line 190, in run\n'
        "    return runner.run(main)\n"
        '  File "<stdlib>/asyncio/base_events.py", line 640, in run_until_complete\n'
        "    self.run_forever()\n"
        "    ~~~~~~~~~~~~~~~~^^\n"
        '  File "examples/ch02/x.py", line 12, in main\n'
        "    add_one(1)\n"
        "Executing <Task created at <stdlib>/asyncio/runners.py:100> took 0.2 seconds"
    )
    assert fold_stdlib_frames(stack) == (
        "Coroutine created at (most recent call last)\n"
        '  File "examples/ch02/x.py", line 17, in <module>\n'
        "    asyncio.run(main())\n"
        "  ... frames in the standard library (<stdlib>/asyncio) ...\n"
        '  File "examples/ch02/x.py", line 12, in main\n'
        "    add_one(1)\n"
        "Executing <Task created at <stdlib>/asyncio/runners.py> took 0.2 seconds"
    )
    assert output_text("x.py", ["a"], stack).count("frames in the standard library") == 1


def test_what_the_browser_cannot_run_is_named() -> None:
    assert runner_bundle.browser_needs("await asyncio.to_thread(f)") == {"threads": ["to_thread"]}
    assert runner_bundle.browser_needs("import multiprocessing\nimport threading") == {
        "threads": ["threading"],
        "processes": ["multiprocessing"],
    }
    assert runner_bundle.browser_needs("await asyncio.sleep(1)  # no thread here") == {}


def test_the_bundle_holds_the_engine_renderers_and_examples() -> None:
    data = runner_bundle.bundle()
    package = set(data["package"])
    assert {"asyncio_notes/browser.py", "asyncio_notes/engine/instrument.py"} <= package
    assert "asyncio_notes/render/output.py" in package
    assert not any(
        name.startswith(("asyncio_notes/sitebuild", "asyncio_notes/devtools")) for name in package
    )
    assert {relative(e) for e in example_files()} < set(data["examples"])
    assert "examples/ch02/util.py" in data["examples"]
    for name, text in data["package"].items():
        assert text == (REPO / name).read_text(encoding="utf-8")
    assert json.loads(json.dumps(data)) == data


# Issue 22: the reader's mistakes, in Python's own words and with the reader's frames only.


def test_a_syntax_error_is_pythons_own_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "import asyncio\n\nasync def main():\n    print('hi'\n\nasyncio.run(main())\n"
    result = _run_source(tmp_path, monkeypatch, source)
    assert result["kind"] == "syntax" and result["line"] == 4
    assert result["output"] == (
        "$ python examples/mine.py\n"
        '  File "examples/mine.py", line 4\n'
        "    print('hi'\n"
        "         ^\n"
        "SyntaxError: '(' was never closed\n"
    )
    assert result["summary"] == "SyntaxError: '(' was never closed"


TASK_GROUP = """import asyncio

async def child():
    await asyncio.sleep(1)
    raise ValueError("boom")

async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(child())
        tg.create_task(asyncio.sleep(2))

asyncio.run(main())
"""


def test_a_failing_task_group_shows_the_readers_frames_and_what_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside an exception group too: neither the engine's frames nor the stdlib's (folded)."""
    result = _run_source(tmp_path, monkeypatch, TASK_GROUP)
    assert result["kind"] == "exception"
    assert result["summary"] == "ValueError: boom" and result["line"] == 5
    shown = result["output"]
    assert "asyncio_notes" not in shown and 'File "<stdlib>' not in shown
    assert '|   File "examples/mine.py", line 5, in child' in shown
    assert "|   ... frames in the standard library (<stdlib>/asyncio) ..." in shown
    # The timeline up to the failure: the child's exception is marked on its row at 1 s.
    assert "ValueError('boom') :crit, milestone, 1021, 0ms" in result["timeline"]


LOOP = (
    "import asyncio\n\nasync def main():\n    while True:\n        await asyncio.sleep(%d)\n\n"
    "asyncio.run(main())\n"
)


def test_a_run_that_keeps_yielding_is_stopped_with_what_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The busy guard (here at once) ends the run between two loop rounds: the message says it
    does await, no frame of ours is shown, and the timeline is drawn."""
    monkeypatch.setattr(browser, "BUSY_SECONDS", 0.0)
    source = LOOP % 1
    result = _run_source(tmp_path, monkeypatch, source)
    assert result["kind"] == "busy"
    assert "does yield to the event loop" in result["output"]
    assert "Traceback" not in result["output"] and "_StillBusy" not in result["output"]
    assert "section Task-1 main()" in result["timeline"]
    # The guard is gone: the next run is not stopped.
    monkeypatch.setattr(browser, "BUSY_SECONDS", 60.0)
    assert _run_source(tmp_path, monkeypatch, "print('hi')\n")["kind"] is None


def test_a_sleep_0_loop_is_diagnosed_as_the_cli_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It awaits: not "never awaits", but the engine's SpinError (about 2 s of real time)."""
    monkeypatch.setattr(browser, "BUSY_SECONDS", 60.0)
    source = LOOP % 0
    result = _run_source(tmp_path, monkeypatch, source)
    assert result["kind"] == "spin" and "never lets virtual time pass" in result["output"]
    assert result["line"] == 5
    assert result["cut"] is not None and len(result["timeline"]) < 40_000


def test_ten_thousand_tasks_draw_a_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "BUSY_SECONDS", 60.0)
    source = (
        "import asyncio\n\nasync def work(i):\n    await asyncio.sleep(0.01 * (i % 7))\n\n"
        "async def main():\n    await asyncio.gather(*(work(i) for i in range(10_000)))\n"
        "    print('done')\n\nasyncio.run(main())\n"
    )
    result = _run_source(tmp_path, monkeypatch, source)
    assert result["kind"] is None and result["output"].endswith("done\n")
    assert result["cut"]["tasks"] == 10_001 and result["cut"]["shown_tasks"] == 40
    # Mermaid's default limit is 50,000 characters.
    assert result["timeline"].count("    section ") == 40 and len(result["timeline"]) < 40_000


def test_big_output_is_capped_and_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run_source(tmp_path, monkeypatch, "for i in range(5000):\n    print(i)\n")
    assert result["lines"] == 5000
    shown = result["output"].splitlines()
    assert len(shown) == 1 + browser.SHOWN_LINES + 1 and shown[-2] == "999"
    assert shown[-1] == "[output cut: 1000 of 5000 lines shown]"
    assert len(result["timeline"]) < 40_000


def test_a_run_without_tasks_draws_main_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run_source(tmp_path, monkeypatch, "print('no tasks')\n")
    assert result["kind"] is None
    assert "    section main (no tasks)\n" in result["timeline"]
    assert "no tasks :milestone" in result["timeline"]


def test_the_heartbeat_beats_while_the_loop_turns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's watchdog hears from a run that awaits (runner-worker.mjs), not from one that
    never yields: the beat comes from the event loop's rounds."""
    monkeypatch.setattr(browser, "HEARTBEAT_SECONDS", -1.0)  # every round
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    beats: list[int] = []
    source = LOOP.replace("while True", "for _ in range(5)") % 1
    browser.run_example("examples/mine.py", source, lambda: beats.append(1))
    assert len(beats) >= 5
    beats.clear()
    browser.run_example("examples/mine.py", "total = sum(range(1000))\n", lambda: beats.append(1))
    assert beats == []


def test_code_that_never_awaits_is_stopped_on_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the page's watchdog ends the worker: Python's traceback of the reader's frames
    (none of ours), ending with why, and the line to mark."""
    monkeypatch.setattr(browser, "STUCK_SECONDS", 0.0)  # at the first check
    source = LOOP.replace("await asyncio.sleep(%d)", "pass")
    result = _run_source(tmp_path, monkeypatch, source)
    assert result["kind"] == "stuck" and result["line"] in (4, 5)
    shown = result["output"]
    assert 'File "examples/mine.py", line 7, in <module>' in shown
    assert "asyncio_notes" not in shown and "_NeverYields" not in shown
    assert shown.rstrip().endswith("this code never awaits (a loop such as while True: pass?).")
    # Once: the next run is not stopped.
    monkeypatch.setattr(browser, "STUCK_SECONDS", 60.0)
    assert _run_source(tmp_path, monkeypatch, "print('hi')\n")["kind"] is None


def test_a_stopped_run_leaves_nothing_for_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big run stopped part-way (busy) leaves thousands of never-started coroutines; their
    "never awaited" warnings must not turn up in the next run's output."""
    monkeypatch.setattr(browser, "BUSY_SECONDS", 0.3)
    source = (
        "import asyncio\n\nasync def work(i):\n    await asyncio.sleep(0.01 * (i % 7))\n\n"
        "async def main():\n    await asyncio.gather(*(work(i) for i in range(10_000)))\n\n"
        "asyncio.run(main())\n"
    )
    assert _run_source(tmp_path, monkeypatch, source)["kind"] == "busy"
    # Enough allocations for the garbage collector to run during this run.
    after = _run_source(tmp_path, monkeypatch, "for i in range(5000):\n    print([i] * 3)\n")
    assert "Warning" not in after["output"], after["output"][-300:]
