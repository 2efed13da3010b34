"""No broken internal link or anchor in either language, and each page linked to its translation.

A small checker instead of a crawler (linkchecker, linkinator): it reads the built files
directly, so it needs no server and no network, takes well under a second, and knows this site's
layout. Every href/src of every built page (links, stylesheets, scripts, images, icons, canonical,
prev/next, hreflang alternates) is resolved against the URL the page is served at; a same-host
target must be a built file (a directory URL means its index.html), and a #fragment must be an id
(or <a name>) in the target page. Other hosts are not fetched (the site links to its repository
only). The sitemaps and the search indexes are checked the same way, because search results
follow them. The first tests run the checker on a tiny site with known faults, so a checker that
stopped finding anything would fail here too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from asyncio_notes.paths import REPO
from tests.conftest import BuiltSite

# Attributes that point at something the reader (or the browser) will fetch or follow.
REFERENCES = {
    "a": ("href",),
    "link": ("href",),
    "script": ("src",),
    "img": ("src",),
    "source": ("src",),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "use": ("href", "xlink:href"),
}
SKIPPED_SCHEMES = ("mailto:", "tel:", "javascript:", "data:")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (tag, url)
        self.alternates: dict[str, str] = {}  # hreflang -> href
        self.lang = ""
        self.description: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "meta" and a.get("name") == "description":
            self.description = a.get("content", "")
        if tag == "link" and a.get("rel") == "alternate" and a.get("hreflang"):
            self.alternates[a["hreflang"]] = a.get("href", "")
        for attr in REFERENCES.get(tag, ()):
            if a.get(attr):
                self.refs.append((tag, a[attr]))

    handle_startendtag = handle_starttag


@dataclass
class LinkReport:
    checked: int = 0
    external: int = 0
    broken: list[str] = field(default_factory=list)


def page_url(root: Path, file: Path, site_url: str) -> str:
    rel = file.relative_to(root).as_posix()
    return site_url + (rel.removesuffix("index.html") if rel.endswith("index.html") else rel)


class SiteFiles:
    """The built site as a reader's browser would see it, resolved to files."""

    def __init__(self, root: Path, site_url: str) -> None:
        self.root = root
        self.url = site_url
        self.host = urlparse(site_url).netloc
        self._parsed: dict[Path, _Page] = {}

    def parse(self, file: Path) -> _Page:
        if file not in self._parsed:
            page = _Page()
            page.feed(file.read_text(encoding="utf-8"))
            self._parsed[file] = page
        return self._parsed[file]

    def target(self, url: str) -> Path | None:
        """The built file a same-host URL serves, or None."""
        path = unquote(urlparse(url).path)
        base = urlparse(self.url).path
        if not path.startswith(base):
            return None
        file = self.root / path[len(base) :]
        if path.endswith("/"):
            file = file / "index.html"
        elif file.is_dir():
            file = file / "index.html"  # hosts redirect /dir to /dir/
        return file if file.is_file() else None

    def check(self, url: str, where: str, report: LinkReport) -> None:
        if url.startswith(SKIPPED_SCHEMES):
            return
        parts = urlparse(url)
        if parts.netloc != self.host:
            report.external += 1
            return
        report.checked += 1
        file = self.target(url)
        if file is None:
            report.broken.append(f"{where}: {url} -> no such file")
            return
        fragment = unquote(parts.fragment)
        if fragment and file.suffix == ".html" and fragment not in self.parse(file).ids:
            report.broken.append(f"{where}: {url} -> no id {fragment!r} in {file.name}")


def check_site(root: Path, site_url: str) -> LinkReport:
    site = SiteFiles(root, site_url)
    report = LinkReport()
    for file in sorted(root.rglob("*.html")):
        here = page_url(root, file, site_url)
        where = "/" + file.relative_to(root).as_posix()
        for tag, ref in site.parse(file).refs:
            if tag == "a" and ref.startswith("#") and len(ref) == 1:
                continue  # href="#": a script's button, not a place
            site.check(urljoin(here, ref), f"{where} <{tag}>", report)
    for sitemap in sorted(root.rglob("sitemap.xml")):
        where = "/" + sitemap.relative_to(root).as_posix()
        for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap.read_text(encoding="utf-8")):
            site.check(loc.strip(), where, report)
    for index in sorted(root.rglob("search/search_index.json")):
        lang_root = index.parent.parent
        base = site_url + (lang_root.relative_to(root).as_posix() + "/").removeprefix("./")
        where = "/" + index.relative_to(root).as_posix()
        for doc in json.loads(index.read_text(encoding="utf-8"))["docs"]:
            site.check(urljoin(base, doc["location"]), f"{where} {doc['title']!r}", report)
    return report


