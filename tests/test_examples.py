"""Every example's printed output matches its `#>` comments (pytest-examples).

Run `make update-examples` (pytest --update-examples) to rewrite the comments after changing an
example. Examples run in-process under the virtual clock: sleeps cost no real time, durations are
exact, and a deadlock or a runaway timer fails the test with the stuck task's file and line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample

from asyncio_notes.engine.loop import installed
from asyncio_notes.sitebuild.catalog import HELPER_MODULES, example_files, relative
from tests.pytest_examples_adapter import chronological_prints, example_failure

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
    example = CodeExample.create(path.read_text(encoding="utf-8"), path=path)
    eval_example.set_config(line_length=200)  # keep long lines as `#>` comments, not '''blocks'''
    run_copy = eval_example.tmp_path / f"{example.module_name}.py"
    with chronological_prints(eval_example), installed():
        try:
            if eval_example.update_examples:
                eval_example.run_print_update(example)
            else:
                eval_example.run_print_check(example)
        except Exception as exc:  # the example itself failed: show its own traceback
            pytest.fail(
                f"{relative(path)} raised {type(exc).__name__}; fix the example "
                f"(run it with: python {relative(path)}).\n{example_failure(exc, path, run_copy)}",
                pytrace=False,
            )


def test_examples_found() -> None:
    assert len(EXAMPLES) >= 10, "examples/ch02 should hold the chapter's examples"
