"""`build`, `fuzz` and `test`: the wall time of `make build`, the clock's fuzz on more
programs, and the wall time of `make test` and `make check`."""

from __future__ import annotations

import subprocess
import time

from asyncio_notes.devtools import clock_fuzz
from asyncio_notes.devtools.bench.common import load_average, served_site
from asyncio_notes.paths import REPO


def bench_build() -> None:
    """Wall time of `make build` (both languages, strict, examples traced or cached)."""
    site = served_site()
    pages = len(list(site.root.rglob("*.html")))
    print(f"build: make build {site.build_seconds:.1f} s ({pages} HTML pages, {load_average()})")


def bench_fuzz() -> None:
    """More programs than `make test` runs, from another seed each day."""
    seed, count = int(time.strftime("%Y%m%d")), 400
    start = time.perf_counter()
    failures = clock_fuzz.run(seed, count)
    seconds = time.perf_counter() - start
    print(
        f"fuzz: {count - len(failures)}/{count} programs agree, virtual vs real clock "
        f"(seed {seed}, {seconds:.1f} s, {load_average()})"
    )
    for failure in failures:
        print(f"  {failure}".replace("\n", "\n  "))


def bench_test() -> None:
    """Wall time of `make test` (the whole suite) and `make check` (without the browser tier)."""
    for target, budget in (("test", 150), ("check", 30)):
        start = time.perf_counter()
        proc = subprocess.run(["make", target], cwd=REPO, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        lines = proc.stdout.strip().splitlines() or ["(no output)"]
        verdict = "within" if seconds <= budget and not proc.returncode else "OVER"
        print(
            f"test: make {target} {seconds:.1f} s ({verdict} {budget} s, {load_average()}): "
            f"{lines[-1].strip('= ')}"
        )
        for line in lines:
            if line.startswith(("FAILED", "ERROR")):
                print(f"  {line}")
