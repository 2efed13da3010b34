"""The notebook page's HTML: trim what mkdocs-jupyter's nbconvert template adds that the site
does not want, and give headings the chapter pages' ids (the MkDocs hook calls this).

Parsed and changed with BeautifulSoup (html.parser), so no change depends on how nbconvert
happens to lay out its tags.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, Tag

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_THIRD_PARTY_IMPORT = re.compile(r"""import\s*\(?\s*["'{]|from\s+["']https?:""")


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    name: str  # plain text


def _third_party_script(script: Tag) -> bool:
    """A script that loads code from another host (src=, or an import() / import ... from URL)."""
    if script.has_attr("src") or "x-mathjax-config" in str(script.get("type", "")):
        return True
    return bool(_THIRD_PARTY_IMPORT.search(script.get_text()))


def _trim(soup: BeautifulSoup) -> None:
    # nbconvert's JupyterLab CSS (~590 KB a page, and a global `pre { ... }` rule): the site
    # links one small stylesheet for notebook pages instead.
    for tag in soup.find_all("style"):
        tag.decompose()
    # MathJax (cdnjs) and its configuration, the Mermaid loader (an import() from cdnjs); the
    # small copy-button script stays.
    for tag in soup.find_all("script"):
        if _third_party_script(tag):
            tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        if re.search("mathjax|mermaid", comment, re.I):
            comment.extract()
    # Code and output blocks scroll sideways: keyboard users must be able to focus them (axe
    # scrollable-region-focusable), as Material does for its own code blocks.
    for tag in soup.find_all("pre"):
        tag["tabindex"] = "0"
    # mkdocs-jupyter's template has a stray comma among the copy button's attributes.
    for tag in soup.find_all("clipboard-copy"):
        for name in [name for name in tag.attrs if name == "," or name.endswith(",")]:
            value = tag.attrs.pop(name)
            if name != ",":
                tag[name.rstrip(",")] = value


def _retitle(soup: BeautifulSoup) -> list[Heading]:
    """A markdown cell's id is its section's heading id (fixed by the builder): the first heading
    in the cell takes it, so `#async-await` works here as on the section page (nbconvert derives
    ids from the heading text, which for Chinese headings are empty)."""
    headings = []
    claimed: set[str] = set()
    for tag in soup.find_all(_HEADINGS):
        cell = tag.find_parent(id=re.compile(r"^cell-id="))
        owner = str(cell["id"]).removeprefix("cell-id=") if cell else None
        new_id = owner if owner and owner not in claimed else str(tag.get("id", ""))
        if owner:
            claimed.add(owner)
        tag["id"] = new_id
        anchors = tag.find_all("a", class_="anchor-link")
        for anchor in anchors:
            anchor.extract()
        name = tag.get_text().strip()
        for anchor in anchors:
            anchor["class"] = "headerlink"
            anchor["href"] = f"#{new_id}"
            tag.append(anchor)
        headings.append(Heading(int(tag.name[1]), new_id, name))
    return headings


def slim_notebook_html(content: str) -> tuple[str, list[Heading]]:
    """The lighter HTML, and its headings (for the page's table of contents)."""
    soup = BeautifulSoup(content, "html.parser")
    _trim(soup)
    headings = _retitle(soup)
    return str(soup), headings


def toc_tree(headings: list[Heading]) -> list[dict]:
    """Nest headings as MkDocs' table-of-contents tokens (level, id, name as HTML, children)."""
    root: list[dict] = []
    stack: list[dict] = []
    for h in headings:
        token = {"level": h.level, "id": h.id, "name": html.escape(h.name), "children": []}
        while stack and stack[-1]["level"] >= h.level:
            stack.pop()
        (stack[-1]["children"] if stack else root).append(token)
        stack.append(token)
    return root
