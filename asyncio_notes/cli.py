"""Show how a script's tasks share the event loop, as a Mermaid gantt timeline.

    python3 -m asyncio_notes examples/ch02/task_model.py          # timeline (Mermaid gantt)
    python3 -m asyncio_notes --json examples/ch02/task_model.py   # the trace itself
    python3 -m asyncio_notes --html examples/ch02/task_model.py > timeline.html   # a page
    python3 -m asyncio_notes --real examples/ch02/task_model.py   # real clock instead of virtual
    python3 -m asyncio_notes --steps examples/ch02/task_model.py  # each loop iteration, as text

Run it from the repository root with any Python 3.11+ (it needs nothing but the standard
library), or as `asyncio-trace FILE` inside the project's .venv. The script runs unmodified in a
child process under the virtual clock: it takes milliseconds, and the times are exact. Paste the
timeline into a Markdown page with a Mermaid fence, or open the --html page in a browser.

A script that fails still gets its timeline, up to the failure (a task that raised is marked in
red); then Python's own error goes to stderr and the exit status is 1.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from pathlib import Path

from asyncio_notes.engine.parent import TraceError, trace_script
from asyncio_notes.engine.trace import Trace, dumps
from asyncio_notes.paths import REPO
from asyncio_notes.render.fit import Cut, fit
from asyncio_notes.render.gantt import render_gantt
from asyncio_notes.render.html_page import MissingMermaid, html_page
from asyncio_notes.render.output import fold_stdlib_frames
from asyncio_notes.render.steps import step_data, steps_text


def _seconds(most: float):
    """An argparse type: a finite number of seconds above 0, and at most `most`."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 < value <= most:  # False for nan too
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds above 0 and at most {most:g}"
            )
        return value

    return parse


# What a reader who hits a limit can do about it, from this command line.
HINTS = {
    "time_limit": "If it really runs that long, raise the limit with --time-limit SECONDS.",
    "timeout": "If it really needs that long, raise the limit with --timeout SECONDS.",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python3 -m asyncio_notes",
        description="Trace an asyncio script and print its timeline (Mermaid gantt).",
    )
    parser.add_argument("script", type=Path, help="the script to run, e.g. examples/ch02/x.py")
    parser.add_argument("--json", action="store_true", help="print the trace as JSON instead")
    parser.add_argument(
        "--steps",
        action="store_true",
        help="print each loop iteration instead: what ran, on which lines, the ready queue, timers",
    )
    parser.add_argument(
        "--html",
        action="store_true",
        help="print one self-contained HTML page that draws the timeline (the vendored Mermaid)",
    )
    parser.add_argument("--real", action="store_true", help="use the real clock (slow)")
    parser.add_argument(
        "--time-limit",
        type=_seconds(1e9),  # virtual seconds: about 30 years
        default=3600.0,
        metavar="SECONDS",
        help="stop when virtual time passes this (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds(86400.0),  # real seconds: a day
        default=30.0,
        metavar="SECONDS",
        help="stop after this much real time (default: %(default)s)",
    )
    return parser.parse_args(argv)


def _terminated(signum: int, frame: object) -> None:
    # Unwind as Ctrl-C does: the child is killed and the trace's temporary folder removed.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    failure: TraceError | None = None
    try:
        trace = trace_script(
            args.script,
            real=args.real,
            time_limit=args.time_limit,
            timeout=args.timeout,
        )
    except TraceError as exc:
        if exc.trace is None:  # it never reported: crashed, or hung
            hint = HINTS.get(exc.kind)
            print(f"trace: {exc}" + (f"\n{hint}" if hint else ""), file=sys.stderr)
            return 1
        trace, failure = exc.trace, exc
    error = _error_text(args.script, trace, failure)
    if failure and not (trace["tasks"] or trace["prints"]):  # nothing ran (a SyntaxError)
        print(fold_stdlib_frames(trace["stderr"].rstrip()) or f"trace: {failure}", file=sys.stderr)
        return 1
    if args.json:
        print(dumps(trace))
    elif args.steps:  # the error, if any, is the last step's
        message = None if failure is None else str(failure)
        print(steps_text(step_data(trace, args.script.resolve().parent, message)), end="")
    else:
        drawn, cut = fit(trace)
        notes = [_cut_note(cut)] if cut else []
        if args.html:
            try:
                print(html_page(drawn, REPO / "overrides/assets/vendor/mermaid", notes, error))
            except MissingMermaid as exc:
                print(
                    f"trace: --html needs the repository's vendored Mermaid: {exc}", file=sys.stderr
                )
                return 1
        else:
            print(render_gantt(drawn), end="")
        for note in notes:
            print(f"trace: {note}", file=sys.stderr)
    if error:
        print(error, file=sys.stderr)
    return 1 if failure else 0


def _error_text(script: Path, trace: Trace, failure: TraceError | None) -> str:
    """What goes to stderr after the chart: Python's own traceback for an exception, the
    engine's message for a deadlock or a limit; for a run that did not fail, any stderr."""
    stderr = trace["stderr"].rstrip()
    if failure is None:
        # Such as "Task exception was never retrieved": not in the timeline, but it matters.
        return f"trace: {script} wrote to stderr:\n{stderr}" if stderr else ""
    if failure.kind == "exception":  # the traceback, the standard library's frames folded
        ended = f"trace: {trace['script']} failed; the timeline shows the run up to the error."
        return f"{fold_stdlib_frames(stderr)}\n{ended}"
    hint = HINTS.get(failure.kind)
    return "\n".join(filter(None, [stderr, f"trace: {failure}", hint]))


def _cut_note(cut: Cut) -> str:
    until = "" if cut["until"] is None else f", up to {cut['until']:g} s"
    return (
        f"the run had {cut['tasks']} tasks and {cut['events']} steps and prints, too many to draw: "
        f"the chart shows the first {cut['shown_tasks']} tasks{until}."
    )
