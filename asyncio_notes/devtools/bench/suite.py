"""`build`, `fuzz` and `test`: the wall time of `make build`, the clock's fuzz on more
programs and every example against real runs on every Python, and the wall time of `make test`
and `make check`."""

from __future__ import annotations

import subprocess
import time

from asyncio_notes.devtools import clock_fuzz
from asyncio_notes.devtools.bench.common import load_average, served_site
from asyncio_notes.devtools.test_pythons import VERSIONS, find_python, version_of
from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild.catalog import example_files, relative


def bench_build() -> None:
    """Wall time of `make build` (both languages, strict, examples traced or cached)."""
    site = served_site()
    pages = len(list(site.root.rglob("*.html")))
    print(f"build: make build {site.build_seconds:.1f} s ({pages} HTML pages, {load_average()})")


def bench_fuzz() -> None:
    """More programs than `make test` runs, from another seed each day, on every Python found
    here (3.11 to 3.15, on PATH or under pyenv), compared with real runs iteration by iteration;
    then every chapter example the same way."""
    seed, count = int(time.strftime("%Y%m%d")), 400
    pythons = [str(p) for v in VERSIONS if (p := find_python(v)) is not None]
    start = time.perf_counter()
    result = clock_fuzz.run(seed, count, pythons=pythons)
    seconds = time.perf_counter() - start
    versions = ", ".join(filter(None, map(version_of, pythons)))
    print(f"fuzz: {result.summary(seed)}; Pythons {versions}; {seconds:.1f} s, {load_average()}")
    for failure in result.failures:
        print(f"  {failure}".replace("\n", "\n  "))
    for why in result.inconclusive:
        print(f"  inconclusive: {why}")
    start = time.perf_counter()
    examples = example_files("ch02")
    verdicts = {
        f"{relative(path)} on {python}": clock_fuzz.stories_agree(path, python)
        for python in pythons
        for path in examples
    }
    seconds = time.perf_counter() - start
    agree = sum(v is True for v in verdicts.values())
    print(
        f"examples: {agree}/{len(verdicts)} runs agree with a real run iteration by iteration "
        f"({seconds:.1f} s)"
    )
    for run, verdict in verdicts.items():
        if verdict is not True:
            print(f"  {'differs' if verdict is False else 'inconclusive (woken late)'}: {run}")


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
