"""The tracer's command line and its failures: output byte-identical from run to run, every
failure naming the file and the cause and saying what to do, the fork server replaceable by a
fresh interpreter, and the other supported Pythons.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from asyncio_notes.devtools.test_pythons import VERSIONS, find_python
from asyncio_notes.engine import pool as process_pool
from asyncio_notes.engine.parent import TraceError, trace_script
from asyncio_notes.engine.trace import dumps
from asyncio_notes.paths import REPO


def test_the_cli_prints_byte_identical_json_twice() -> None:
    command = [sys.executable, "-m", "asyncio_notes", "examples/ch02/shield_task.py", "--json"]
    outputs = [subprocess.run(command, cwd=REPO, capture_output=True, text=True) for _ in "ab"]
    assert outputs[0].returncode == 0, outputs[0].stderr
    assert outputs[0].stdout == outputs[1].stdout
    trace = json.loads(outputs[0].stdout)
    assert (
        outputs[0].stdout == json.dumps(trace, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    assert round(trace["elapsed"], 3) == 3.0  # plus the microseconds of CPU cost


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad_example.py"
    path.write_text("import asyncio\n\n\n" + body + "\n\nasyncio.run(main())\n", encoding="utf-8")
    return path


def fails_fast(path: Path, **kwargs: Any) -> str:
    start = time.perf_counter()
    with pytest.raises(TraceError) as caught:
        trace_script(path, **kwargs)
    assert time.perf_counter() - start < 10
    message = str(caught.value)
    assert message.startswith(str(path)), message
    return message


def test_an_example_that_raises(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'async def main():\n    await asyncio.sleep(1)\n    raise ValueError("no")'
    )
    message = fails_fast(path)
    assert "raised ValueError" in message and "ValueError: no" in message
    assert f'File "{path}", line 6, in main' in message
    assert 'File "<stdlib>/asyncio/runners.py"' in message and "asyncio_notes" not in message


def test_one_error_type_says_how_where_and_what_ran(tmp_path: Path) -> None:
    raises = write(
        tmp_path, 'async def main():\n    await asyncio.sleep(1)\n    raise ValueError("no")'
    )
    with pytest.raises(TraceError) as caught:
        trace_script(raises)
    error = caught.value
    assert (error.kind, error.script, error.line) == ("exception", str(raises), f"{raises}:6")
    assert error.trace is not None and round(error.trace["elapsed"], 3) == 1.0  # what ran
    deadlocks = tmp_path / "deadlocks.py"
    deadlocks.write_text(
        "import asyncio\n\n\nasync def main():\n"
        "    await asyncio.get_running_loop().create_future()\n\n\nasyncio.run(main())\n",
        encoding="utf-8",
    )
    with pytest.raises(TraceError) as caught:
        trace_script(deadlocks)
    assert (caught.value.kind, caught.value.line) == ("deadlock", f"{deadlocks}:5")
    with pytest.raises(TraceError) as caught:
        trace_script(tmp_path / "missing.py")
    assert caught.value.kind == "no_file" and caught.value.trace is None


def test_an_example_that_deadlocks(tmp_path: Path) -> None:
    path = write(
        tmp_path, "async def main():\n    await asyncio.get_running_loop().create_future()"
    )
    message = fails_fast(path)
    assert "deadlocked" in message and f"Task-1 main() waiting at {path}:5" in message


def test_an_example_that_never_ends_in_virtual_time(tmp_path: Path) -> None:
    path = write(tmp_path, "async def main():\n    while True:\n        await asyncio.sleep(1)")
    message = fails_fast(path, time_limit=60)
    assert "virtual time limit" in message and "limit of 60 s" in message
    assert f"main() waiting at {path}:6" in message


@pytest.mark.slow  # waits for the real-time limit
def test_an_example_stuck_in_a_cpu_loop(tmp_path: Path) -> None:
    path = write(tmp_path, "async def main():\n    while True:\n        pass")
    message = fails_fast(path, timeout=1)  # the build's limit is longer; the message is the same
    assert "did not finish within 1 s of real time" in message
    assert re.search(rf"stopped at {re.escape(str(path))}:[56] in main", message)  # while or pass


def test_the_cli_reports_errors_in_one_message(tmp_path: Path) -> None:
    path = write(
        tmp_path, "async def main():\n    await asyncio.get_running_loop().create_future()"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "asyncio_notes", str(path)], cwd=REPO, capture_output=True, text=True
    )
    # The timeline of what ran until then, then the error (issue 22).
    assert proc.returncode == 1 and proc.stdout.startswith("---")
    assert "section Task-1 main()" in proc.stdout
    assert proc.stderr.startswith(f"trace: {path} deadlocked") and "Traceback" not in proc.stderr


def _cli(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "asyncio_notes", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True)


def test_the_cli_draws_a_failing_script_up_to_the_error(tmp_path: Path) -> None:
    """A TaskGroup with a failing child: the chart with the child's exception marked, then
    Python's traceback with the script's frames only (the stdlib's folded), and status 1."""
    path = write(
        tmp_path,
        "async def child():\n    await asyncio.sleep(1)\n    raise ValueError('boom')\n\n\n"
        "async def main():\n    async with asyncio.TaskGroup() as tg:\n"
        "        tg.create_task(child())\n        tg.create_task(asyncio.sleep(2))",
    )
    proc = _cli(str(path))
    assert proc.returncode == 1
    assert "ValueError('boom') :crit, milestone" in proc.stdout
    assert "section Task-2 child()" in proc.stdout
    assert f'|   File "{path}", line 6, in child' in proc.stderr
    assert "ValueError: boom" in proc.stderr and "asyncio_notes" not in proc.stderr
    assert 'File "<stdlib>' not in proc.stderr and "fix the example" not in proc.stderr
    assert proc.stderr.rstrip().endswith("the timeline shows the run up to the error.")


def test_the_cli_shows_a_syntax_error_as_python_does(tmp_path: Path) -> None:
    path = tmp_path / "typo.py"
    path.write_text("import asyncio\n\nprint('hi'\n", encoding="utf-8")
    proc = _cli(str(path))
    assert proc.returncode == 1 and proc.stdout == ""
    where = f'  File "{path}", line 3\n'
    assert proc.stderr == where + "    print('hi'\n         ^\nSyntaxError: '(' was never closed\n"


def test_the_cli_writes_a_self_contained_html_page(tmp_path: Path) -> None:
    proc = _cli("--html", "examples/ch02/task_model.py")
    assert proc.returncode == 0, proc.stderr
    page = proc.stdout
    assert page.startswith("<!doctype html>") and '<script type="importmap">' in page
    # Nothing is fetched: no script or stylesheet from a URL, every module a data: URL.
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page)[1])
    assert imports["imports"] and all(
        url.startswith("data:text/javascript;base64,") for url in imports["imports"].values()
    )
    assert any("ganttDiagram" in name for name in imports["imports"])
    assert "section Task-1 main()" in page  # the chart's source


