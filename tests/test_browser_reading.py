"""What readers do beyond looking at a page, in a real browser (Chromium through Playwright).

- Search finds Chinese words on the Chinese site and English words on the English one, and only
  offers pages of the language being read; ?q= and ?h= work.
- With JavaScript off, text and code are readable and diagrams say why they are not shown; a
  timeline is a list with its labels in full.
- A cut timeline label shows its whole text (mermaid-loader.mjs).
- A missing page gets the root 404 page, fully styled, under / and under /en/, as on GitHub
  Pages (tests/conftest.py serves the site as that host does); it links to the English site.
"""

from __future__ import annotations

import re

import pytest

from asyncio_notes.devtools.chromium import DIAGRAM_TAB, mark_diagram_tabs
from asyncio_notes.paths import REPO
from tests.browser_support import CJK, SitePage, Watch, open_page, visit

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


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
    assert "finished main in 3.0000 second(s)" in found["titles"]  # a print, cut at the end
    assert long_title in found["titles"]  # a section title
    assert "ready" in found["titles"]  # a ready span too short for its label
    assert found["focused"] and found["shown"] != "none"
    assert found["text"] == "finished sleeping for 3 second(s)"  # the first cut in the SVG
    assert not page.locator("ul.timeline-text").first.is_visible()  # the chart says it all


def test_without_javascript_a_timeline_is_a_list_with_full_labels(
    site_server: str, no_js_tab
) -> None:
    page = open_page(no_js_tab, site_server, "en/ch02/tasks/")
    page.locator(".tabbed-labels > label", has_text="Timeline").first.click()  # CSS tabs
    text = page.locator("ul.timeline-text").first
    assert text.is_visible()
    assert "“starting main with args () {}”" in text.inner_text()


def test_a_chinese_search_marks_whole_words(site_server: str, tab) -> None:
    """事件循环 is not marked piece by piece (each 事 of 事情): in the results, and on the page a
    result opens, whose ?h= carries the query as typed (search-on-demand.js)."""
    watch = Watch(site_server)
    page = open_page(tab, site_server, "", watch)
    box = page.locator(".md-search__input")
    box.click()
    box.fill("事件循环")
    box.press("End")  # Material searches on a key
    results = page.locator(".md-search-result__item a.md-search-result__link")
    results.first.wait_for(timeout=20_000)
    marks = page.locator(".md-search-result mark")
    marks.first.wait_for()
    assert set(marks.all_text_contents()) == {"事件循环"}
    assert "?h=%E4%BA%8B%E4%BB%B6%E5%BE%AA%E7%8E%AF" in results.first.get_attribute("href")
    results.first.click()
    page.wait_for_load_state("load")
    article = page.locator("article mark")
    article.first.wait_for(timeout=20_000)
    assert set(article.all_text_contents()) == {"事件循环"}
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.parametrize(("start", "target"), [("en/", "zh"), ("", "en")])
def test_the_language_switcher_keeps_the_anchor(
    site_server: str, tab, start: str, target: str
) -> None:
    page = open_page(tab, site_server, f"{start}ch02/tasks/#task-model")
    page.hover(".md-header__option .md-select")
    page.locator(f".md-select__link[hreflang={target}]").click()
    other = "en/" if target == "en" else ""
    page.wait_for_url(f"{site_server}{other}ch02/tasks/#task-model", timeout=10_000)
