"""Check in headless Chromium that a built page's Mermaid diagrams render from the site's own host.

    python scripts/check_mermaid_render.py SITE_DIR PAGE [PAGE ...] [--screenshots DIR]

PAGE is a path inside SITE_DIR (e.g. `ch02/`). SITE_DIR is served on 127.0.0.1; each page is opened
in the light and dark (slate) scheme at desktop and phone width. A page passes when every diagram
rendered (Material draws the SVG into a closed shadow root, so: no `pre.mermaid` left and as many
`div.mermaid`), nothing was requested from another host, and the console shows no error; a page
without diagrams passes when it loaded no Mermaid file. It also prints what the page cost: the sum
of the gzip sizes of the HTML, JS and CSS it loaded (--sizes: per file). --screenshots DIR saves
each view, and each diagram at its full width (desktop).

Uses Playwright for Python with Debian's `chromium` (never `playwright install`). Exit status 1 on
any failure.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Browser, Page, Request, Response, sync_playwright

if __package__ in (None, ""):  # run as a script: make `scripts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.chromium import CHROMIUM_ARGS, system_chromium

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SCHEMES = {"light": "default", "dark": "slate"}  # prefers-color-scheme -> Material's scheme
RENDER_TIMEOUT_MS = 20_000
HOST = "127.0.0.1"

RENDERED = """() => ({
  pending: document.querySelectorAll("pre.mermaid").length,
  rendered: document.querySelectorAll("div.mermaid").length,
  scrollable: [...document.querySelectorAll("div.mermaid")].map(
    (el) => el.scrollWidth > el.clientWidth + 1),
  widths: [...document.querySelectorAll("div.mermaid")].map(
    (el) => [el.clientWidth, el.scrollWidth]),
  scheme: document.body.getAttribute("data-md-color-scheme"),
})"""


@dataclass
class Visit:
    page: str
    scheme: str
    viewport: str
    diagrams: int = 0
    state: dict = field(default_factory=dict)
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    gzip_bytes: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        found = [f"requested from another host: {url}" for url in self.foreign]
        found += [f"console: {text}" for text in self.console_errors]
        if self.state.get("scheme") != SCHEMES[self.scheme]:
            found.append(f"page shown in scheme {self.state.get('scheme')!r}, not {self.scheme}")
        if self.diagrams == 0:  # a page without diagrams must not load any of Mermaid
            found += [f"loaded without a diagram: {p}" for p in self.gzip_bytes if "mermaid" in p]
        elif self.state.get("pending", 1) or self.state.get("rendered", 0) < self.diagrams:
            found.append(f"diagrams not rendered: {self.state}")
        return found


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()


def count_diagrams(site: Path, page: str) -> int:
    html = (site / page / "index.html") if not page.endswith(".html") else site / page
    return html.read_text(encoding="utf-8").count('class="mermaid"')


def is_local(url: str) -> bool:
    return urlparse(url).hostname == HOST or url.startswith(("data:", "blob:", "about:"))


def watch(page: Page, visit: Visit) -> None:
    """Record foreign requests (and block them), console errors and the gzip size of each asset."""

    def on_request(request: Request) -> None:
        if not is_local(request.url):
            visit.foreign.append(request.url)

    def on_response(response: Response) -> None:
        kind = response.request.resource_type
        if is_local(response.url) and kind in {"document", "script", "stylesheet"}:
            with contextlib.suppress(Exception):  # a response without a body (redirect)
                path = urlparse(response.url).path
                visit.gzip_bytes[path] = len(gzip.compress(response.body(), 6))

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("console", lambda m: m.type == "error" and visit.console_errors.append(m.text))
    page.on("pageerror", lambda exc: visit.console_errors.append(str(exc)))
    page.route(lambda url: not is_local(url), lambda route: route.abort())


# Select the content tab (pymdownx.tabbed, alternate style) that holds the element, if any.
SHOW_TAB = """el => {
  const block = el.closest(".tabbed-block");
  if (!block) return;
  const index = [...block.parentElement.children].indexOf(block);
  block.closest(".tabbed-set").querySelectorAll(":scope > input")[index].checked = true;
}"""


def save_diagrams(page: Page, prefix: Path) -> None:
    """One picture per diagram at its full width, scrolled-off part included."""
    for number, diagram in enumerate(page.locator("div.mermaid").all(), start=1):
        diagram.evaluate(SHOW_TAB)
        if not diagram.is_visible():
            continue
        diagram.evaluate("el => { el.style.width = 'max-content'; el.style.overflow = 'visible' }")
        diagram.screenshot(path=f"{prefix}-diagram{number}.png")
        diagram.evaluate("el => { el.style.width = ''; el.style.overflow = '' }")


def open_page(browser: Browser, base: str, visit: Visit, shots: Path | None) -> None:
    context = browser.new_context(
        viewport=VIEWPORTS[visit.viewport],
        color_scheme=visit.scheme,
        service_workers="block",
    )
    page = context.new_page()
    watch(page, visit)
    page.goto(base + visit.page, wait_until="load")
    with contextlib.suppress(Exception):  # a timeout is reported through visit.problems
        page.wait_for_function(
            f"document.querySelectorAll('pre.mermaid').length === 0 && "
            f"document.querySelectorAll('div.mermaid').length >= {visit.diagrams}",
            timeout=RENDER_TIMEOUT_MS,
        )
    page.wait_for_load_state("networkidle")
    visit.state = page.evaluate(RENDERED)
    if shots is not None:
        name = (
            f"{visit.page.strip('/').replace('/', '_') or 'index'}-{visit.viewport}-{visit.scheme}"
        )
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        if visit.viewport == "desktop":
            save_diagrams(page, shots / name)
    context.close()


def check(site: Path, pages: list[str], shots: Path | None) -> list[Visit]:
    visits = [
        Visit(page, scheme, viewport, count_diagrams(site, page))
        for page in pages
        for scheme in SCHEMES
        for viewport in VIEWPORTS
    ]
    executable = system_chromium()
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for visit in visits:
            open_page(browser, base, visit, shots)
        browser.close()
    return visits


def report(visit: Visit) -> str:
    total = sum(visit.gzip_bytes.values())
    state = visit.state
    line = (
        f"{visit.page} {visit.scheme:5} {visit.viewport:7} diagrams {state.get('rendered')}/"
        f"{visit.diagrams} scheme={state.get('scheme')} scrolls={state.get('scrollable')} "
        f"files={len(visit.gzip_bytes)} gzip={total / 1024:.0f} KiB"
    )
    return "\n".join([line] + [f"    PROBLEM {p}" for p in visit.problems])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("pages", nargs="+")
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--sizes", action="store_true", help="list each file's gzip size")
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    visits = check(args.site, args.pages, args.screenshots)
    for visit in visits:
        print(report(visit))
        if args.sizes:
            for path, size in sorted(visit.gzip_bytes.items(), key=lambda item: -item[1]):
                print(f"    {size / 1024:7.1f} KiB  {path}")
    return 1 if any(visit.problems for visit in visits) else 0


if __name__ == "__main__":
    sys.exit(main())
