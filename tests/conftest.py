"""Shared fixtures: one strict build of both languages per test session, and a server for it."""

from __future__ import annotations

import functools
import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.catalog import REPO


@dataclass(frozen=True)
class BuiltSite:
    root: Path  # zh at root, en under en/
    url: str  # where site_server serves it (the site_url it was built with)
    log: str  # everything MkDocs printed for both builds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_site(out: Path, url: str) -> str:
    """Build zh into `out` and en into `out/en` exactly as `make build` does; return the log."""
    env = {**os.environ, "SITE_URL": url}
    log = []
    for config, site_dir in (("mkdocs.yml", out), ("mkdocs.en.yml", out / "en")):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "build",
                "--strict",
                "-f",
                config,
                "-d",
                str(site_dir),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        log.append(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            pytest.fail(f"mkdocs build -f {config} failed:\n{proc.stdout}{proc.stderr}", False)
    return "\n".join(log)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    root = tmp_path_factory.mktemp("site")
    return BuiltSite(root, url, build_site(root, url))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_server(built_site: BuiltSite) -> Iterator[str]:
    """Serve the built site at the URL it was built for; yield that URL."""
    port = int(built_site.url.rsplit(":", 1)[1].strip("/"))
    handler = functools.partial(_QuietHandler, directory=str(built_site.root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield built_site.url
    server.shutdown()
