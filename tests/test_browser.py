"""The built site in a real browser (Chromium through Playwright), every page in both languages.

- One test per page, for both its languages (so parallel workers share the pages out). Each page
  is loaded once: it loads without console errors, failed requests or requests to any other
  host; every Mermaid diagram renders (its tab clicked first); full-page screenshots at 1280 px
  and at a phone's 390 px go to screenshots/, where nothing may be wider than the phone; every
  code block has a copy button, and the first one copies its block. Then the reader's palette
  toggle switches it to the dark scheme: the diagrams stay drawn, and a dark screenshot is taken.
  axe-core finds no serious or critical violation (tests/axe_check.py): every rule in the dark
  scheme, and the colour rules again after toggling back to light. The colour rules (the costly
  ones) run on the zh page of each pair only: both languages are built from the same theme and
  the same page structure (parity.py), so they share every colour; the en page gets the others.
  No page downloads the search index or worker before the reader opens search. The zh page's
  language switcher, clicked, lands on the same page in English (that is how the en page is
  loaded); the en page's switcher points back to the zh page. A page opened with a dark system
  scheme starts dark.
- Search finds Chinese words on the Chinese site and English words on the English one, and only
  offers pages of the language being read; ?q= and ?h= work.
- With JavaScript off, text and code are readable and diagrams say why they are not shown.
- A missing page gets the root 404 page, fully styled, under / and under /en/, as on GitHub
  Pages (tests/conftest.py serves the site as that host does); it links to the English site.

Only one browser runs per worker (the `browser` fixture in conftest.py), with one context for the
module's tests (`light_context`) and one with JavaScript off; each test opens a tab.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from asyncio_notes.devtools.chromium import DIAGRAM_TAB, mark_diagram_tabs, open_diagram_tabs
from asyncio_notes.paths import REPO
from tests.axe_check import (
    COLOUR_RULES,
    NO_TRANSITIONS,
    SHOW_ALL_TAB_PANELS,
    axe_script,
    blocking,
    start_axe,
)
from tests.conftest import BuiltSite

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
PlaywrightTimeout = sync_api.TimeoutError

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

SCREENSHOTS = REPO / "screenshots"  # emptied when a run starts (conftest.py)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CJK = re.compile(r"[\u4e00-\u9fff]")
# What Material's search downloads: the index and the worker with its lunr languages.
SEARCH_DOWNLOADS = re.compile(r"/search/search_index\.json|/workers/search\.|/lunr/")

# Selects the tab holding the first code block, if that block sits in a tab that is not selected.
SHOW_FIRST_CODE_BLOCK = """() => {
  const button = document.querySelector("pre:not(.mermaid) [data-md-type=copy]")
  const block = button?.closest(".tabbed-block")
  if (!block) return
  const set = block.closest(".tabbed-set")
  const i = [...set.querySelectorAll(":scope > .tabbed-content > .tabbed-block")].indexOf(block)
  set.querySelectorAll(":scope > .tabbed-labels > label")[i]?.click()
}"""

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


def site_pages(site: BuiltSite) -> list[SitePage]:
    pages = []
    for file in sorted(site.root.rglob("*.html")):
        rel = file.relative_to(site.root).as_posix()
        path = rel.removesuffix("index.html")
        counts = _StaticCounts()
        counts.feed(file.read_text(encoding="utf-8"))
        lang = "en" if rel.startswith("en/") else "zh"
        pages.append(SitePage(path, file, lang, counts.diagrams, counts.code_blocks))
    return pages


@pytest.fixture(scope="module")
def pages(built_site: BuiltSite) -> list[SitePage]:
    found = site_pages(built_site)
    for lang in ("zh", "en"):
        assert any(p.lang == lang and p.path.endswith("404.html") for p in found)
        assert sum(p.lang == lang for p in found) >= 4, f"too few {lang} pages: {found}"
    return found


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
    if not expected:
        return []
    try:
        page.wait_for_function(SCROLL_TO_PENDING_DIAGRAM, arg=expected, timeout=30_000, polling=100)
    except PlaywrightTimeout:  # report the state rather than the timeout
        state = page.evaluate(DIAGRAMS_STATE)
        return [f"{state['rendered']} of {expected} diagrams rendered; pending: {state['pending']}"]
    return []


def screenshot(page, page_info: SitePage, name: str, *, full_page: bool = True) -> None:
    # JPEG: a full-page PNG of the chapter takes the browser several times longer to encode.
    out = SCREENSHOTS / page_info.lang / f"{page_info.slug}-{name}.jpg"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=full_page, type="jpeg", quality=80)


def copy_button_problems(page, info: SitePage) -> list[str]:
    """Every code block has a copy button, and the first one showing copies its block."""
    buttons = page.locator("pre:not(.mermaid) [data-md-type=copy][data-clipboard-target]")
    try:
        buttons.first.wait_for(state="attached", timeout=10_000)
    except PlaywrightTimeout:
        return ["no copy buttons"]
    problems = []
    count = buttons.count()
    if count < info.code_blocks:
        problems.append(f"{count} copy buttons for {info.code_blocks} code blocks")
    page.evaluate(SHOW_FIRST_CODE_BLOCK)  # the diagram tabs shown before may hide every code tab
    button = page.locator("pre:not(.mermaid):visible [data-md-type=copy]").first
    code = button.evaluate("b => document.querySelector(b.dataset.clipboardTarget).innerText")
    button.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    if copied.strip() != code.strip():
        problems.append(f"copy button copied {copied[:60]!r}, the block is {code[:60]!r}")
    return problems


def phone_problems(page, info: SitePage) -> list[str]:
    """At a phone's width nothing is wider than the screen (screenshot `phone`)."""
    page.set_viewport_size(PHONE)
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        wide = page.evaluate(
            """w => [...document.querySelectorAll("body *")]
                 .filter(e => e.getBoundingClientRect().right > w + 1)
                 .slice(0, 5).map(e => e.tagName + "." + e.className)""",
            PHONE["width"],
        )
        problems.append(f"page is {width}px wide on a 390px phone: {wide}")
    screenshot(page, info, "phone")
    page.set_viewport_size(DESKTOP)
    return problems


