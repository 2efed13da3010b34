"""Derive what the pages show from the example files, by running them.

For each example `examples/chNN/NAME.py` this writes `build/generated/chNN/NAME/`:
  trace.json    the traced run under the virtual clock (engine/parent.py)
  output.txt    the command and what it printed (the page's Output tab)
  timeline.md   a Mermaid gantt chart of that run (the page's Timeline tab)
  steps.json    the stepper's data (render/steps.py), published at assets/steps/chNN/NAME.json
  LANG/steps.txt  the same as a text log (the Step through tab without JavaScript)
  tabs.LANG.md, code-output.LANG.md   what a page includes to show the example (sitebuild/tabs.py)
and `build/generated/diagrams/task_future_coroutine.md`, a class diagram of asyncio's classes, and
`build/generated/legend/<lang>.md`, the timelines' legend (legend.py).

The printed lines must equal the example's `#>` comments (checked by pytest-examples), and what
the Output tab shows of stderr its `#!` comments, so the page can never show output the tests did
not check. Every example is traced before anything is written, and nothing is written if a file
the build reads changed meanwhile (an example wrote into the repository).
An example is not re-run while its key hashes the same: every file in the example's folder, the
interpreter's full version, the tracer's fixed environment, and the engine, renderer and generator
sources. The tabs snippets are checked on every run, cached or not, and written when they differ.
One generation at a time per checkout (lock.py); files are replaced by renames, so a reader never
sees one half-written.
Usage: python -m asyncio_notes.sitebuild.generate [--force]
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import hashlib
import json
import os
import shutil
import sys
import sysconfig
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from asyncio_notes.engine.parent import TraceError, trace_script
from asyncio_notes.engine.pool import CHILD_ENV
from asyncio_notes.engine.trace import Trace, dumps, printed_lines
from asyncio_notes.paths import GENERATED_DIR, REPO
from asyncio_notes.render.class_diagram import render_class_diagram
from asyncio_notes.render.output import (
    diagram_block,
    output_text,
    shown_stderr,
    timeline_block,
)
from asyncio_notes.render.steps import LABELS as STEP_LABELS
from asyncio_notes.render.steps import dumps_steps, step_data, steps_text
from asyncio_notes.sitebuild.catalog import (
    ExpectedLine,
    example_files,
    expected_output,
    expected_stderr,
    relative,
)
from asyncio_notes.sitebuild.legend import write_legends
from asyncio_notes.sitebuild.lock import build_lock, replace_text
from asyncio_notes.sitebuild.tabs import write_tabs

OUT_DIR = GENERATED_DIR
PACKAGE_DIR = REPO / "asyncio_notes"


def _generator_sources() -> list[Path]:
    """Code whose change must invalidate every cached result: the engine, the renderers, and
    the two modules of the site build that shape what is written."""
    engine_and_render = [
        *(PACKAGE_DIR / "engine").glob("*.py"),
        *(PACKAGE_DIR / "render").glob("*.py"),
    ]
    return [*sorted(engine_and_render), Path(__file__).with_name("catalog.py"), Path(__file__)]


# The build traces every example with the same limits, and offers no option to change them.
# What a contributor whose example hits a limit can do about it: the build has no option.
_HINTS = {
    limit: "The site build has no option to raise this limit: make the example finish sooner."
    for limit in ("time_limit", "timeout")
}


class GenerationError(RuntimeError):
    """One or more examples could not be turned into page material."""


def _digest(paths: list[Path], *extra: str) -> str:
    h = hashlib.sha256()
    for part in extra:
        h.update(part.encode())
    for path in paths:
        h.update(relative(path).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _environment() -> str:
    """What the example runs in, beside its files: the interpreter (its full version: tracebacks
    change between patch releases) and the fixed environment of the tracer's child."""
    return json.dumps([sys.implementation.name, sys.version, sorted(CHILD_ENV.items())])


def example_inputs(example: Path) -> list[Path]:
    """Every file the example can read from its folder: helpers and data files too."""
    return sorted(
        p
        for p in example.parent.rglob("*")
        if p.is_file() and "__pycache__" not in p.relative_to(example.parent).parts
    )


def example_out_dir(example: Path) -> Path:
    return OUT_DIR / example.parent.name / example.stem


def _check_transcript(
    example: Path, printed: list[str], read: Callable[[Path], list[ExpectedLine]] = expected_output
) -> None:
    """Fail with a diff naming the file and line when the run differs from the `#>` comments
    (`read=expected_stderr`: what it shows of stderr, from the `#!` comments)."""
    expected = read(example)
    if [e.text for e in expected] == printed:
        return
    what = "prints something" if read is expected_output else "writes something to stderr"
    mark = "#>" if read is expected_output else "#!"
    where = (
        expected[0].lineno if expected else len(example.read_text(encoding="utf-8").splitlines())
    )
    for exp, got in zip(expected, printed, strict=False):
        if exp.text != got:
            where = exp.lineno
            break
    else:
        common = min(len(expected), len(printed))
        if common < len(expected):
            where = expected[common].lineno
    diff = "\n".join(
        difflib.unified_diff(
            [e.text for e in expected], printed, f"{mark} comments", "actual run", lineterm=""
        )
    )
    raise GenerationError(
        f"{relative(example)}:{where}: the example {what} other than its {mark} comments.\n"
        f"{diff}\nIf the new output is right, run `make update-examples` to rewrite the comments."
    )