def test_a_fresh_interpreter_gives_the_same_trace_as_the_fork_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = REPO / "examples/ch02/debug_mode.py"
    forked = trace_script(example)
    monkeypatch.delattr(os, "fork")  # as on Windows: one new interpreter per trace
    assert trace_script(example) == forked


def test_tracing_goes_on_when_the_fork_server_dies() -> None:
    example = REPO / "examples/ch02/sequential.py"
    first = trace_script(example)
    server = process_pool._fork_server(sys.executable)
    server.process.kill()
    server.process.wait()
    assert trace_script(example) == first  # spawned, or a new server
    assert trace_script(example) == first


def test_a_missing_interpreter_is_a_trace_error(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="cannot start the interpreter"):
        trace_script(REPO / "examples/ch02/task_model.py", python=str(tmp_path / "python"))


@pytest.mark.parametrize("version", VERSIONS)
def test_other_interpreters(version: str) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed (neither on PATH nor under pyenv)")
    trace = trace_script(REPO / "examples/ch02/task_model.py", python=str(python))
    assert trace["python"] == version and round(trace["elapsed"], 3) == 3.0
    steps = [[round(t, 3) for t in step] for step in trace["tasks"][1]["steps"]]
    assert steps == [[0.0, 0.0], [3.0, 3.0]]


# --- messages that say what happened and what to do ---------------------------------------------


@pytest.mark.slow  # spins for SPIN_SECONDS of real time first
def test_a_loop_that_yields_but_never_lets_time_pass(tmp_path: Path) -> None:
    path = write(tmp_path, "async def main():\n    while True:\n        await asyncio.sleep(0)")
    message = fails_fast(path)
    assert "never lets virtual time pass" in message and "asyncio.sleep(0)" in message
    assert "never yields" not in message
    assert f"main() waiting at {path}:6" in message


