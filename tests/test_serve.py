"""`make serve` (devtools/serve.py): stopped by a signal, it cleans up after itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from asyncio_notes.devtools.static_server import free_port
from asyncio_notes.paths import REPO


@pytest.mark.slow  # builds both languages
def test_serve_removes_its_built_site_on_sigterm(tmp_path: Path) -> None:
    """`make serve` stopped by SIGTERM (not only Ctrl+C) leaves no temporary folder behind."""
    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [sys.executable, "-m", "asyncio_notes.devtools.serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                time.sleep(1)
        assert list(tmp_path.glob("asyncio-notes-serve-*")), "the site was not built there"
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert list(tmp_path.glob("asyncio-notes-serve-*")) == []
