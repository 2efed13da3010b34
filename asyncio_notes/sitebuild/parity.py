"""Rules every page follows, checked from the Markdown sources (used by tests/test_parity.py).

- the Chinese and English sites have the same pages;
- each pair of pages has the same explicit heading ids and includes the same files, in order;
- pages include only files under examples/ and build/generated/ (includes.py);
- every example is included by both languages; no Python is pasted into Markdown;
- a chapter index's contents list names each page by its title.
Run `python -m asyncio_notes.sitebuild.parity` for a report.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild import markdown_source as md
from asyncio_notes.sitebuild.catalog import example_files, helper_files, relative
from asyncio_notes.sitebuild.includes import include_problems

DOCS = REPO / "docs"
LANGS = ("zh", "en")

_PYTHON_LANGS = {"py", "python", "python3", "py3", "pycon", "pyi"}
_PAGE_LINK = re.compile(r"^[^#\s/:]+\.md$")  # a page of the same chapter: "tasks.md"


@dataclass
class Page:
    lang: str
    path: Path  # relative to docs/<lang>
    text: str

    @property
    def name(self) -> str:
        return f"docs/{self.lang}/{self.path.as_posix()}"


def pages(lang: str) -> dict[Path, Page]:
    root = DOCS / lang
    return {
        p.relative_to(root): Page(lang, p.relative_to(root), p.read_text(encoding="utf-8"))
        for p in sorted(root.rglob("*.md"))
    }


def includes(page: Page) -> list[str]:
    """Snippet targets in order, e.g. 'examples/ch02/util.py:delay'. A language's own copy of a
    generated file (build/generated/legend/zh.md) counts as the same include in each language."""
    return [_same_in_every_language(target, page.lang) for _, target in md.snippets(page.text)]


def _included(page: Page) -> list[tuple[int, str]]:
    """(line, include) as includes() compares them: the legend is one include in both languages."""
    return [(line, _same_in_every_language(t, page.lang)) for line, t in md.snippets(page.text)]


def _same_in_every_language(target: str, lang: str) -> str:
    if not target.startswith("build/generated/"):
        return target
    parts = target.split("/")
    return "/".join(
        "<lang>" if p == lang else "<lang>.md" if p == f"{lang}.md" else p for p in parts
    )


def headings(page: Page) -> list[tuple[int, str, str | None]]:
    """(line, heading text, explicit id or None) for every Markdown heading outside code."""
    return [(h.line, h.text, h.id) for h in md.headings(page.text)]


def pasted_python(page: Page) -> list[int]:
    """Lines where a Python block starts whose body is not only snippet includes."""
    return [
        block.line
        for block in md.code_blocks(page.text)
        if block.lang in _PYTHON_LANGS
        and not all(md.snippet(line) for line in block.body if line.text.strip())
    ]


def _differences(
    zh: Page, zh_items: list[tuple[int, str]], en: Page, en_items: list[tuple[int, str]]
) -> str:
    """Where two (line, item) sequences part ways, each place named by file and line."""
    a, b = [item for _, item in zh_items], [item for _, item in en_items]
    places = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        only_zh = ", ".join(f"'{a[i]}' ({zh.name}:{zh_items[i][0]})" for i in range(i1, i2))
        only_en = ", ".join(f"'{b[j]}' ({en.name}:{en_items[j][0]})" for j in range(j1, j2))
        if tag == "replace":
            places.append(f"zh has {only_zh} where en has {only_en}")
        elif tag == "delete":
            places.append(f"only zh has {only_zh}")
        elif tag == "insert":
            places.append(f"only en has {only_en}")
    return "; ".join(places)


def description(page: Page) -> str | None:
    found = md.front_matter(page.text).get("description")
    return str(found).strip() if found else None


def contents_titles(index: Page, site: dict[Path, Page]) -> list[str]:
    """A chapter index's contents list must name each page by its title (its H1), so that the
    list, the nav (which shows the H1) and the page itself cannot tell readers different things."""
    found = []
    for link in md.links(index.text):
        target = link.href.partition("#")[0]
        if not link.in_list_item or not _PAGE_LINK.match(target):
            continue
        page = site.get(index.path.parent / target)
        if page is None:
            continue  # a missing page is reported by the notebook builder and MkDocs
        title = next((h.title for h in md.headings(page.text) if h.level == 1), None)
        if title is not None and link.text != title:
            found.append(
                f"{index.name}:{link.line}: the contents list calls {target} "
                f"'{link.text}' but its title is '{title}'; use the page's title"
            )
    return found


def problems() -> list[str]:
    """Every rule violation, as messages naming the page, line and what to do."""
    found: list[str] = []
    site = {lang: pages(lang) for lang in LANGS}
    for lang, other in (("zh", "en"), ("en", "zh")):
        for path in sorted(set(site[lang]) - set(site[other])):
            counterpart = f"docs/{other}/{path.as_posix()}"
            found.append(f"{site[lang][path].name}: no {other} counterpart; add {counterpart}")
    for path in sorted(set(site["zh"]) & set(site["en"])):
        zh, en = site["zh"][path], site["en"][path]
        for page in (zh, en):
            for lineno, text, hid in headings(page):
                if hid is None:
                    found.append(
                        f"{page.name}:{lineno}: heading '{text}' has no explicit id; "
                        "add one such as { #my-section } (the same in both languages)"
                    )
            for lineno in pasted_python(page):
                found.append(
                    f"{page.name}:{lineno}: Python pasted into Markdown; put it in examples/ "
                    f'and include it with --8<-- "examples/..."'
                )
            found += include_problems(page.name, page.text, generated=False)
            if not description(page):
                found.append(f"{page.name}: front matter has no 'description:'")
            if path.name == "index.md" and path.parent.name.startswith("ch"):
                found += contents_titles(page, site[page.lang])
        zh_ids = [(line, hid) for line, _, hid in headings(zh) if hid]
        en_ids = [(line, hid) for line, _, hid in headings(en) if hid]
        if [h for _, h in zh_ids] != [h for _, h in en_ids]:
            found.append(
                f"{zh.name} and {en.name}: heading ids differ: "
                + _differences(zh, zh_ids, en, en_ids)
            )
        if includes(zh) != includes(en):
            found.append(
                f"{zh.name} and {en.name}: included files differ (both must include the same "
                "files in the same order): " + _differences(zh, _included(zh), en, _included(en))
            )
    for lang in LANGS:
        included = {md.include_path(t) for page in site[lang].values() for t in includes(page)}
        for example in example_files():
            for f in (example, *helper_files(example)):
                if relative(f) not in included:
                    found.append(
                        f"{relative(f)} is not included by any {lang} page; "
                        f'include it with --8<-- "{relative(f)}" in docs/{lang}/'
                    )
    return sorted(set(found))


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    print(f"{len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
