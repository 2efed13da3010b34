"""The local server answers as GitHub Pages does (devtools/static_server.py): gzip for text,
ten minutes of caching with an ETag to revalidate, and the root 404 page for any missing path."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from asyncio_notes.devtools.static_server import free_port, serve


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