@dataclass(frozen=True)
class _Run:
    example: Path
    key: str
    trace: Trace


def _run(example: Path, *, force: bool = False) -> _Run | None:
    """Trace one example and check what its page will show; None when its cached run stands."""
    key = _digest([*example_inputs(example), *_generator_sources()], _environment())
    stamp = example_out_dir(example) / "inputs.sha256"
    if not force and stamp.exists() and stamp.read_text() == key:
        return None
    try:
        trace = trace_script(example, root=REPO)
    except TraceError as exc:
        hint = _HINTS.get(exc.kind, "")
        if exc.kind == "exception":
            hint = f"Fix the example ({exc.line or exc.script}); run it with: python3 {exc.script}"
        raise GenerationError(str(exc) + (f"\n{hint}" if hint else "")) from None
    _check_transcript(example, printed_lines(trace))
    # The Output tab shows stderr too: it is checked like the printed lines, never published raw.
    _check_transcript(example, shown_stderr(trace["stderr"]), expected_stderr)
    return _Run(example, key, trace)


def _write_run(run: _Run) -> None:
    out = example_out_dir(run.example)
    out.mkdir(parents=True, exist_ok=True)
    stamp = out / "inputs.sha256"
    stamp.unlink(missing_ok=True)  # first: a half-written directory is never taken as cached
    printed = printed_lines(run.trace)
    steps = step_data(run.trace, run.example.parent)
    files = {
        "trace.json": dumps(run.trace) + "\n",
        "output.txt": output_text(relative(run.example), printed, run.trace["stderr"]),
        "timeline.md": timeline_block(run.trace),
        "steps.json": dumps_steps(steps),
        # A folder per language: parity.py sees one include in both.
        **{f"{lang}/steps.txt": steps_text(steps, lang) for lang in STEP_LABELS},
    }
    for name, text in files.items():
        (out / name).parent.mkdir(exist_ok=True)
        replace_text(out / name, text)
    kept = {name.split("/")[0] for name in files}
    for old in out.iterdir():
        if old.name not in kept:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    replace_text(stamp, run.key)


def generate_example(example: Path, *, force: bool = False) -> bool:
    """Write the generated files for one example; return True if it was (re)run."""
    run = _run(example, force=force)
    if run is not None:
        _write_run(run)
    return run is not None


def generate_diagrams() -> None:
    out = OUT_DIR / "diagrams" / "task_future_coroutine.md"
    text = diagram_block(render_class_diagram())
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        replace_text(out, text)


def _remove_stale(examples: list[Path]) -> None:
    """Drop output of examples that no longer exist, so a page cannot include a ghost."""
    wanted = {example_out_dir(e) for e in examples}
    for chapter in OUT_DIR.glob("ch[0-9][0-9]"):
        for out in chapter.iterdir():
            if out not in wanted:
                shutil.rmtree(out)


# What the build reads: no example may change it while it runs (checked before and after).
# The installed packages too (.venv): the next language's build would import them.
_SOURCES = (
    "docs",
    "examples",
    "overrides",
    "asyncio_notes",
    "mkdocs.yml",
    "mkdocs.en.yml",
    ".cache",  # mkdocs-jupyter's converted notebooks
)


def _watched() -> list[Path]:
    packages = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    return [*(REPO / name for name in _SOURCES), OUT_DIR, *map(Path, sorted(packages))]


def _tree_state() -> dict[str, tuple[int, int, int]]:
    """Every file the build reads (and build/generated/), by its size, mtime and inode."""
    state = {}
    for top in _watched():
        if top.is_file():
            st = top.lstat()
            state[str(top)] = (st.st_size, st.st_mtime_ns, st.st_ino)
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                with contextlib.suppress(OSError):
                    st = os.lstat(path := os.path.join(folder, name))
                    state[path] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return state


def _changed(before: dict, after: dict) -> list[str]:
    changed = (k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return sorted(relative(Path(k)) for k in changed)


def generate_all(*, force: bool = False, jobs: int = 2) -> list[Path]:
    """Generate everything; return the examples that were re-run. Collects every failure.
    Every example is traced first and its output checked; then the tree the build reads must
    be as it was before, or nothing is written (an example may not change the build's sources)."""
    with build_lock():
        examples = example_files()
        _remove_stale(examples)
        errors: list[str] = []
        runs: list[_Run] = []
        before = _tree_state()

        def one(example: Path) -> None:
            try:
                if (run := _run(example, force=force)) is not None:
                    runs.append(run)
            except GenerationError as exc:
                errors.append(str(exc))

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, examples))
        if changed := _changed(before, _tree_state()):
            raise GenerationError(
                "these files changed while the examples ran, so nothing was published: "
                f"{', '.join(changed)}. An example may not write into the repository: write "
                "into its working directory (a temporary folder), or print instead."
            )
        for run in runs:
            _write_run(run)
        for example in examples:
            write_tabs(example)  # after: they size their fences to the example and its output
        generate_diagrams()
        write_legends(OUT_DIR)
        if errors:
            raise GenerationError("\n\n".join(sorted(errors)))
        return sorted(run.example for run in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="re-run every example")
    args = parser.parse_args()
    try:
        rerun = generate_all(force=args.force)
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"generated {len(rerun)} example(s) into {relative(OUT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
