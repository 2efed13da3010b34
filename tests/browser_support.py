"""What the browser tests share: the built site's pages as a browser test sees them, a watch on
what a page does that a reader should never see, and waiting for its diagrams to be drawn.

(Playwright is imported only where a wait can time out: conftest.py imports this module.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

from asyncio_notes.devtools.chromium import open_diagram_tabs

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CJK = re.compile(r"[\u4e00-\u9fff]")

# Material replaces each <pre class="mermaid"> with a <div class="mermaid"> whose SVG lives in a
# closed shadow root; a diagram still waiting (or failed) is a <pre>, or a <div> showing source.
DIAGRAMS_STATE = """() => {
  const all = [...document.querySelectorAll(".mermaid")]
  const rendered = all.filter(el => el.tagName === "DIV" && el.getBoundingClientRect().height > 20
    && (el.querySelector("svg") || !el.textContent.includes("\\n")))
  return {total: all.length, rendered: rendered.length,
          pending: all.filter(el => !rendered.includes(el)).map(el => el.outerHTML.slice(0, 120))}
}"""


# A diagram may be drawn only once it is about to be seen: while any is still waiting, bring the
# first one that is showing (its tab selected) into view.
SCROLL_TO_PENDING_DIAGRAM = f"""expected => {{
  const state = ({DIAGRAMS_STATE})()
  if (state.rendered >= expected) return true
  const waiting = [...document.querySelectorAll("pre.mermaid")]
    .find(el => el.getClientRects().length > 0)
  waiting?.scrollIntoView({{block: "center"}})
  return false
}}"""


class _StaticCounts(HTMLParser):
    """What a built page contains before any script runs."""

    def __init__(self) -> None:
        super().__init__()
        self.diagrams = 0
        self.code_blocks = 0
        self._pre: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("pre", "div") and "mermaid" in classes:
            self.diagrams += 1
        if tag == "pre":
            self._pre.append("mermaid" in classes)
        if tag == "code" and self._pre and not self._pre[-1]:
            self.code_blocks += 1
            self._pre[-1] = True  # one <code> per <pre>

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._pre:
            self._pre.pop()


@dataclass(frozen=True)
class SitePage:
    path: str  # URL path below the site root: "", "ch02/", "en/trace/", "404.html"
    file: Path
    lang: str
    diagrams: int
    code_blocks: int

    @property
    def slug(self) -> str:
        path = self.path.removeprefix("en/") if self.lang == "en" else self.path
        return path.strip("/").replace("/", "_").removesuffix(".html") or "index"

    @property
    def other(self) -> str:
        """The same page in the other language."""
        return self.path.removeprefix("en/") if self.lang == "en" else "en/" + self.path


def site_pages(root: Path) -> list[SitePage]:
    """Every built page (zh at `root`, en under en/), with what it holds before scripts run."""
    pages = []
    for file in sorted(root.rglob("*.html")):
        rel = file.relative_to(root).as_posix()
        path = rel.removesuffix("index.html")
        counts = _StaticCounts()
        counts.feed(file.read_text(encoding="utf-8"))
        lang = "en" if rel.startswith("en/") else "zh"
        pages.append(SitePage(path, file, lang, counts.diagrams, counts.code_blocks))
    return pages


@dataclass
class Watch:
    """Everything a page did that a reader should never see happen."""

    site: str
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    expected_404: set[str] = field(default_factory=set)

    def attach(self, page) -> None:  # page: playwright.sync_api.Page
        host = urlparse(self.site).netloc

        def on_console(message) -> None:
            if message.type != "error":
                return
            if message.location.get("url") in self.expected_404 and "404" in message.text:
                return  # the browser reports the 404 status of a missing page we asked for
            self.problems.append(f"console error: {message.text} ({message.location})")

        page.on("console", on_console)
        page.on("pageerror", lambda e: self.problems.append(f"uncaught exception: {e}"))

        def on_request(request) -> None:
            self.requests.append(request.url)
            if urlparse(request.url).netloc != host and not request.url.startswith("data:"):
                self.problems.append(f"request to another host: {request.url}")

        page.on("request", on_request)

        def on_failed(request) -> None:
            # ERR_ABORTED: the page navigated away or closed while a request was in flight.
            if "ERR_ABORTED" not in (request.failure or ""):
                self.problems.append(f"request failed: {request.url} ({request.failure})")

        page.on("requestfailed", on_failed)
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.url not in self.expected_404
                and self.problems.append(f"HTTP {r.status}: {r.url}")
            ),
        )


def open_page(page, site: str, path: str, watch: Watch | None = None):
    if watch:
        watch.attach(page)
    page.goto(site + path, wait_until="load")
    return page


def visit(page, site: str, path: str, watch: Watch) -> None:
    """Load another page in the same tab (cheaper than a new tab), with a fresh record."""
    watch.problems.clear()
    watch.requests.clear()
    page.goto(site + path, wait_until="load")


def show_and_render_diagrams(page, expected: int) -> list[str]:
    """Click every tab that holds a diagram, wait for all diagrams; return what went wrong."""
    if not expected:
        return []
    open_diagram_tabs(page)
    return wait_for_diagrams(page, expected)


def wait_for_diagrams(page, expected: int) -> list[str]:
    """Wait until `expected` diagrams are drawn and showing; return what went wrong."""
    from playwright.sync_api import TimeoutError

    if not expected:
        return []
    try:
        page.wait_for_function(SCROLL_TO_PENDING_DIAGRAM, arg=expected, timeout=30_000, polling=100)
    except TimeoutError:  # report the state rather than the timeout
        state = page.evaluate(DIAGRAMS_STATE)
        return [f"{state['rendered']} of {expected} diagrams rendered; pending: {state['pending']}"]
    return []
