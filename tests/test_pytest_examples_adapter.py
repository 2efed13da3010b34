"""Guards for tests/pytest_examples_adapter.py.

If pytest-examples changes the internals the adapter patches, or fixes the misplacement the
adapter works around, these tests fail and say so: then revisit the adapter (or drop it).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import pytest_examples
from pytest_examples import run_code as run_code_module
from pytest_examples.config import ExamplesConfig
from pytest_examples.find_examples import CodeExample
from pytest_examples.run_code import MockPrintFunction, run_code

from tests import pytest_examples_adapter as adapter

# Two tasks whose prints interleave: B's first line runs between A's two lines.
CONCURRENT = """\
import asyncio


async def a():
    print("a1")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("a2")


async def b():
    print("b1")


async def main():
    await asyncio.gather(a(), b())


asyncio.run(main())
"""
CHRONOLOGICAL = ["a1", "b1", "a2"]


def _updated_source(tmp_path: Path, source: str, include_print=None) -> str:
    """Run `source` through pytest-examples' own machinery and return the rewritten code."""
    path = tmp_path / "example.py"
    path.write_text(source, encoding="utf-8")
    example = CodeExample.create(source, path=path)
    insert_print, _ = run_code(
        example=example,
        python_file=path,
        loader=None,
        config=ExamplesConfig(),
        enable_print_mock=True,
        print_callback=None,
        include_print=include_print,
        module_globals=None,
        call=None,
    )
    return insert_print.updated_print_statements(example) or source


def _transcript(source: str) -> list[str]:
    return [line.strip()[3:] for line in source.splitlines() if line.strip().startswith("#> ")]


def test_library_version_is_the_one_adapted() -> None:
    assert pytest_examples.__version__ == adapter.EXPECTED_VERSION, (
        "pytest-examples changed version: re-check tests/pytest_examples_adapter.py against it"
    )


def test_patched_internals_still_exist() -> None:
    params = list(inspect.signature(MockPrintFunction._find_line_number).parameters)
    assert params == ["self", "inspect_frame"]
    assert list(inspect.signature(run_code_module.find_print_location).parameters) == [
        "example",
        "line_no",
    ]
    assert callable(run_code_module.find_print)


def test_unadapted_library_misplaces_concurrent_prints(tmp_path: Path) -> None:
    """The reason the adapter exists. If this starts failing, the library fixed it upstream."""
    transcript = _transcript(_updated_source(tmp_path, CONCURRENT))
    assert transcript != CHRONOLOGICAL


class _FakeEval:
    include_print = None


def test_adapter_writes_one_chronological_transcript(tmp_path: Path) -> None:
    fake = _FakeEval()
    with adapter.chronological_prints(fake):  # type: ignore[arg-type]
        updated = _updated_source(tmp_path, CONCURRENT, fake.include_print)
    assert _transcript(updated) == CHRONOLOGICAL
    # ...all of it directly under the statement that ran the loop
    lines = updated.splitlines()
    run_at = lines.index("asyncio.run(main())")
    assert lines[run_at + 1 : run_at + 4] == [f"#> {t}" for t in CHRONOLOGICAL]


def test_adapter_indents_transcript_inside_blocks(tmp_path: Path) -> None:
    source = (
        "import asyncio\n\n\nasync def main():\n    print('hi')\n\n\n"
        "loop = asyncio.new_event_loop()\ntry:\n    loop.run_until_complete(main())\n"
        "finally:\n    loop.close()\n"
    )
    fake = _FakeEval()
    with adapter.chronological_prints(fake):  # type: ignore[arg-type]
        updated = _updated_source(tmp_path, source, fake.include_print)
    assert "    loop.run_until_complete(main())\n    #> hi\n" in updated


def test_adapter_is_undone_after_use() -> None:
    original = MockPrintFunction._find_line_number
    with adapter.chronological_prints(_FakeEval()):  # type: ignore[arg-type]
        assert MockPrintFunction._find_line_number is not original
    assert MockPrintFunction._find_line_number is original


@pytest.mark.parametrize("text", ["#> x", "    #> x"])
def test_catalog_reads_transcript_lines(tmp_path: Path, text: str) -> None:
    from asyncio_notes.sitebuild.catalog import expected_output

    path = tmp_path / "e.py"
    path.write_text(f"print('x')\n{text}\n#>\n", encoding="utf-8")
    assert [(e.lineno, e.text) for e in expected_output(path)] == [(2, "x"), (3, "")]
