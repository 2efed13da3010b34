"""Every example's printed output matches its `#>` comments (pytest-examples).

Run `make update-examples` (pytest --update-examples) to rewrite the comments after changing an
example. Examples run in-process under the virtual clock: sleeps cost no real time, durations are
exact, and a deadlock or a runaway timer fails the test with the stuck task's file and line. Each
runs as the site build runs it (`as_the_build_runs`), so the two cannot print different text.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample

from asyncio_notes.engine.loop import installed
from asyncio_notes.engine.parent import trace_script
from asyncio_notes.engine.trace import printed_lines
from asyncio_notes.paths import REPO
from asyncio_notes.render.output import shown_stderr
from asyncio_notes.sitebuild.catalog import (
    HELPER_MODULES,
    example_files,
    expected_stderr,
    relative,
    with_stderr_comments,
)
from tests.pytest_examples_adapter import as_the_build_runs, chronological_prints, example_failure

EXAMPLES = example_files()


@pytest.fixture
def example_dir_on_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the example import its helpers as it does when run as `python examples/chNN/x.py`."""
    path: Path = request.node.callspec.params["path"]
    monkeypatch.syspath_prepend(str(path.parent))
    for name in HELPER_MODULES:  # a fresh helper module per example, from the right chapter
        monkeypatch.delitem(sys.modules, name.removesuffix(".py"), raising=False)


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited")  # debug_mode.py shows it
@pytest.mark.timeout(10)  # an example stuck in a CPU loop fails here, naming itself
@pytest.mark.parametrize("path", EXAMPLES, ids=[relative(p) for p in EXAMPLES])
@pytest.mark.usefixtures("example_dir_on_path")
def test_example_output(path: Path, eval_example: EvalExample) -> None:
    run_example(eval_example, path, REPO)


def run_example(eval_example: EvalExample, path: Path, root: Path) -> None:
    """Check (or, with --update-examples, rewrite) the `#>` comments of the example at `path`."""
    example = CodeExample.create(path.read_text(encoding="utf-8"), path=path)
    eval_example.set_config(line_length=200)  # keep long lines as `#>` comments, not '''blocks'''
    with (
        chronological_prints(eval_example),
        as_the_build_runs(eval_example, path, root),
        installed(),
    ):
        try:
            if eval_example.update_examples:
                eval_example.run_print_update(example)
            else:
                eval_example.run_print_check(example)
        except Exception as exc:  # the example itself failed: show its own traceback
            pytest.fail(
                f"{relative(path)} raised {type(exc).__name__}; fix the example "
                f"(run it with: python3 {relative(path)}).\n{example_failure(exc, path)}",
                pytrace=False,
            )
    # What the Output tab shows of stderr: `#!` comments, written and checked from the build's run.
    shown = shown_stderr(trace_script(path, root=root)["stderr"])
    text = path.read_text(encoding="utf-8")
    if eval_example.update_examples:
        if with_stderr_comments(text, shown) != text:
            path.write_text(with_stderr_comments(text, shown), encoding="utf-8")
    else:
        assert [e.text for e in expected_stderr(path)] == shown, (
            f"{relative(path)} writes to stderr other than its #! comments; if that is right, "
            "run `make update-examples`"
        )


def test_examples_found() -> None:
    assert len(EXAMPLES) >= 10, "examples/ch02 should hold the chapter's examples"


WHERE = """\
import os
import sys
import traceback
from pathlib import Path


def main():
    print(Path(__file__).name, sys.argv[0])
    print(Path.cwd() == Path.home(), os.environ.get("ASYNCIO_NOTES_PROBE"))
    try:
        {}["missing"]
    except KeyError:
        print(traceback.format_exc().splitlines()[1].strip())


main()
"""


def test_the_build_and_pytest_examples_print_the_same(
    tmp_path: Path, eval_example: EvalExample, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a script shows of its own file, cwd, HOME, environment and tracebacks is the same in
    both runs: the build's printed lines, written as `#>` comments, pass pytest-examples."""
    monkeypatch.setenv("ASYNCIO_NOTES_PROBE", "from the caller")  # reaches neither run
    root = tmp_path / "repo"
    example = root / "examples" / "ch09" / "where.py"
    example.parent.mkdir(parents=True)
    example.write_text(WHERE, encoding="utf-8")
    printed = printed_lines(trace_script(example, root=root))
    assert printed == [
        "where.py examples/ch09/where.py",
        "True None",
        'File "examples/ch09/where.py", line 11, in main',
    ]
    example.write_text(WHERE + "".join(f"#> {line}\n" for line in printed), encoding="utf-8")
    run_example(eval_example, example, root)
