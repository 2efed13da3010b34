"""A chapter's pages as the notebook reads them: which pages, in what order, and for each its
title, sections (heading, first paragraph, the examples it includes) and links that still work
from the notebook page. Read with markdown_source (markdown-it-py).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from asyncio_notes.sitebuild import markdown_source as md
from asyncio_notes.sitebuild.catalog import HELPER_MODULES, relative

NOTEBOOK_NAME = "notebook.ipynb"  # chNN/notebook.ipynb -> page chNN/notebook/ in both languages


class NotebookError(RuntimeError):
    """A chapter page or example could not be turned into a notebook."""


_LISTS = ("bullet_list", "ordered_list")
_PROSE = ("paragraph", "blockquote", *_LISTS)
# Paragraphs to markdown-it that are extension syntax, not prose: a snippet include, an attribute
# list, an abbreviation or footnote definition, a fenced div, display maths.
_NOT_PROSE = ("--8<--", "{", "*[", "[^", ":::", "$$")


@dataclass
class Section:
    level: int
    title: str
    id: str | None
    paragraph: str = ""
    examples: list[str] = field(default_factory=list)  # repository-relative paths


@dataclass
class ChapterPage:
    title: str
    id: str | None
    intro: str
    sections: list[Section]
    intro_examples: list[str] = field(default_factory=list)  # included before the first H2

    @property
    def examples(self) -> list[str]:
        return self.intro_examples + [e for s in self.sections for e in s.examples]


def _examples_in(block: md.TopBlock, lines: dict[int, md.Line]) -> list[str]:
    """The whole example files (not sections, not helpers) a block includes, in order."""
    found = []
    for number in range(block.first, block.last + 1):
        for target in md.expand(md.snippet(lines[number]) or ""):
            whole = target.startswith("examples/") and ":" not in target  # not a section
            if whole and posixpath.basename(target) not in HELPER_MODULES:
                found.append(target)
    return found


def parse_page(text: str) -> ChapterPage:
    """Headings, the first paragraph after each, and the example includes, in page order.

    The H1 and the paragraph under it are the page's title and intro; examples included before
    the first H2 are its `intro_examples` (a section page shows them under its title). The first
    prose block after a heading is its paragraph; when it ends with a colon, the list it
    introduces comes with it.
    """
    title, title_id, intro = "", None, ""
    intro_examples: list[str] = []
    sections: list[Section] = []
    current: Section | None = None  # None: before the first H2 (the H1's introduction)
    taken = False  # the current heading's paragraph is found
    lines = {line.number: line for line in md.lines(text)}
    for block in md.top_blocks(text):
        (intro_examples if current is None else current.examples).extend(_examples_in(block, lines))
        if block.heading:
            if block.heading.level == 1 and not title:
                title, title_id = block.heading.title, block.heading.id
            else:
                current = Section(block.heading.level, block.heading.title, block.heading.id)
                sections.append(current)
            taken = False
            continue
        paragraph = intro if current is None else current.paragraph
        if not taken and block.kind in _PROSE and not block.source.startswith(_NOT_PROSE):
            paragraph, taken = block.source, True
        elif taken and paragraph.endswith((":", "：")) and block.kind in _LISTS:
            paragraph = f"{paragraph}\n\n{block.source}"
        else:
            continue
        if current is None:
            intro = paragraph
        else:
            current.paragraph = paragraph
    if not title:
        raise NotebookError("the page has no '# title' heading")
    return ChapterPage(title, title_id, intro, sections, intro_examples)


def notebook_url(page_src: str) -> str:
    """Directory URL of a chapter's notebook page: ch02/index.md -> ch02/notebook/."""
    return posixpath.join(posixpath.dirname(page_src), NOTEBOOK_NAME.removesuffix(".ipynb")) + "/"


def page_url(src: str) -> str:
    """The directory URL MkDocs gives a Markdown file (use_directory_urls): a/index.md -> a/."""
    stem = src.removesuffix(".md")
    if posixpath.basename(stem) in ("index", "README"):
        stem = posixpath.dirname(stem)
    return f"{stem}/" if stem else ""


_LINK = re.compile(r"(?P<prefix>\]\()(?P<target>[^)\s]+)(?P<suffix>(?:\s+\"[^\"]*\")?\))")


def rewrite_links(markdown: str, page_src: str, site_url: str | None = None) -> str:
    """Make the page's relative links work from the notebook page (chNN/notebook/), or, given
    the site's address, anywhere (a downloaded notebook): absolute links."""
    here = notebook_url(page_src)
    this_page = page_url(page_src)

    def fix(match: re.Match[str]) -> str:
        target = match.group("target")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
            return match.group(0)  # absolute URL or site-absolute path
        path, _, anchor = target.partition("#")
        if path:
            src = posixpath.normpath(posixpath.join(posixpath.dirname(page_src), path))
            url = page_url(src) if src.endswith(".md") else src
        else:
            url = this_page
        if site_url:
            rel = urljoin(site_url.rstrip("/") + "/", url)
        else:
            rel = posixpath.relpath(url or ".", here.rstrip("/") or ".")
            rel = "./" if rel == "." else rel + ("/" if url.endswith("/") else "")
        return (
            f"{match.group('prefix')}{rel}{'#' + anchor if anchor else ''}{match.group('suffix')}"
        )

    return _LINK.sub(fix, markdown)


# ---------------------------------------------------------------------------------------------
# A chapter's pages, in reading order


def chapter_pages(docs_dir: Path, chapter: str) -> list[str]:
    """The chapter's pages in reading order, as page_src: ['ch02/index.md', 'ch02/tasks.md', ...].

    index.md comes first, then the Markdown pages of the same directory that index.md links to
    (`[...](coroutines.md)` or `[...](coroutines.md#x)`), in the order of their first link. A
    chapter that is a single page is just ['chNN/index.md']. Every other `.md` file in the
    chapter's directory must be linked from index.md, or the notebook would silently leave out
    its examples: that, and a link to a page that does not exist, is a NotebookError.
    """
    directory = docs_dir / chapter
    index = directory / "index.md"
    linked: list[str] = []
    for link in md.links(index.read_text(encoding="utf-8")):
        target = link.href
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
            continue  # absolute URL or site-absolute path
        path = target.partition("#")[0]
        if not path.endswith(".md"):
            continue
        src = posixpath.normpath(posixpath.join(chapter, path))
        if posixpath.dirname(src) != chapter or src == f"{chapter}/index.md":
            continue  # another chapter's page, or the index itself
        if src not in linked:
            linked.append(src)
    missing = [src for src in linked if not (docs_dir / src).is_file()]
    if missing:
        names = ", ".join(relative(docs_dir / src) for src in missing)
        raise NotebookError(
            f"{relative(index)} links to {names}, which "
            f"{'does' if len(missing) == 1 else 'do'} not exist: fix the link or add the page"
        )
    unlinked = sorted(
        f"{chapter}/{path.name}"
        for path in directory.glob("*.md")
        if path.name != "index.md" and f"{chapter}/{path.name}" not in linked
    )
    if unlinked:
        files = ", ".join(relative(docs_dir / src) for src in unlinked)
        raise NotebookError(
            f"{files} {'is' if len(unlinked) == 1 else 'are'} not linked from {relative(index)}, "
            "so the chapter's notebook would leave out its examples: add "
            f"{'it' if len(unlinked) == 1 else 'them'} to the chapter's contents list in "
            "index.md (a link like [Title](page.md), in reading order)"
        )
    return [f"{chapter}/index.md", *linked]
