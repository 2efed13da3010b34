"""The page material derived from the examples: deterministic, cached, and never unchecked."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from asyncio_notes.engine.parent import trace_script
from asyncio_notes.engine.pool import CHILD_ENV
from asyncio_notes.engine.trace import printed_lines
from asyncio_notes.paths import EXAMPLES_DIR
from asyncio_notes.sitebuild import generate
from asyncio_notes.sitebuild.catalog import example_files


@pytest.fixture
def out_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(generate, "OUT_DIR", tmp_path / "generated")
    return tmp_path / "generated"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_two_runs_write_byte_identical_files(out_dir: Path) -> None:
    generate.generate_all(force=True)
    first = _snapshot(out_dir)
    generate.generate_all(force=True)
    assert _snapshot(out_dir) == first
    assert len([k for k in first if k.endswith("/timeline.md")]) == len(example_files())


def test_unchanged_examples_are_not_rerun(out_dir: Path) -> None:
    example = EXAMPLES_DIR / "ch02" / "task_model.py"
    assert generate.generate_example(example) is True
    assert generate.generate_example(example) is False


def test_output_tab_is_the_checked_run(out_dir: Path) -> None:
    example = EXAMPLES_DIR / "ch02" / "concurrent_tasks.py"
    generate.generate_example(example)
    text = (out_dir / "ch02" / "concurrent_tasks" / "output.txt").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "$ python examples/ch02/concurrent_tasks.py"
    assert text.splitlines()[-1] == "finished main in 3.0000 second(s)"


def test_output_differing_from_comments_fails_with_file_line_and_fix(
    out_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chapter = tmp_path / "examples" / "ch02"
    shutil.copytree(EXAMPLES_DIR / "ch02", chapter)
    example = chapter / "sequential.py"
    source = example.read_text(encoding="utf-8")
    example.write_text(source.replace("#> Hello World!", "#> Hello, World!"), encoding="utf-8")
    line = source.splitlines().index("#> Hello World!") + 1
    with pytest.raises(generate.GenerationError) as failure:
        generate.generate_example(example)
    message = str(failure.value)
    assert f"sequential.py:{line}:" in message
    assert "+Hello World!" in message and "-Hello, World!" in message
    assert "make update-examples" in message


def test_an_example_that_raises_fails_generation_naming_it(out_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "examples" / "ch09" / "boom.py"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "import asyncio\n\n\nasync def main():\n    raise ValueError('boom')\n\n\n"
        "asyncio.run(main())\n"
    )
    with pytest.raises(generate.GenerationError, match=r"boom\.py.*ValueError") as failure:
        generate.generate_example(bad)
    # The contributor's line, and how to run the example to see it fail.
    assert f"Fix the example ({bad}:5); run it with: python3 {bad}" in str(failure.value)


def test_stderr_is_published_only_as_checked_by_its_comments(out_dir: Path, tmp_path: Path) -> None:
    example = tmp_path / "examples" / "ch09" / "leak.py"
    example.parent.mkdir(parents=True)
    source = "import sys\n\nprint('hi')\nsys.stderr.write('SECRET\\n')\n#> hi\n"
    example.write_text(source, encoding="utf-8")
    with pytest.raises(generate.GenerationError) as failure:
        generate.generate_example(example)
    message = str(failure.value)
    assert "leak.py:5: the example writes something to stderr other than its #! comments" in message
    assert "+SECRET" in message and "make update-examples" in message
    assert not (out_dir / "ch09").exists()
    example.write_text(source + "#! SECRET\n", encoding="utf-8")
    assert generate.generate_example(example) is True
    assert (
        (out_dir / "ch09" / "leak" / "output.txt")
        .read_text(encoding="utf-8")
        .endswith("hi\n[stderr]\nSECRET\n")
    )


@pytest.fixture
def chapter(tmp_path: Path) -> Path:
    chapter = tmp_path / "examples" / "ch02"
    shutil.copytree(EXAMPLES_DIR / "ch02", chapter)
    return chapter


def test_a_data_file_beside_the_example_is_part_of_the_cache_key(
    out_dir: Path, chapter: Path
) -> None:
    example = chapter / "task_model.py"
    assert generate.generate_example(example) is True
    assert generate.generate_example(example) is False
    (chapter / "data").mkdir()
    (chapter / "data" / "input.txt").write_text("read by an example\n", encoding="utf-8")
    assert generate.generate_example(example) is True


def test_the_environment_is_part_of_the_cache_key(
    out_dir: Path, chapter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = chapter / "task_model.py"
    assert generate.generate_example(example) is True
    monkeypatch.setitem(CHILD_ENV, "TZ", "Asia/Shanghai")
    assert generate.generate_example(example) is True


WRITER = """\
import os
from pathlib import Path

Path("written.txt").write_text("x")
(Path.home() / "also.txt").write_text("x")
print(os.environ.get("HOME") == os.getcwd(), sorted(os.environ) == sorted(EXPECTED))
"""


def test_an_example_runs_in_a_fixed_environment_and_writes_nowhere_that_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = tmp_path / "examples" / "ch09" / "writer.py"
    example.parent.mkdir(parents=True)
    keys = sorted([*CHILD_ENV, "HOME", "TMPDIR", "PYTHONPATH"])
    example.write_text(f"EXPECTED = {keys!r}\n{WRITER}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    outputs = set()
    for home in ("/root", str(tmp_path)):
        monkeypatch.setenv("HOME", home)
        monkeypatch.setenv("SOME_SECRET", home)
        outputs.add(tuple(printed_lines(trace_script(example, root=tmp_path))))
    assert outputs == {("True True",)}
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["examples/ch09/writer.py"]


PAGE_WRITER = """\
from pathlib import Path

page = Path(__file__).resolve().parents[2] / "docs" / "en" / "injected.md"
page.write_text("# injected")
print("done")
#> done
"""


def test_an_example_that_changes_the_builds_sources_publishes_nothing(
    out_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    example = root / "examples" / "ch09" / "writer.py"
    example.parent.mkdir(parents=True)
    (root / "docs" / "en").mkdir(parents=True)
    example.write_text(PAGE_WRITER, encoding="utf-8")
    monkeypatch.setattr(generate, "REPO", root)
    monkeypatch.setattr(generate, "example_files", lambda: [example])
    monkeypatch.setattr(generate, "relative", lambda p: Path(os.path.relpath(p, root)).as_posix())
    with pytest.raises(generate.GenerationError) as failure:
        generate.generate_all()
    assert "docs/en/injected.md" in str(failure.value)
    assert "An example may not write into the repository" in str(failure.value)
    assert not (out_dir / "ch09").exists()
