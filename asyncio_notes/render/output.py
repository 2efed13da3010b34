"""A run -> the text of the page's Output tab, and the fence around a diagram. Stdlib only: the
build (sitebuild/generate.py) and the in-browser runner (asyncio_notes/browser.py) both call it,
so a reader's run of an unchanged example shows exactly what the build published.
"""

from __future__ import annotations

import re

from asyncio_notes.engine.parent import per_group
from asyncio_notes.engine.trace import Trace
from asyncio_notes.render.gantt import render_gantt
from asyncio_notes.render.timeline_text import text_timeline

# `  File "<stdlib>/asyncio/runners.py", line 118, in run`, then its deeper-indented source line.
_STDLIB_FRAME = re.compile(r'^(?P<indent> *)File "<stdlib>/(?P<file>[^"]+)", line \d+')
# `created at <stdlib>/asyncio/runners.py:100`: a position inside the standard library.
_STDLIB_POSITION = re.compile(r"(<stdlib>/[\w./-]+\.py):\d+")


def fold_stdlib_frames(text: str) -> str:
    """Fold standard-library frames, inside exception groups too (see _fold)."""
    return per_group(text, _fold)


def _fold(text: str) -> str:
    """Fold each run of standard-library frames in a traceback or stack into one line,
    `  ... frames in the standard library (<stdlib>/asyncio) ...`, and drop line numbers from
    other stdlib positions: they change with every Python release, the reader's code does not."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = _STDLIB_FRAME.match(lines[i])
        if not match:
            out.append(_STDLIB_POSITION.sub(r"\1", lines[i]))
            i += 1
            continue
        indent, packages = match["indent"], []
        while i < len(lines) and (match := _STDLIB_FRAME.match(lines[i])):
            if match["indent"] != indent:
                break
            package = f"<stdlib>/{match['file'].split('/')[0].removesuffix('.py')}"
            if package not in packages:
                packages.append(package)
            i += 1
            # The frame's source line and any caret line are indented deeper than `File`.
            while i < len(lines) and lines[i].startswith(indent + " ") and lines[i].strip():
                if _STDLIB_FRAME.match(lines[i]):
                    break
                i += 1
        out.append(f"{indent}... frames in the standard library ({', '.join(packages)}) ...")
    return "\n".join(out)


def shown_stderr(stderr: str) -> list[str]:
    """The lines of stderr that the Output tab shows (stdlib frames folded); [] for none."""
    return fold_stdlib_frames(stderr.rstrip("\n")).split("\n") if stderr.strip() else []


def output_text(display: str, printed: list[str], stderr: str, error: str | None = None) -> str:
    """The Output tab: the command, what it printed, its stderr (stdlib frames folded) and,
    for a run that failed without a traceback of its own (a deadlock, a limit), why it ended."""
    lines = [f"$ python {display}", *printed]
    if shown := shown_stderr(stderr):
        # Recorded apart from stdout, so its interleaving with the lines above is not known.
        lines += ["[stderr]", *shown]
    if error:
        lines += ["[error]", error.rstrip("\n")]
    return "\n".join(lines) + "\n"


def diagram_block(source: str, text: str = "") -> str:
    """A Mermaid fence kept out of the search index (its source is not prose), and HTML that
    stands in for it without JavaScript (diagrams.css shows it only then)."""
    fence = f"```mermaid\n{source}\n```"
    extra = f"{text}\n\n" if text else ""
    return f'<div class="diagram" data-search-exclude markdown>\n\n{fence}\n\n{extra}</div>\n'


def timeline_block(trace: Trace) -> str:
    """The Timeline tab of a run: its gantt chart, and the same as text for readers without JS."""
    return diagram_block(render_gantt(trace), text_timeline(trace))
