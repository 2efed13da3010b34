"""Serve a built site the way its host, GitHub Pages, does: for the tests and `make bench`.

GitHub Pages compresses text files with gzip, lets browsers keep each file for ten minutes
(`Cache-Control: max-age=600`, then revalidate with its ETag), and answers every missing path,
`/en/...` too, with the site's root `404.html` and status 404. Serving the site the same way
locally keeps page weights honest (Lighthouse charges for bytes on the wire), the 404 tests about
the real host, and a browser test's next page as cheap as a reader's (cached scripts stay
compiled: about a quarter of the CPU a page's Mermaid costs).
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import gzip
import http.server
import os
import socket
import threading
from pathlib import Path
from typing import ClassVar


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    COMPRESSED = (".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".ipynb")
    cache: ClassVar[dict[Path, bytes]] = {}  # path -> gzip body; a served site does not change

    LONGEST_NAME = 255  # bytes in one file name (NAME_MAX)
    timeout = 10  # seconds an idle connection keeps its thread

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _inside(self, path: Path) -> bool:
        """The file, links followed, is in the served folder (GitHub Pages has no links)."""
        return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(self.directory))

    def _send(self, status: int, path: Path) -> None:
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        stat = path.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        if status == 200 and etag in self.headers.get("If-None-Match", ""):
            self.send_response(304)
            self._cache_headers(stat.st_mtime, etag)
            self.end_headers()
            return
        body = path.read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if status == 200:
            self._cache_headers(stat.st_mtime, etag)
        if accepts and path.suffix in self.COMPRESSED:
            if path not in self.cache:
                self.cache[path] = gzip.compress(body, compresslevel=6)
            body = self.cache[path]
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            # A browser that navigates away drops the download: not the server's problem.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    def _cache_headers(self, mtime: float, etag: str) -> None:
        self.send_header("Cache-Control", "max-age=600")
        self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
        self.send_header("ETag", etag)

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if any(len(part.encode()) > self.LONGEST_NAME for part in path.parts):
            return self.send_error(414, "a name in the path is too long")
        # Unreadable, or a link leading out of the site: answered as missing.
        with contextlib.suppress(OSError):
            if path.is_dir() and self.path.split("?")[0].endswith("/"):
                path = path / "index.html"
            if self._inside(path) and path.is_file():
                return self._send(200, path)
            if self._inside(path) and path.is_dir():
                return super().do_GET()  # the redirect from /en to /en/
        not_found = Path(self.directory) / "404.html"
        if not_found.is_file():
            return self._send(404, not_found)
        return super().do_GET()

    do_HEAD = do_GET


class BoundedServer(http.server.ThreadingHTTPServer):
    """A thread per connection, but at most THREADS at once: more wait to be accepted."""

    THREADS = 32

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.slots = threading.BoundedSemaphore(self.THREADS)

    def process_request(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        self.slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def serve(root: Path, port: int) -> http.server.ThreadingHTTPServer:
    """Serve `root` at http://127.0.0.1:PORT/ from a daemon thread; `.shutdown()` stops it."""
    handler = functools.partial(PagesHandler, directory=str(root))
    server = BoundedServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
