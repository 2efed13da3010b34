"""Show how a script's tasks share the event loop, as a Mermaid gantt timeline.

    python -m asyncio_notes examples/ch02/task_model.py          # timeline (Mermaid gantt)
    python -m asyncio_notes examples/ch02/task_model.py --json   # the trace itself
    python -m asyncio_notes examples/ch02/task_model.py --real   # real clock instead of virtual
    python -m asyncio_notes examples/ch02/task_model.py --steps  # each loop iteration, as text

Run it from the repository root with any Python 3.11+ (it needs nothing but the standard
library), or as `asyncio-trace FILE` inside the project's .venv. The script runs unmodified in a
child process under the virtual clock: it takes milliseconds, and the times are exact. Paste the
timeline into a Markdown page with a Mermaid fence, or into any Mermaid editor.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from pathlib import Path

from asyncio_notes.engine.parent import TraceError, trace_script
from asyncio_notes.engine.trace import dumps
from asyncio_notes.render.gantt import render_gantt
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
        prog="python -m asyncio_notes",
        description="Trace an asyncio script and print its timeline (Mermaid gantt).",
    )
    parser.add_argument("script", type=Path, help="the script to run, e.g. examples/ch02/x.py")
    parser.add_argument("--json", action="store_true", help="print the trace as JSON instead")
    parser.add_argument(
        "--steps",
        action="store_true",
        help="print each loop iteration instead: what ran, on which lines, the ready queue, timers",
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
    try:
        trace = trace_script(
            args.script,
            real=args.real,
            time_limit=args.time_limit,
            timeout=args.timeout,
        )
    except TraceError as exc:
        hint = HINTS.get(exc.kind)
        print(f"trace: {exc}" + (f"\n{hint}" if hint else ""), file=sys.stderr)
        return 1
    if args.json:
        print(dumps(trace))
    elif args.steps:
        print(steps_text(step_data(trace, args.script.resolve().parent)), end="")
    else:
        print(render_gantt(trace))
    if trace["stderr"].strip() and not args.json:
        # Such as "Task exception was never retrieved": not in the timeline, but it matters.
        print(f"trace: {args.script} wrote to stderr:\n{trace['stderr'].rstrip()}", file=sys.stderr)
    return 0
