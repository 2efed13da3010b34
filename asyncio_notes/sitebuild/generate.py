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

The printed lines must equal the example's `#>` comments (checked by pytest-examples), so the page
can never show output the tests did not check. An example is not re-run while its key hashes the
same: every file in the example's folder, the interpreter's full version, the tracer's fixed
environment, and the engine, renderer and generator sources. The tabs snippets are checked on
every run, cached or not, and written when they differ.
Usage: python -m asyncio_notes.sitebuild.generate [--force]
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from asyncio_notes.engine.parent import TraceError, trace_script
from asyncio_notes.engine.pool import CHILD_ENV
from asyncio_notes.engine.trace import dumps, printed_lines
from asyncio_notes.paths import GENERATED_DIR, REPO
from asyncio_notes.render.class_diagram import render_class_diagram
from asyncio_notes.render.output import diagram_block, output_text, timeline_block
from asyncio_notes.render.steps import LABELS as STEP_LABELS
from asyncio_notes.render.steps import dumps_steps, step_data, steps_text
from asyncio_notes.sitebuild.catalog import (
    example_files,
    expected_output,
    relative,
)
from asyncio_notes.sitebuild.legend import write_legends
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
_NO_RAISING = {
    limit: "the site build has no option to raise it: make the example finish sooner"
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


def _check_transcript(example: Path, printed: list[str]) -> None:
    """Fail with a diff naming the file and line when the run differs from the `#>` comments."""
    expected = expected_output(example)
    if [e.text for e in expected] == printed:
        return
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
            [e.text for e in expected], printed, "#> comments", "actual run", lineterm=""
        )
    )
    raise GenerationError(
        f"{relative(example)}:{where}: the example prints something other than its #> comments.\n"
        f"{diff}\nIf the new output is right, run `make update-examples` to rewrite the comments."
    )


def generate_example(example: Path, *, force: bool = False) -> bool:
    """Write the generated files for one example; return True if it was (re)run."""
    out = example_out_dir(example)
    key = _digest([*example_inputs(example), *_generator_sources()], _environment())
    stamp = out / "inputs.sha256"
    if not force and stamp.exists() and stamp.read_text() == key:
        return False
    try:
        trace = trace_script(example, root=REPO, raise_limits=_NO_RAISING)
    except TraceError as exc:
        raise GenerationError(str(exc)) from None
    printed = printed_lines(trace)
    _check_transcript(example, printed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "trace.json").write_text(dumps(trace) + "\n", encoding="utf-8")
    (out / "output.txt").write_text(
        output_text(relative(example), printed, trace["stderr"]), encoding="utf-8"
    )
    (out / "timeline.md").write_text(timeline_block(trace), encoding="utf-8")
    steps = step_data(trace, example.parent)
    (out / "steps.json").write_text(dumps_steps(steps), encoding="utf-8")
    for lang in STEP_LABELS:  # a folder per language: parity.py sees one include in both
        (out / lang).mkdir()
        (out / lang / "steps.txt").write_text(steps_text(steps, lang), encoding="utf-8")
    stamp.write_text(key)  # last: a half-written directory is never mistaken for a cached one
    return True


def generate_diagrams() -> None:
    out = OUT_DIR / "diagrams" / "task_future_coroutine.md"
    text = diagram_block(render_class_diagram())
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


def _remove_stale(examples: list[Path]) -> None:
    """Drop output of examples that no longer exist, so a page cannot include a ghost."""
    wanted = {example_out_dir(e) for e in examples}
    for chapter in OUT_DIR.glob("ch[0-9][0-9]"):
        for out in chapter.iterdir():
            if out not in wanted:
                shutil.rmtree(out)


def generate_all(*, force: bool = False, jobs: int = 2) -> list[Path]:
    """Generate everything; return the examples that were re-run. Collects every failure."""
    examples = example_files()
    _remove_stale(examples)
    errors: list[str] = []
    rerun: list[Path] = []

    def one(example: Path) -> None:
        try:
            if generate_example(example, force=force):
                rerun.append(example)
        except GenerationError as exc:
            errors.append(str(exc))

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, examples))
    for example in examples:
        write_tabs(example)  # after: a re-run example's directory was emptied
    generate_diagrams()
    write_legends(OUT_DIR)
    if errors:
        raise GenerationError("\n\n".join(sorted(errors)))
    return sorted(rerun)


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