def test_the_time_limit_message_says_how_to_raise_it_or_that_nothing_can(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "async def main():\n    while True:\n        await asyncio.sleep(1)")
    cli = subprocess.run(
        [sys.executable, "-m", "asyncio_notes", str(path), "--time-limit", "5"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert "raise the limit with --time-limit SECONDS" in cli.stderr, cli.stderr
    from asyncio_notes.sitebuild import generate

    monkeypatch.setattr(generate, "OUT_DIR", tmp_path / "generated")
    with pytest.raises(generate.GenerationError) as caught:
        generate.generate_example(path)
    assert "The site build has no option to raise this limit" in str(caught.value)


def test_input_says_examples_cannot_read_standard_input(tmp_path: Path) -> None:
    path = write(tmp_path, "async def main():\n    print(input('name? '))")
    message = fails_fast(path)
    assert "EOFError: examples cannot read standard input" in message
    assert f'File "{path}", line 5, in main' in message and "instrument.py" not in message


def test_the_cli_shows_a_task_exception_that_was_never_retrieved(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "async def boom():\n    raise ValueError('lost')\n\n\n"
        "async def main():\n    asyncio.create_task(boom())\n    await asyncio.sleep(1)",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "asyncio_notes", str(path)], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.startswith("---")
    assert "Task exception was never retrieved" in proc.stderr
    assert "ValueError: lost" in proc.stderr


def test_a_trace_interrupted_before_its_answer_does_not_confuse_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C (or a test's timeout) between sending a request to the fork server and reading
    its answer left that answer for the next trace, which then waited for the wrong child."""
    example = REPO / "examples/ch02/sequential.py"
    expected = trace_script(example)
    server = process_pool._fork_server(sys.executable)
    real_get = server.started.get

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(server.started, "get", real_get)
        raise KeyboardInterrupt

    monkeypatch.setattr(server.started, "get", interrupted)
    with pytest.raises(KeyboardInterrupt):
        trace_script(example)
    assert process_pool._fork_server(sys.executable) is server, "the same server goes on"
    for _ in range(3):
        assert trace_script(example) == expected


# --- the loop's story ----------------------------------------------------------------------------


def test_the_trace_tells_the_loops_story_iteration_by_iteration() -> None:
    trace = trace_script(REPO / "examples/ch02/concurrent_tasks.py", root=REPO)
    first, spawned, timers, woken, last = trace["iterations"]
    assert first["ready"] == [{"task": "Task-1"}] and first["timers"] == []
    (main_step,) = first["ran"]
    assert main_step["resumed"] == [["util.py", 25]]  # async_timed's wrapper, not yet started
    assert main_step["suspended"] == [["util.py", 30], ["concurrent_tasks.py", 14]]
    assert main_step["awaits"] == "Task-2" and main_step["outcome"] is None
    names = [{"task": f"Task-{n}"} for n in (2, 3, 4)]
    assert main_step["ready"] == spawned["ready"] == names  # what runs next, in order
    # Each delay runs until its sleep: after the third, three timers are pending at 3 s.
    assert [e["suspended"] for e in spawned["ran"]] == [[["util.py", 14]]] * 3
    pending = spawned["ran"][-1]["timers"]
    assert [(round(t["when"], 3), t["wakes"]) for t in pending] == [
        (3.0, ["Task-2"]),
        (3.0, ["Task-3"]),
        (3.0, ["Task-4"]),
    ]
    # One wake-up at 3 s runs all three timers; their tasks run in the next iteration ...
    assert round(timers["time"], 3) == 3.0
    assert [e["callback"] for e in timers["ran"]] == ["_set_result_unless_cancelled"] * 3
    assert [e["task"] for e in woken["ran"]] == ["Task-2", "Task-3", "Task-4"]
    assert [e["outcome"] for e in woken["ran"]] == ["result"] * 3
    # ... and main, woken once, finds the other two done.
    assert [e["task"] for e in last["ran"]] == ["Task-1"] and last["ran"][0]["ready"] == []


def test_every_examples_story_is_small(tmp_path: Path) -> None:
    for path in sorted((REPO / "examples/ch02").glob("*.py")):
        if path.name == "util.py":
            continue
        trace = trace_script(path, root=REPO)
        size = len(gzip.compress(json.dumps(trace["iterations"]).encode()))
        assert size < 20_000, (path.name, size)


def test_addresses_in_reprs_are_numbered_so_two_runs_give_the_same_trace(tmp_path: Path) -> None:
    path = tmp_path / "addresses.py"
    path.write_text(
        "import asyncio\n\n\n"
        "async def waiter(name, event):\n    await event.wait()\n    return event\n\n\n"
        "async def main():\n    event = asyncio.Event()\n"
        "    tasks = [asyncio.create_task(waiter(f'w{i}', event)) for i in range(2)]\n"
        "    await asyncio.sleep(0.1)\n    event.set()\n    await asyncio.gather(*tasks)\n\n\n"
        "asyncio.run(main())\n",
        encoding="utf-8",
    )
    first, second = (dumps(trace_script(path, root=tmp_path)) for _ in "ab")
    assert first == second
    trace = json.loads(first)
    coros = [t["coro"] for t in trace["tasks"]]
    assert coros[1:] == [
        f"waiter('w{i}', <asyncio.locks.Eve...ect at 0x1 [unset]>)" for i in (0, 1)
    ]
    assert trace["tasks"][1]["result"].startswith("<asyncio.locks.Event object at 0x1 [set")
