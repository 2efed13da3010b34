"""The built site: strict in both languages, self-contained, switchable, searchable per language."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from tests.conftest import BuiltSite

pytestmark = pytest.mark.slow

CHAPTER = "ch02/index.html"
CJK = re.compile(r"[\u4e00-\u9fff]")


def html_pages(site: BuiltSite) -> list[Path]:
    return sorted(site.root.rglob("*.html"))


class _Refs(HTMLParser):
    """Collect what a page loads (scripts, styles, fonts, images, frames) and inline script text."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline_scripts: list[str] = []
        self.links: list[tuple[str, dict[str, str]]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "img", "iframe", "source", "audio", "video") and a.get("src"):
            self.loads.append(a["src"])
        if tag == "link":
            rel = a.get("rel", "")
            if any(r in rel.split() for r in ("stylesheet", "preload", "modulepreload", "icon")):
                self.loads.append(a.get("href", ""))
        if tag == "a":
            self.links.append((a.get("href", ""), a))
        self._in_script = tag == "script" and not a.get("src")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)


def parse(path: Path) -> _Refs:
    refs = _Refs()
    refs.feed(path.read_text(encoding="utf-8"))
    return refs


def test_both_languages_build_strict_without_warnings(built_site: BuiltSite) -> None:
    assert (built_site.root / CHAPTER).exists()
    assert (built_site.root / "en" / CHAPTER).exists()
    warnings = [line for line in built_site.log.splitlines() if "WARNING" in line]
    assert not warnings, "\n".join(warnings)


def test_no_page_loads_anything_from_another_host(built_site: BuiltSite) -> None:
    """Readers behind filtered networks must get complete pages: no fonts/CDN scripts."""
    site_host = urlparse(built_site.url).netloc
    offenders = []
    for page in html_pages(built_site):
        refs = parse(page)
        for ref in refs.loads:
            host = urlparse(urljoin(built_site.url, ref)).netloc
            if host != site_host:
                offenders.append(f"{page.relative_to(built_site.root)} loads {ref}")
        for script in refs.inline_scripts:
            for url in re.findall(r"""https?://[^\s"'`)]+""", script):
                if urlparse(url).netloc != site_host:
                    offenders.append(f"{page.relative_to(built_site.root)} inline script: {url}")
    assert not offenders, "\n".join(offenders)


def test_css_pulls_no_remote_fonts(built_site: BuiltSite) -> None:
    offenders = [
        f"{css.relative_to(built_site.root)}: {m}"
        for css in built_site.root.rglob("*.css")
        for m in re.findall(r"@import\s+url\(\s*['\"]?https?://[^)]+\)", css.read_text("utf-8"))
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    ("page", "lang", "target"),
    [
        (CHAPTER, "en", "en/" + CHAPTER),
        ("en/" + CHAPTER, "zh", CHAPTER),
        ("index.html", "en", "en/index.html"),
        ("en/index.html", "zh", "index.html"),
    ],
)
def test_language_switcher_goes_to_the_same_page(
    built_site: BuiltSite, page: str, lang: str, target: str
) -> None:
    refs = parse(built_site.root / page)
    hrefs = [href for href, a in refs.links if "md-select__link" in a.get("class", "")]
    switch = [
        href
        for href, a in refs.links
        if "md-select__link" in a.get("class", "") and a.get("hreflang") == lang
    ]
    assert switch, f"no {lang} link in the language switcher of {page}: {hrefs}"
    resolved = urlparse(urljoin(built_site.url + page, switch[0])).path
    expected = urlparse(urljoin(built_site.url, target)).path
    assert resolved.removesuffix("index.html") == expected.removesuffix("index.html")


def _search_index(site_dir: Path) -> dict:
    return json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))


def test_one_search_index_per_language(built_site: BuiltSite) -> None:
    zh, en = _search_index(built_site.root), _search_index(built_site.root / "en")
    assert zh["docs"] and en["docs"]
    assert not any(d["location"].startswith("en/") for d in zh["docs"])
    # An English page may name something in Chinese (a link to 中文说明); none may be Chinese.
    mostly_chinese = [
        d["location"]
        for d in en["docs"]
        if len(CJK.findall(d["title"] + d["text"])) > 0.05 * len(d["title"] + d["text"])
    ]
    assert not mostly_chinese, f"Chinese sections in the en index: {mostly_chinese}"


def test_notebook_pages_are_not_in_the_search_index(built_site: BuiltSite) -> None:
    """A notebook repeats its chapter's pages: indexed, it would double every result."""
    for root in (built_site.root, built_site.root / "en"):
        docs = _search_index(root)["docs"]
        assert any(d["location"].startswith("ch02/") for d in docs)
        notebook = [d["location"] for d in docs if "/notebook/" in d["location"]]
        assert not notebook, f"{root}: notebook sections in the search index: {notebook[:3]}"


@pytest.mark.parametrize("word", ["协程", "事件循环", "并发"])
def test_chinese_index_is_segmented_into_words(built_site: BuiltSite, word: str) -> None:
    """jieba splits Chinese at build time; without it multi-character words find nothing."""
    zh = _search_index(built_site.root)
    chapter = [d for d in zh["docs"] if d["location"].startswith("ch02/")]
    tokens = {t for d in chapter for t in re.split(r"[\s\u200b\-]+", d["text"])}
    assert word in tokens, f"{word!r} is not a separate token in the zh index"


