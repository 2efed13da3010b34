"""Figures about the project's tooling, printed for people to read (no pass/fail).

    python -m asyncio_notes.devtools.bench              # every section (`make bench`; ~10 minutes)
    python -m asyncio_notes.devtools.bench trace site   # some sections

Sections:
  trace       tracing every chapter example under the virtual clock vs running it for real
  build       wall time of `make build` (the other site sections measure that build, served locally)
  site        gzip size of what a first visit loads, for every page (text and diagram budgets)
  lighthouse  Lighthouse 12 (tools/lighthouse), desktop and mobile, two runs each: home, chapter
              index, the chapter's largest section page and its notebook page
  fuzz        the clock's differential fuzz (devtools/clock_fuzz.py): 400 more programs on every
              Python found here, and every example, against real runs iteration by iteration
  runner      the in-page runner: first Run (transfer, time to first output), a second run of
              every chapter example, and a first Run on another page (the runtime from cache)
  stepper     the Step through tab: each example's step data (gzip), time to open, time per step
  test        wall time of `make test` (whole suite) and `make check` (no browser tier)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from asyncio_notes.devtools.bench.lighthouse import bench_lighthouse
from asyncio_notes.devtools.bench.pages import bench_site
from asyncio_notes.devtools.bench.runner import bench_runner
from asyncio_notes.devtools.bench.stepper import bench_stepper
from asyncio_notes.devtools.bench.suite import bench_build, bench_fuzz, bench_test
from asyncio_notes.devtools.bench.tracing import bench_trace

SECTIONS: dict[str, Callable[[], None]] = {
    "trace": bench_trace,
    "build": bench_build,
    "site": bench_site,
    "lighthouse": bench_lighthouse,
    "fuzz": bench_fuzz,
    "runner": bench_runner,
    "stepper": bench_stepper,
    "test": bench_test,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m asyncio_notes.devtools.bench",
        description="Print figures about the project's tooling.",
    )
    parser.add_argument(
        "sections",
        nargs="*",
        help=f"any of: {', '.join(SECTIONS)} (default: all)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    for name in args.sections or list(SECTIONS):
        SECTIONS[name]()
    return 0
