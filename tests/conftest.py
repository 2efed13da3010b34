"""Shared fixtures: one strict build of both languages per test session, and a server for it."""

from __future__ import annotations

import functools
import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from asyncio_notes.devtools import build
from asyncio_notes.devtools.chromium import CHROMIUM_ARGS, system_chromium


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
    try:
        return build.build_site(out, url)
    except build.BuildError as exc:
        pytest.fail(str(exc), False)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    root = tmp_path_factory.mktemp("site")
    return BuiltSite(root, url, build_site(root, url))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a missing page with the nearest 404.html (en/404.html under /en/), status 404,
        as static hosts such as Netlify or Cloudflare Pages do."""
        if code != 404 or self.command != "GET":
            return super().send_error(code, message, explain)
        root = Path(self.directory)
        parts = urlparse(self.path).path.strip("/").split("/")
        for depth in range(len(parts), -1, -1):
            page = root.joinpath(*parts[:depth], "404.html")
            if page.is_file():
                body = page.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return None
        return super().send_error(code, message, explain)


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


# Debian's chromium in a container: no sandbox (root), no GPU, /dev/shm is small, and nothing that


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for the whole session: Playwright's own build where `playwright install` put
    one, else the system's `chromium` (Debian's package); skipped when neither exists."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        own = playwright.chromium.executable_path
        if own and Path(own).exists():
            executable = None
        else:
            executable = system_chromium()
            if not executable:
                pytest.skip(
                    "no Chromium: neither Playwright's own (`playwright install chromium`) nor a "
                    "system `chromium` (Debian: apt-get install chromium) is installed"
                )
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser) -> Iterator:
    """A factory of browser contexts (browser.new_context options), closed after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fast tests first, browser tests last: quick feedback, and Playwright's sync API keeps an
    event loop running in this thread while its browser is open, which would make every
    in-process `asyncio.run` (tests/test_examples.py) fail if the browser opened earlier."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("browser"):
            return 2
        return 1 if item.get_closest_marker("slow") else 0

    items.sort(key=rank)  # stable: keeps file order within each group
