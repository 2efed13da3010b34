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
