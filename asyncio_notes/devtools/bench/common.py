"""What the bench sections share: the served site (built once), Chromium, timing."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncio_notes.devtools.chromium import (
    launch,
)
from asyncio_notes.devtools.static_server import free_port, serve
from asyncio_notes.paths import REPO


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


@dataclass
class ServedSite:
    root: Path
    url: str
    build_seconds: float


_served: ServedSite | None = None


def served_site() -> ServedSite:
    """Run `make build` once (for a free local port), serve a copy of site/ at that URL."""
    global _served
    if _served is None:
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        env = {**os.environ, "SITE_URL": url}
        start = time.perf_counter()
        proc = subprocess.run(["make", "build"], cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode:
            sys.exit(f"make build failed:\n{proc.stdout}{proc.stderr}")
        root = Path(tempfile.mkdtemp(prefix="asyncio-notes-bench-"))
        shutil.copytree(REPO / "site", root, dirs_exist_ok=True)  # site/ may be rebuilt meanwhile
        server = serve(root, port)  # gzip, as GitHub Pages sends it
        atexit.register(lambda: (server.shutdown(), shutil.rmtree(root, ignore_errors=True)))
        _served = ServedSite(root, url, seconds)
    return _served


def load_average() -> str:
    return f"load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "load n/a"


@contextlib.contextmanager
def chromium(heading: str) -> Iterator[Any]:
    """Print the section's heading; yield Chromium (Playwright's own, else the system's), or
    None when there is no Playwright or no Chromium (said under the heading)."""
    print(heading)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  skipped: Playwright is not installed")
        yield None
        return
    with sync_playwright() as playwright:
        browser = launch(playwright)
        if browser is None:
            print("  skipped: no Chromium")
            yield None
            return
        try:
            yield browser
        finally:
            browser.close()
