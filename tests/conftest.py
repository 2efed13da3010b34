"""Shared fixtures: one strict build of both languages per run, served as GitHub Pages would; the
chapter notebooks; one Chromium per worker, with the browser contexts its tests share.

With parallel workers (pytest-xdist) the controller serves one directory for the whole run and
the first worker that needs the site builds it there, under a file lock; the others wait and
reuse it. Without workers the one process does both.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from asyncio_notes.devtools import build
from asyncio_notes.devtools.chromium import launch
from asyncio_notes.devtools.static_server import free_port, serve
from asyncio_notes.paths import REPO
from tests.browser_support import DESKTOP, SitePage, site_pages

# Where the environment sets PYTHONDONTWRITEBYTECODE (this machine does), every worker would
# compile, and pytest re-rewrite, every test module and the package on every run (~2 s each):
# keep their bytecode in .venv instead, never beside the sources (examples/ stays clean).
if sys.dont_write_bytecode:
    sys.pycache_prefix = str(REPO / ".venv" / "pycache")
    sys.dont_write_bytecode = False


@dataclass(frozen=True)
class BuiltSite:
    root: Path  # zh at root, en under en/
    url: str  # where it is served (the site_url it was built with)
    log: str  # everything MkDocs printed for both builds


@dataclass(frozen=True)
class SharedSite:
    """Where the run's site is built and the URL that serves it."""

    directory: Path
    url: str

    def built(self) -> BuiltSite:
        """Build the site unless another worker already has; the same BuiltSite either way."""
        root, log, failed = (
            self.directory / "site",
            self.directory / "log",
            self.directory / "failed",
        )
        with open(self.directory / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not log.exists():
                try:
                    log.write_text(build_site(root, self.url), encoding="utf-8")
                except BaseException as exc:
                    failed.write_text(str(exc), encoding="utf-8")
                    log.write_text("", encoding="utf-8")
                    raise
        if failed.exists():
            pytest.fail(f"the site did not build: {failed.read_text(encoding='utf-8')}", False)
        return BuiltSite(root, self.url, log.read_text(encoding="utf-8"))


_KEY = "asyncio_notes_site"
_SITE = pytest.StashKey[SharedSite]()


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker: the controller serves the site
        site = workerinput[_KEY]
        config.stash[_SITE] = SharedSite(Path(site["directory"]), site["url"])
        return
    # The screenshots folder shows one run: no pictures of pages that no longer exist.
    shutil.rmtree(REPO / "screenshots", ignore_errors=True)
    directory = Path(tempfile.mkdtemp(prefix="asyncio-notes-site-"))
    port = free_port()
    server = serve(directory / "site", port)
    config.stash[_SITE] = SharedSite(directory, f"http://127.0.0.1:{port}/")
    config.add_cleanup(lambda: (server.shutdown(), shutil.rmtree(directory, ignore_errors=True)))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # pytest-xdist: what each worker is told
    site = node.config.stash[_SITE]
    node.workerinput[_KEY] = {"directory": str(site.directory), "url": site.url}


def build_site(out: Path, url: str) -> str:
    """Build zh into `out` and en into `out/en` exactly as `make build` does; return the log."""
    try:
        return build.build_site(out, url)
    except build.BuildError as exc:
        pytest.fail(str(exc), False)


@pytest.fixture(scope="session")
def built_site(request: pytest.FixtureRequest) -> BuiltSite:
    return request.config.stash[_SITE].built()


@pytest.fixture(scope="session")
def site_server(built_site: BuiltSite) -> str:
    """The URL that serves the built site (the site_url it was built for)."""
    return built_site.url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium per worker (devtools/chromium.py); skipped when none is installed."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        if browser is None:
            pytest.skip(
                "no Chromium: neither Playwright's own (`playwright install chromium`) nor a "
                "system `chromium` (Debian: apt-get install chromium) is installed"
            )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def notebooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both languages' chapter notebooks generated once into a temporary directory:
    {lang: directory} (tests/notebook_support.py reads them)."""
    from asyncio_notes.sitebuild.notebooks import LANGS, write_notebooks

    out = tmp_path_factory.mktemp("notebooks")
    dirs = {}
    for lang in LANGS:
        written = write_notebooks(REPO / "docs" / lang, lang, out / lang)
        assert written, f"no notebook generated for {lang}"
        dirs[lang] = out / lang
    return dirs


@pytest.fixture(scope="module")
def pages(built_site: BuiltSite) -> list[SitePage]:
    found = site_pages(built_site.root)
    for lang in ("zh", "en"):
        assert any(p.lang == lang and p.path.endswith("404.html") for p in found)
        assert sum(p.lang == lang for p in found) >= 4, f"too few {lang} pages: {found}"
    return found


@pytest.fixture(scope="module")
def light_context(browser) -> Iterator:
    """One browser context for a module's tests in this worker (those that need JavaScript off
    have their own): its cache keeps the site's scripts compiled from one page to the next
    (about 15% less CPU than a context per page)."""
    context = browser.new_context(
        viewport=DESKTOP,
        color_scheme="light",
        permissions=["clipboard-read", "clipboard-write"],
        reduced_motion="reduce",  # Material then skips its transitions: ~10% less CPU, same checks
    )
    yield context
    context.close()


@pytest.fixture
def tab(light_context) -> Iterator:
    """A new tab in the light context. The site's storage is cleared when the test ends (Material
    keeps the palette and the tabs chosen there); every page pass checks first that it opened in
    the light scheme."""
    page = light_context.new_page()
    yield page
    with contextlib.suppress(Exception):  # a test that failed may have left the site
        page.evaluate("localStorage.clear(); sessionStorage.clear()")
    page.close()


@pytest.fixture(scope="module")
def no_js_context(browser) -> Iterator:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    yield context
    context.close()


@pytest.fixture
def no_js_tab(no_js_context) -> Iterator:
    with contextlib.closing(no_js_context.new_page()) as page:
        yield page


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