def switcher_problems(page, info: SitePage, site: str) -> list[str]:
    """The zh page's language switcher, clicked, lands on the same page in English."""
    page.hover(".md-header__option .md-select")
    page.locator(".md-select__link[hreflang=en]").click()
    try:
        page.wait_for_url(site + info.other, timeout=10_000)
    except PlaywrightTimeout:
        return [f"the en switcher went to {page.url}, not /{info.other}"]
    page.wait_for_load_state("load")
    if page.evaluate("document.documentElement.lang") != "en":
        return [f"/{info.other}: <html lang> is not 'en'"]
    return []


def switches_back_problems(page, info: SitePage, site: str) -> list[str]:
    """The en page's switcher points to the same page in Chinese (the click is checked the
    other way round, and follows the same kind of link)."""
    href = page.locator(".md-select__link[hreflang=zh]").evaluate("a => a.href")
    return [] if href == site + info.other else [f"the zh switcher points to {href}"]


def toggle_scheme(page, want: str) -> list[str]:
    """Click the header's palette toggle, as a reader would; `want`: "slate" or "default"."""
    page.locator("form[data-md-component=palette] label:visible").click()
    try:
        page.wait_for_function(f"document.body.dataset.mdColorScheme === {want!r}", timeout=5000)
    except PlaywrightTimeout:
        got = page.evaluate("document.body.dataset.mdColorScheme")
        return [f"the palette toggle left the scheme {got!r}, not {want!r}"]
    return []


def axe_problems(
    page, where: str, *, rules: list[str] | None = None, skip: list[str] | None = None
) -> list[str]:
    """axe's serious and critical findings: only `rules`, or all but `skip` (see start_axe)."""
    if axe_script() is None:
        return []
    start_axe(page, rules=rules, skip=skip)
    return blocking(page, where)


