"""How this project starts Chromium (tests, benchmarks, render checks): one list of flags.

Debian's chromium in a container runs as root (no sandbox), without a GPU, with a small /dev/shm,
and must not phone home: the browser tests assert that pages request nothing from other hosts.
"""

from __future__ import annotations

import shutil

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def system_chromium() -> str | None:
    """The system's Chromium (Debian: `apt-get install chromium`), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")
