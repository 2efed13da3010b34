"""Serve both languages from one server with live reload: Chinese at /, English at /en/.

`mkdocs serve` serves one config at a time, so this builds both with MkDocs' own API and serves
the result with MkDocs' own live-reload server. On a change it rebuilds only the language whose
pages changed; a change to examples, asyncio_notes, overrides or the configs rebuilds both.
Usage: python -m asyncio_notes.devtools.serve [--port 8000]
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from mkdocs.livereload import LiveReloadServer

from asyncio_notes.devtools.build import CONFIGS, BuildError, build_site
from asyncio_notes.paths import REPO

PAGES = {"zh": REPO / "docs" / "zh", "en": REPO / "docs" / "en"}
SHARED = [
    REPO / p for p in ("examples", "overrides", "asyncio_notes", "mkdocs.yml", "mkdocs.en.yml")
]

log = logging.getLogger("serve")


def _mtime(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file()), default=0.0)


class Site:
    def __init__(self, site_dir: Path, url: str) -> None:
        self.site_dir = site_dir
        self.url = url
        self.seen: dict[str, float] = {}

    @staticmethod
    def _build_one(lang: str, site_dir: Path, url: str | None) -> str:
        """MkDocs' own build in this process (faster than a child per rebuild)."""
        url = url if lang == "zh" or url is None else url + "en/"
        try:
            build(load_config(str(CONFIGS[lang]), site_url=url, site_dir=str(site_dir)))
        except MkDocsException as exc:
            raise BuildError(f"{lang} build failed: {exc}") from None
        return ""

    def rebuild(self) -> None:
        now = {
            "zh": _mtime(PAGES["zh"]),
            "en": _mtime(PAGES["en"]),
            "shared": max(map(_mtime, SHARED)),
        }
        changed = [k for k, v in now.items() if self.seen.get(k) != v]
        langs = (
            ["zh", "en"]
            if not self.seen or "shared" in changed
            else [k for k in ("zh", "en") if k in changed]
        )
        try:
            # Built aside and swapped in: a failed build keeps serving the last good site.
            build_site(self.site_dir, self.url, langs=langs, builder=self._build_one)
        except BuildError as exc:  # keep serving; the error is in the terminal
            log.error("%s", exc)
        self.seen = now


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)-7s - %(message)s")

    url = f"http://{args.host}:{args.port}/"
    # SIGTERM (a process manager, `kill`) ends it as Ctrl+C does: the built site is removed.
    signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory(prefix="asyncio-notes-serve-") as tmp:
        site = Site(Path(tmp) / "site", url)
        site.rebuild()
        server = LiveReloadServer(
            builder=site.rebuild, host=args.host, port=args.port, root=str(site.site_dir)
        )
        for path in [*PAGES.values(), *SHARED]:
            server.watch(str(path))
        log.info("Serving Chinese at %s and English at %sen/ (Ctrl+C to stop)", url, url)
        try:
            server.serve()
        except KeyboardInterrupt:
            log.info("Shutting down...")
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