def page_problems(page, info: SitePage, site: str, watch: Watch, colours: bool) -> list[str]:
    """Look at everything a reader would meet on a loaded page; see the module docstring.
    `colours`: also check axe's colour rules, in both schemes (once per page pair is enough)."""
    problems = []
    got = page.evaluate("document.body.dataset.mdColorScheme")
    if got != "default":
        problems.append(f"colour scheme {got!r} in a light context, expected 'default'")
    problems += show_and_render_diagrams(page, info.diagrams)
    # Material restores the hreflang alternates after its set-up (see overrides/main.html).
    if not info.path.endswith("404.html"):
        alternates = page.locator("link[rel=alternate][hreflang]").count()
        if alternates != 3:
            problems.append(f"{alternates} hreflang alternates after load")
    screenshot(page, info, "desktop-light")
    problems += phone_problems(page, info)
    if info.code_blocks:  # after the screenshots: it shows a toast
        problems += copy_button_problems(page, info)
    problems += toggle_scheme(page, "slate")
    # Still drawn, in the dark colours (the copy check showed the Code tabs: back to diagrams).
    problems += show_and_render_diagrams(page, info.diagrams)
    screenshot(page, info, "desktop-dark", full_page=False)
    page.add_style_tag(content=SHOW_ALL_TAB_PANELS + NO_TRANSITIONS)  # axe sees every panel
    problems += axe_problems(page, "axe (dark)", skip=None if colours else COLOUR_RULES)
    problems += toggle_scheme(page, "default")  # also what the next page of the scope starts in
    if colours:
        problems += axe_problems(page, "axe (light)", rules=COLOUR_RULES)
    problems += watch.problems
    if any(r.endswith("sitemap.xml") for r in watch.requests):
        problems.append("Material fetched a sitemap (alternates not hidden)")
    searching = [r for r in watch.requests if SEARCH_DOWNLOADS.search(r)]
    if searching:  # overrides/assets/javascripts/search-on-demand.js holds them back
        problems.append(f"loaded search before it was opened: {searching}")
    watch.problems.clear()
    watch.requests.clear()
    return [f"/{info.path}: {p}" for p in problems]


def page_paths() -> list[str]:
    """The zh site's pages, from docs/zh (collected before the site is built); the test below
    checks that they are exactly the built pages."""
    paths = []
    for md in sorted((REPO / "docs" / "zh").rglob("*.md")):
        rel = md.relative_to(REPO / "docs" / "zh").as_posix()
        paths.append(rel.removesuffix("index.md") if rel.endswith("index.md") else rel[:-3] + "/")
        if rel.endswith("index.md") and rel.count("/") == 1:  # a chapter: its notebook
            paths.append(rel.removesuffix("index.md") + "notebook/")
    return [*paths, "404.html"]


def test_every_built_page_is_checked(pages: list[SitePage]) -> None:
    built = sorted(info.path for info in pages)
    checked = sorted(p for path in page_paths() for p in (path, "en/" + path))
    assert built == checked
    for lang in ("zh", "en"):
        with_code = sum(bool(info.code_blocks) for info in pages if info.lang == lang)
        assert with_code >= 2, f"expected code on {lang} chapter pages"


