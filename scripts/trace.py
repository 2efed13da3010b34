"""Show how an example's tasks share the event loop, as a Mermaid gantt timeline.

    python scripts/trace.py examples/ch02/task_model.py          # timeline (Mermaid gantt)
    python scripts/trace.py examples/ch02/task_model.py --json   # the trace itself
    python scripts/trace.py examples/ch02/task_model.py --real   # real clock instead of virtual

The example runs unmodified in a child process under the virtual clock: it takes milliseconds,
and the times are exact. Paste the timeline into https://mermaid.live or a Markdown page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `scripts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.mermaid_gantt import render_gantt
from scripts.tracer import TraceError, dumps, trace_script


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Trace an asyncio example and print its timeline (Mermaid gantt)."
    )
    parser.add_argument("script", type=Path, help="the example to run, e.g. examples/ch02/x.py")
    parser.add_argument("--json", action="store_true", help="print the trace as JSON instead")
    parser.add_argument("--real", action="store_true", help="use the real clock (slow)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="stop when virtual time passes this (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="stop after this much real time (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        trace = trace_script(
            args.script, real=args.real, time_limit=args.time_limit, timeout=args.timeout
        )
    except TraceError as exc:
        print(f"trace: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(dumps(trace))
    else:
        print(render_gantt(trace))
    return 0


if __name__ == "__main__":
    sys.exit(main())