# --- the checker itself, on a tiny site with known faults --------------------------------------


def _write(root: Path, rel: str, html: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!doctype html><html lang='en'><body>{html}</body></html>", "utf-8")


def test_checker_finds_missing_pages_and_anchors(tmp_path: Path) -> None:
    _write(tmp_path, "index.html", '<h2 id="here">x</h2><a href="a/">a</a><a href="#here">ok</a>')
    _write(
        tmp_path,
        "a/index.html",
        '<a href="../#here">ok</a><a href="../#gone">bad anchor</a><a href="../b/">missing</a>'
        '<img src="../img/x.png"><a href="https://example.org/">external</a>'
        '<a href="../index.html#here">ok</a><a href="..">ok</a>',
    )
    report = check_site(tmp_path, "http://127.0.0.1:1/")
    assert report.external == 1
    assert sorted(b.split(": ", 1)[1] for b in report.broken) == [
        "http://127.0.0.1:1/#gone -> no id 'gone' in index.html",
        "http://127.0.0.1:1/b/ -> no such file",
        "http://127.0.0.1:1/img/x.png -> no such file",
    ]


def test_checker_follows_sitemaps_and_search_indexes(tmp_path: Path) -> None:
    _write(tmp_path, "index.html", '<h2 id="a">a</h2>')
    (tmp_path / "sitemap.xml").write_text(
        "<urlset><url><loc>http://127.0.0.1:1/</loc></url>"
        "<url><loc>http://127.0.0.1:1/gone/</loc></url></urlset>"
    )
    (tmp_path / "search").mkdir()
    docs = [{"location": "#a", "title": "A"}, {"location": "#b", "title": "B"}]
    (tmp_path / "search" / "search_index.json").write_text(json.dumps({"docs": docs}))
    broken = check_site(tmp_path, "http://127.0.0.1:1/").broken
    assert len(broken) == 2, broken
    assert "/gone/" in broken[0] and "no id 'b'" in broken[1]


# --- the built site -------------------------------------------------------------------------


@pytest.mark.slow
def test_no_broken_internal_link_or_anchor(built_site: BuiltSite) -> None:
    report = check_site(built_site.root, built_site.url)
    assert report.checked > 100, f"only {report.checked} links checked: is the site complete?"
    assert not report.broken, f"{len(report.broken)} broken:\n" + "\n".join(report.broken)


@pytest.mark.slow
def test_every_page_names_its_language_and_links_its_translation(built_site: BuiltSite) -> None:
    """<html lang>, and <link rel=alternate hreflang> to the same page in zh, en and x-default
    (the Chinese site), absolute, pointing at pages that exist."""
    site = SiteFiles(built_site.root, built_site.url)
    problems = []
    for file in sorted(built_site.root.rglob("*.html")):
        rel = file.relative_to(built_site.root).as_posix()
        lang = "en" if rel.startswith("en/") else "zh"
        page = site.parse(file)
        if page.lang != lang:
            problems.append(f"/{rel}: <html lang={page.lang!r}>, expected {lang!r}")
        if rel.endswith("404.html"):
            continue  # a 404 page has no translation to point at
        zh_rel = rel.removeprefix("en/")
        expected = {
            "zh": page_url(built_site.root, built_site.root / zh_rel, built_site.url),
            "en": page_url(built_site.root, built_site.root / "en" / zh_rel, built_site.url),
        }
        expected["x-default"] = expected["zh"]
        if page.alternates != expected:
            problems.append(f"/{rel}: hreflang alternates {page.alternates}, expected {expected}")
        problems += [
            f"/{rel}: alternate {href} does not exist"
            for href in page.alternates.values()
            if site.target(href) is None
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_every_page_has_its_own_meta_description(built_site: BuiltSite) -> None:
    """Search engines show it under the title: each page describes itself (`description:` in its
    front matter) instead of falling back to the site-wide description."""
    site_wide = {
        m.group(1).strip()
        for config in ("mkdocs.yml", "mkdocs.en.yml")
        if (m := re.search(r"^site_description: (.+)$", (REPO / config).read_text("utf-8"), re.M))
    }
    site = SiteFiles(built_site.root, built_site.url)
    problems = []
    for file in sorted(built_site.root.rglob("*.html")):
        rel = file.relative_to(built_site.root).as_posix()
        description = site.parse(file).description
        if not description:
            problems.append(f"/{rel}: no meta description")
        elif description in site_wide and not rel.endswith("404.html"):
            problems.append(f"/{rel}: only the site-wide description (no description: of its own)")
    assert not problems, "\n".join(problems)