@pytest.fixture(scope="module")
def light_context(browser) -> Iterator:
    """One browser context for this module's tests in this worker (those that need JavaScript
    off have their own): its cache keeps the site's scripts compiled from one page to the next
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


@pytest.mark.parametrize("path", page_paths())
def test_each_page_in_both_languages_and_schemes(
    site_server: str, pages: list[SitePage], tab, path: str
) -> None:
    """Each page is loaded once per language and checked for everything there."""
    by_path = {info.path: info for info in pages}
    zh, en = by_path[path], by_path["en/" + path]
    problems = page_pair_problems(tab, zh, en, site_server)
    assert not problems, "\n".join(problems)


def page_pair_problems(page, zh: SitePage, en: SitePage, site_server: str) -> list[str]:
    path = zh.path
    watch = Watch(site_server)
    watch.attach(page)
    visit(page, site_server, zh.path, watch)
    problems = page_problems(page, zh, site_server, watch, colours=True)
    if path.endswith("404.html"):
        visit(page, site_server, en.path, watch)
    else:
        problems += [f"/{zh.path}: {p}" for p in switcher_problems(page, zh, site_server)]
    problems += page_problems(page, en, site_server, watch, colours=False)
    if not path.endswith("404.html"):
        problems += [f"/{en.path}: {p}" for p in switches_back_problems(page, en, site_server)]
    return problems


@pytest.mark.parametrize("home", ["", "en/"])
def test_a_dark_system_scheme_opens_pages_dark(
    site_server: str, tab, pages: list[SitePage], home: str
) -> None:
    """Without a choice of their own, readers get their system's scheme, diagrams drawn in it."""
    info = next(p for p in pages if p.path == home + "ch02/tasks/")
    page = tab
    page.emulate_media(color_scheme="dark")
    watch = Watch(site_server)
    watch.attach(page)
    visit(page, site_server, info.path, watch)
    assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"
    problems = show_and_render_diagrams(page, info.diagrams) + watch.problems
    assert info.diagrams and not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("lang", "queries"), [("zh", ["协程", "事件循环"]), ("en", ["coroutine", "task"])]
)
def test_search_finds_words_in_the_language_being_read(
    site_server: str, tab, lang: str, queries: list[str]
) -> None:
    watch = Watch(site_server)
    home = "" if lang == "zh" else "en/"
    page = open_page(tab, site_server, home, watch)
    box = page.locator(".md-search__input")
    box.click()
    for query in queries:  # one after another in the same box, as a reader refines a search
        box.fill("")  # no results left over from the last query
        page.locator(".md-search-result__item").first.wait_for(state="detached", timeout=10_000)
        box.fill(query)
        box.press("End")
        results = page.locator(".md-search-result__item a.md-search-result__link")
        results.first.wait_for(timeout=20_000)
        links = results.evaluate_all("as => as.map(a => [a.href, a.textContent.trim()])")
        assert links, f"no results for {query!r}"
        root = site_server + home
        elsewhere = [href for href, _ in links if not href.startswith(root)]
        if lang == "zh":
            elsewhere += [href for href, _ in links if href.startswith(site_server + "en/")]
            assert any(CJK.search(text) for _, text in links), f"no Chinese in results: {links}"
        else:
            chinese = [text for _, text in links if CJK.search(text)]
            assert not chinese, f"Chinese results on the English site: {chinese}"
        assert not elsewhere, f"results outside the {lang} site: {elsewhere}"
    assert not watch.problems, "\n".join(watch.problems)


def test_search_from_the_address_bar(site_server: str, tab) -> None:
    """?q= opens search with the query's results; ?h= (a search result's link) highlights the
    words on the page. Both need the index, which pages otherwise load only when search opens."""
    watch = Watch(site_server)
    page = open_page(tab, site_server, "en/?q=coroutine", watch)
    results = page.locator(".md-search-result__item a.md-search-result__link")
    results.first.wait_for(timeout=20_000)
    assert page.evaluate("document.getElementById('__search').checked"), "search did not open"
    visit(page, site_server, "ch02/tasks/?h=事件循环", watch)
    marks = page.locator("article mark")
    marks.first.wait_for(timeout=20_000)
    assert "事件循环" in marks.first.text_content()
    assert not watch.problems, "\n".join(watch.problems)


