"""The built site in a real browser (Chromium through Playwright): every page in both languages.

One test per page, for both its languages (so parallel workers share the pages out). Each page
is loaded once: it loads without console errors, failed requests or requests to any other host;
every Mermaid diagram renders (its tab clicked first); full-page screenshots at 1280 px and at a
phone's 390 px go to screenshots/, where nothing may be wider than the phone; every code block
has a copy button, and the first one copies its block. Then the reader's palette toggle switches
it to the dark scheme: the diagrams stay drawn, and a dark screenshot is taken. axe-core finds no
serious or critical violation (tests/axe_check.py): every rule in the dark scheme, and the colour
rules again after toggling back to light. The colour rules (the costly ones) run on the zh page
of each pair only: both languages are built from the same theme and the same page structure
(parity.py), so they share every colour; the en page gets the others. No page downloads the
search index or worker before the reader opens search. The zh page's language switcher, clicked,
lands on the same page in English (that is how the en page is loaded); the en page's switcher
points back to the zh page. A page opened with a dark system scheme starts dark.

Search, pages without JavaScript and the 404 page: test_browser_reading.py. Only one browser runs
per worker (the `browser` fixture in conftest.py), with one context for a module's tests
(`light_context`) and one with JavaScript off; each test opens a tab.
"""

from __future__ import annotations

import re

import pytest

from asyncio_notes.paths import REPO
from tests.axe_check import (
    COLOUR_RULES,
    axe_script,
    blocking,
    show_every_panel,
    start_axe,
)
from tests.browser_support import (
    DESKTOP,
    PHONE,
    SitePage,
    Watch,
    show_and_render_diagrams,
    visit,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
PlaywrightTimeout = sync_api.TimeoutError

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

SCREENSHOTS = REPO / "screenshots"  # emptied when a run starts (conftest.py)
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
    show_every_panel(page)  # axe sees every panel
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
