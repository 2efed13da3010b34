"""The local server answers as GitHub Pages does (devtools/static_server.py): gzip for text,
ten minutes of caching with an ETag to revalidate, and the root 404 page for any missing path."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from asyncio_notes.devtools.static_server import BoundedServer, free_port, serve


@pytest.fixture
def site(tmp_path: Path):
    (tmp_path / "en").mkdir()
    (tmp_path / "index.html").write_text("<p>首页</p>", encoding="utf-8")
    (tmp_path / "404.html").write_text("<p>找不到</p>", encoding="utf-8")
    (tmp_path / "en" / "app.js").write_text("console.log(1)\n" * 50, encoding="utf-8")
    port = free_port()
    server = serve(tmp_path, port)
    yield f"http://127.0.0.1:{port}/"
    server.shutdown()


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:  # 304 and 404 land here
        return error.code, error.headers, error.read()


def test_text_is_gzipped_and_cached_for_ten_minutes_with_an_etag(site: str) -> None:
    status, headers, body = get(site + "en/app.js", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == b"console.log(1)\n" * 50
    assert headers["Cache-Control"] == "max-age=600" and headers["Last-Modified"]
    status, again, body = get(site + "en/app.js", **{"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"") and again["ETag"] == headers["ETag"]
    status, _, body = get(site + "en/app.js", **{"If-None-Match": '"stale"'})
    assert status == 200 and body == b"console.log(1)\n" * 50


def test_a_missing_path_anywhere_gets_the_root_404_page(site: str) -> None:
    for path in ("no/such/page/", "en/no/such/page/"):
        status, _, body = get(site + path)
        assert (status, body.decode("utf-8")) == (404, "<p>找不到</p>"), path


def test_a_name_too_long_is_answered_and_the_server_goes_on(site: str) -> None:
    status, _, _ = get(site + "x" * 300 + "/index.html")
    assert status in (404, 414)
    assert get(site)[0] == 200


def test_a_link_leading_out_of_the_site_is_not_served(site: str, tmp_path: Path) -> None:
    secret = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    (tmp_path / "leak.txt").symlink_to(secret)
    (tmp_path / "leaks").symlink_to(tmp_path.parent, target_is_directory=True)
    for path in ("leak.txt", f"leaks/{secret.name}"):
        status, _, body = get(site + path)
        assert status == 404 and b"SECRET" not in body, path


def test_idle_connections_hold_a_bounded_number_of_threads(site: str) -> None:
    before = threading.active_count()
    port = int(site.rsplit(":", 1)[1].strip("/"))
    idle = []
    try:
        for _ in range(BoundedServer.THREADS + 8):
            conn = socket.socket()
            conn.settimeout(0.2)
            with contextlib.suppress(OSError):  # the listen queue is full: not accepted yet
                conn.connect(("127.0.0.1", port))
            idle.append(conn)
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            assert threading.active_count() - before <= BoundedServer.THREADS
            time.sleep(0.05)
    finally:
        for conn in idle:
            conn.close()
    assert get(site)[0] == 200  # the idle ones closed, it serves again