TIMELINE_LABEL = re.compile(r"^(Timeline|时间线)$")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_are_readable_without_javascript(
    site_server: str, pages: list[SitePage], no_js_tab, lang: str
) -> None:
    page = no_js_tab
    problems = []
    for info in (info for info in pages if info.lang == lang):
        page.goto(site_server + info.path, wait_until="load")
        text = page.locator("article").inner_text()
        if len(text) < 40:
            problems.append(f"/{info.path}: article text missing without JavaScript: {text!r}")
        if info.code_blocks:
            code = page.locator("pre:not(.mermaid) > code").first
            if not code.is_visible() or not code.inner_text().strip():
                problems.append(f"/{info.path}: first code block not readable without JavaScript")
        if info.diagrams:
            # Show every diagram's tab, then look at each: the first one clicked (CSS tabs work
            # without JavaScript), the others selected the way that click does, in one call.
            tabs = page.locator(".tabbed-labels > label", has_text=TIMELINE_LABEL)
            if tabs.count():  # (a class diagram is not in a tab)
                tabs.first.click()
            mark_diagram_tabs(page)
            page.locator(DIAGRAM_TAB).evaluate_all(
                "ls => ls.forEach(l => { document.getElementById(l.htmlFor).checked = true })"
            )
            states = page.evaluate(
                """() => [...document.querySelectorAll(".mermaid")].map(el => ({
                     visible: el.getBoundingClientRect().height > 0,
                     source: [...el.children].some(c => c.getBoundingClientRect().height > 0)
                             || (el.children.length === 0 && el.textContent.trim() !== ""),
                     note: getComputedStyle(el, "::before").content}))"""
            )
            for i, state in enumerate(states):
                if state["source"]:
                    problems.append(f"/{info.path}: diagram {i} shows raw Mermaid source")
                note = state["note"]
                if state["visible"] and (note in ("none", "normal", '""') or not note):
                    problems.append(f"/{info.path}: diagram {i} has no note without JavaScript")
                elif state["visible"] and bool(CJK.search(note)) != (info.lang == "zh"):
                    problems.append(f"/{info.path}: diagram note in the wrong language: {note}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("path", "lang", "heading", "english_link"),
    [
        # GitHub Pages answers every missing path, /en/... too, with the root 404.html (the
        # Chinese page), status 404; that page points English readers to the English site.
        ("no/such/page/", "zh", "找不到", "en/"),
        ("en/no/such/page/", "zh", "找不到", "en/"),
        ("404.html", "zh", "找不到", "en/"),
        ("en/404.html", "en", "Page not found", None),
    ],
)
def test_missing_pages_get_the_404_page_github_pages_serves(
    site_server: str, tab, path: str, lang: str, heading: str, english_link: str | None
) -> None:
    watch = Watch(site_server, expected_404={site_server + path})
    page = tab
    watch.attach(page)
    response = page.goto(site_server + path, wait_until="load")
    assert response is not None
    if "no/such" in path:
        assert response.status == 404
    assert page.evaluate("document.documentElement.lang") == lang
    assert heading in page.locator("h1").inner_text()
    # Styled: Material's stylesheet applied (its header is sticky), whatever the depth of the URL.
    assert page.evaluate("getComputedStyle(document.querySelector('.md-header')).position") in (
        "sticky",
        "fixed",
    )
    if english_link:
        link = page.locator("article p[lang=en] a")
        assert link.evaluate("a => a.href") == site_server + english_link
    home = page.locator("article a").first
    home.click()
    page.wait_for_load_state("load")
    assert page.url == site_server + ("en/" if lang == "en" else "")
    assert not watch.problems, "\n".join(watch.problems)


def test_cut_timeline_labels_show_their_full_text(site_server: str, tab) -> None:
    """mermaid-loader.mjs: a cut label gets its whole text (from the `%% full` comment) as a
    tooltip and, when focused, over itself; a bar too narrow for its label gets it as a tooltip.
    Material draws into a closed shadow root, so the loader's render is called here directly."""
    timeline = (REPO / "build/generated/ch02/concurrent_tasks/timeline.md").read_text("utf-8")
    source = timeline.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    long_title = "Task-1 main(with, a, long, list, of, arguments)"  # as timeline_labels.py cuts it:
    source = source.replace(
        "    section Task-1 main()\n",
        f"    section {long_title[:23]}…\n    %% full section-0 {long_title}\n",
    )
    page = open_page(tab, site_server, "en/ch02/tasks/")
    found = page.evaluate(
        """async (source) => {
          const {svg} = await window.mermaid.render("qa-timeline", source)
          const host = document.createElement("div")
          host.innerHTML = svg
          document.body.append(host)
          const cut = host.querySelector(".notes-cut")
          cut.focus()
          const whole = cut.nextElementSibling
          return {titles: [...host.querySelectorAll("title")].map(t => t.textContent),
                  focused: document.activeElement === cut,
                  shown: getComputedStyle(whole).display, text: whole.textContent}
        }""",
        source,
    )
    assert "starting main with args () {}" in found["titles"]
    assert long_title in found["titles"]  # a section title
    assert "await Task-3" in found["titles"]  # a wait too short for its label
    assert found["focused"] and found["shown"] != "none"
    assert found["text"] == "starting main with args () {}"
    assert not page.locator("ul.timeline-text").first.is_visible()  # the chart says it all


def test_without_javascript_a_timeline_is_a_list_with_full_labels(
    site_server: str, no_js_tab
) -> None:
    page = open_page(no_js_tab, site_server, "en/ch02/tasks/")
    page.locator(".tabbed-labels > label", has_text="Timeline").first.click()  # CSS tabs
    text = page.locator("ul.timeline-text").first
    assert text.is_visible()
    assert "“starting main with args () {}”" in text.inner_text()