def test_every_example_output_is_in_both_languages(built_site: BuiltSite) -> None:
    """Each example's checked output is shown on some page of the chapter, in each language."""
    from asyncio_notes.sitebuild.catalog import example_files, relative

    for root in (built_site.root, built_site.root / "en"):
        pages = [*sorted((root / "ch02").glob("*/index.html")), root / CHAPTER]
        text = "".join(
            re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))  # highlighting spans
            for page in pages
        )
        for example in example_files("ch02"):
            assert f"$ python {relative(example)}" in text, f"{root}: no output of {example.name}"


TAB_LABELS = {
    "zh": ["代码", "输出", "时间线", "逐步执行"],
    "en": ["Code", "Output", "Timeline", "Step through"],
}


def test_every_example_is_a_tab_set_of_code_output_and_timeline(built_site: BuiltSite) -> None:
    """The shape the in-browser runner relies on: a tabbed set whose first tab is a code block
    titled with the example's path, then Output, then Timeline and Step through: every example
    has all four (custom loops, asyncio.Runner and debug mode run on the virtual loop too)."""
    from bs4 import BeautifulSoup

    from asyncio_notes.sitebuild.catalog import example_files, relative

    for lang, root in (("zh", built_site.root), ("en", built_site.root / "en")):
        shown: dict[str, list[str]] = {}
        for page in sorted((root / "ch02").glob("*/index.html")):
            soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
            for tab_set in soup.select("div.tabbed-set"):
                labels = [
                    label.get_text() for label in tab_set.select(":scope > .tabbed-labels > label")
                ]
                first = tab_set.select_one(":scope > .tabbed-content > .tabbed-block")
                title = first.select_one(".highlight .filename") if first else None
                if title is not None:
                    shown[title.get_text()] = labels
        for example in example_files("ch02"):
            labels = shown.get(relative(example))
            assert labels == TAB_LABELS[lang], (lang, example.name, labels)


def test_every_page_with_a_timeline_has_its_legend_under_the_first_one(
    built_site: BuiltSite,
) -> None:
    """sitebuild/legend.py: one legend per page, in the page's language, after the first timeline
    and before the next one."""
    with_timelines = 0
    for path in html_pages(built_site):
        html = path.read_text(encoding="utf-8")
        timelines = [m.start() for m in re.finditer(r"\ngantt\n", html)]
        legends = [m.start() for m in re.finditer(r'class="timeline-legend"', html)]
        name = path.relative_to(built_site.root).as_posix()
        if not timelines:
            assert not legends, name
            continue
        with_timelines += 1
        assert len(legends) == 1, name
        assert timelines[0] < legends[0] < (timelines[1:] or [len(html)])[0], name
        legend = html[legends[0] : html.index("</div>", legends[0])]
        assert bool(CJK.search(legend)) == (not name.startswith("en/")), name
    assert with_timelines >= 12  # six pages of chapter 2, in each language


def test_the_runner_is_the_same_files_in_both_languages(built_site: BuiltSite) -> None:
    """The in-page runner's code, runtime and bundle are one set of files that each language's
    build copies: the browser tests check their language-independent behaviour on one page."""
    assets = built_site.root / "assets"
    folders = [assets / "runner", assets / "vendor" / "pyodide", assets / "vendor" / "editor"]
    runner_files = sorted((assets / "javascripts").glob("runner*")) + sorted(
        p for folder in folders for p in folder.rglob("*") if p.is_file()
    )
    assert len(runner_files) > 6 and (assets / "runner" / "bundle.json") in runner_files
    for zh in runner_files:
        en = built_site.root / "en" / zh.relative_to(built_site.root)
        assert en.is_file() and en.read_bytes() == zh.read_bytes(), f"{en} differs from {zh}"


def test_the_step_through_tab_is_a_text_log_until_opened(built_site: BuiltSite) -> None:
    """Without JavaScript the tab shows the step log (generate.py) in the page's language, kept
    out of the search index; the stepper's data is published once per example, the same bytes
    in both languages, and no page links it (stepper.mjs fetches it when the tab is opened)."""
    from bs4 import BeautifulSoup

    from asyncio_notes.sitebuild.catalog import example_files
    from asyncio_notes.sitebuild.generate import example_out_dir

    page = "ch02/tasks/index.html"
    for lang, root in (("zh", built_site.root), ("en", built_site.root / "en")):
        html = (root / page).read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        host = soup.select_one('.stepper[data-example="examples/ch02/concurrent_tasks.py"]')
        assert host is not None and host.has_attr("data-search-exclude"), lang
        log = (
            example_out_dir(example_files("ch02")[0].parent / "concurrent_tasks.py")
            / lang
            / "steps.txt"
        ).read_text(encoding="utf-8")
        assert host.select_one("pre").get_text() == log, lang
        assert ("第 3 轮循环" in log) == (lang == "zh")
        assert "steps/ch02" not in html and "stepper.mjs" not in html
    for example in example_files("ch02"):
        zh = built_site.root / "assets" / "steps" / "ch02" / f"{example.stem}.json"
        en = built_site.root / "en" / zh.relative_to(built_site.root)
        built = (example_out_dir(example) / "steps.json").read_bytes()
        assert zh.read_bytes() == en.read_bytes() == built, example.name


def test_the_home_page_starts_with_where_to_start(built_site: BuiltSite) -> None:
    """Issue 22: a learner first meets what to read and how to read a timeline and use Run;
    how the site is built comes later."""
    for root in (built_site.root, built_site.root / "en"):
        html = (root / "index.html").read_text(encoding="utf-8")
        article = html[html.index("<article") :]
        ids = re.findall(r'<h2 id="([\w-]+)"', article)
        assert ids[0] == "start-here" and ids.index("how-it-is-built") > ids.index("contents")
        start = article[article.index('id="start-here"') : article.index('id="run-locally"')]
        assert 'href="ch02/"' in start, root
