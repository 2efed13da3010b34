"""`trace`: tracing every chapter example under the virtual clock vs running it for real."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from asyncio_notes.devtools.bench.common import timed
from asyncio_notes.engine.parent import trace_script
from asyncio_notes.sitebuild.catalog import example_files, relative


def run_for_real(path: Path) -> None:
    subprocess.run([sys.executable, path.name], cwd=path.parent, capture_output=True, check=True)


def bench_trace() -> None:
    """Wall time of tracing every example (virtual clock) vs `python file.py` one after another."""
    paths = example_files("ch02")
    workers = os.cpu_count() or 1
    warm_up = timed(lambda: trace_script(paths[0]))  # starts the tracer's fork server
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"trace: {len(paths)} examples in examples/ch02, {workers} CPU(s), load {load:.1f}")
    print(f"  first trace, starting the fork server: {warm_up:.3f} s (not in the totals)")
    print(f"  {'example':36} {'real (s)':>9} {'traced (s)':>11} {'virtual (s)':>12}")
    real_total = traced_total = 0.0
    for path in paths:
        real = timed(lambda p=path: run_for_real(p))
        start = time.perf_counter()
        elapsed = trace_script(path)["elapsed"]
        traced = time.perf_counter() - start
        real_total += real
        traced_total += traced
        print(f"  {relative(path):36} {real:9.3f} {traced:11.3f} {elapsed:12.4f}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parallel = timed(lambda: list(pool.map(trace_script, paths)))
    rows = [
        ("real, one after another", real_total),
        ("traced, one after another", traced_total),
        (f"traced, {workers} at a time", parallel),
    ]
    for label, seconds in rows:
        print(f"  {label + ':':28} {seconds:7.2f} s   ratio {real_total / seconds:5.1f}x")
