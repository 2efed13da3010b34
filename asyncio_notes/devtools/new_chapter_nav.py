"""Add a chapter's section to the `nav:` of mkdocs.yml or mkdocs.en.yml, as an edit of the YAML.

The config is read with ruamel.yaml's round-trip loader, the section goes into the nav's
sequence after the previous chapter's entry, and ruamel.yaml writes the document again. Its
settings reproduce the project's configs byte for byte: block sequences indented 4 with the dash
at 2, mappings 2, no line folding (`width`), quotes as written (`preserve_quotes`); comments and
tags (`!ENV`, `!!python/...`) are kept by the round trip; a comment that ruamel.yaml stores with
the entry before the new section but that stands at the nav's own indentation stays in front of
the entry it was written above. A config that ruamel.yaml would lay out differently (another
indentation, say) is not rewritten: only the lines ruamel.yaml added are carried into it, at its
nav's column. Either way no other byte changes, and the result must read back as the old nav with
just this section added, or it is refused.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

_CHAPTER_PATH = re.compile(r"^ch(?P<num>\d{2})/")

NavEntry = tuple[tuple[str, ...], str | None, str]  # (enclosing section titles, title, path)
Pages = list[tuple[str | None, str]]  # a section's pages: (title, or None for the page's H1; path)


class UsageError(Exception):
    """A bad argument or a config the scaffold cannot edit: reported with exit status 2, before
    anything is written."""


def _round_trip(sequence: int = 4, offset: int = 2) -> YAML:
    rt = YAML()  # round-trip: comments, tags, key order and flow style are kept
    rt.preserve_quotes = True
    rt.width = sys.maxsize  # never fold a long line (site_description is one)
    rt.indent(mapping=2, sequence=sequence, offset=offset)
    return rt


def load(text: str) -> CommentedMap:
    """The config, read by a round-trip YAML parser: any tag (!ENV, !!python/...) is kept, and
    every key and item knows its line and column."""
    data = _round_trip().load(text)
    return data if isinstance(data, CommentedMap) else CommentedMap()


def read_nav(text: str) -> list:
    """The `nav:` list as MkDocs will read it ([] when there is none)."""
    nav = load(text).get("nav")
    return nav if isinstance(nav, list) else []


def walk(items: list, sections: tuple[str, ...] = ()) -> list[NavEntry]:
    found: list[NavEntry] = []
    for item in items:
        if isinstance(item, str):  # `- ch02/index.md`: a page titled by its H1
            found.append((sections, None, item))
        elif isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str):
                    found.append((sections, str(title), value))
                elif isinstance(value, list):
                    found += walk(value, (*sections, str(title)))
    return found


def nav_pages(text: str) -> list[NavEntry]:
    """Every page of the nav, with the titles of the sections it is nested in, in nav order."""
    return walk(read_nav(text))


def _chapters(item: object) -> set[int]:
    """The chapters a top-level nav entry belongs to: those of its path or its children's."""
    entries = walk([item])
    return {int(m["num"]) for _, _, path in entries if (m := _CHAPTER_PATH.match(path))}


def _position(nav: list, num: int, config: Path) -> int:
    """Where chapter `num` goes among the nav's top-level entries: after the entries of the
    chapters below it, before those above it, or after the first entry when there is none."""
    chapters = [_chapters(item) for item in nav]
    before = [k for k, nums in enumerate(chapters) if any(n < num for n in nums)]
    after = [k for k, nums in enumerate(chapters) if any(n > num for n in nums)]
    if any(min(nums) < num < max(nums) for nums in chapters if nums):
        raise UsageError(
            f"{config.name}: chapter {num} would go inside a nav entry that holds chapters "
            "both below and above it; add it by hand"
        )
    if before:
        return max(before) + 1
    return min(after) if after else 1


def _top_level_nav(data: CommentedMap, config: Path) -> CommentedSeq:
    nav = data.get("nav")
    if "nav" not in data or data.lc.key("nav")[1] != 0:
        raise UsageError(f"{config.name} has no top-level `nav:`; add one first")
    if not isinstance(nav, CommentedSeq) or not nav:
        raise UsageError(f"{config.name}: `nav:` has no `- title: page.md` entries to follow")
    return nav


def _key(text: str) -> str:
    """`text` as a mapping key: plain when MkDocs (PyYAML, YAML 1.1: `yes` is a boolean there)
    reads it back the same, else double-quoted."""
    try:
        plain = yaml.safe_load(f"{text}: 0") == {text: 0}
    except yaml.YAMLError:
        plain = False
    return text if plain and text == text.strip() else DoubleQuotedScalarString(text)


def _section(title: str, pages: Pages) -> CommentedMap:
    items = CommentedSeq(
        path if page_title is None else CommentedMap([(_key(page_title), path)])
        for page_title, path in pages
    )
    return CommentedMap([(_key(title), items)])


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _section_indent(nav: CommentedSeq, lines: list[str]) -> tuple[int, int]:
    """(sequence, offset) for ruamel.yaml's indent(), as the nav's sections indent their pages
    relative to their title; 4 and 2 when no section says otherwise."""
    for item in nav:
        value = next(iter(item.values()), None) if isinstance(item, CommentedMap) else None
        if isinstance(value, CommentedSeq) and value:
            row, column = value.lc.item(0)
            sequence, offset = column - item.lc.col, _indent(lines[row]) - item.lc.col
            if 0 <= offset <= sequence - 2:
                return sequence, offset
    return 4, 2


def _last_leaf(node: CommentedMap | CommentedSeq, key: object) -> tuple[object, object]:
    """(collection, key) of the scalar that ends node[key]'s block: what follows the block in the
    file (comments, blank lines) is stored on it."""
    value = node[key]  # type: ignore[index]
    while isinstance(value, (CommentedMap, CommentedSeq)) and value:
        node, key = value, list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1
        value = node[key]  # type: ignore[index]
    return node, key


def _comment_slot(node: object, key: object) -> tuple[list, int]:
    """ruamel.yaml's comment list for node[key], and the index in it of what follows the item."""
    entry = node.ca.items.setdefault(key, [None, None, None, None])  # type: ignore[attr-defined]
    return entry, 2 if isinstance(node, CommentedMap) else 0


def _hand_over_comments(nav: CommentedSeq, k: int, column: int) -> None:
    """Entry k was just inserted. The blank lines and comments after entry k-1 at the nav's own
    indentation (`column` or less) belong to what follows it, so they now follow entry k; those
    indented under entry k-1 stay with it."""
    if k == 0:
        return
    entry, slot = _comment_slot(*_last_leaf(nav, k - 1))
    token = entry[slot]
    if not isinstance(token, CommentToken):
        return
    lines = token.value.split("\n")  # [0] ends the item's own line: "" or an end-of-line comment
    keep = max(
        i for i, line in enumerate(lines) if i == 0 or (line.strip() and _indent(line) > column)
    )
    if lines[keep + 1 :] == [""]:
        return  # nothing but comments indented under entry k-1
    token.value = "\n".join(lines[: keep + 1]) + "\n"
    entry[slot] = token if keep or lines[0] else None
    moved, moved_slot = _comment_slot(*_last_leaf(nav, k))
    moved[moved_slot] = CommentToken("\n" + "\n".join(lines[keep + 1 :]), CommentMark(0))


def _dump(rt: YAML, data: CommentedMap) -> str:
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


def _carry_over(old: str, before: str, after: str, column: int) -> str | None:
    """`old` with the lines that ruamel.yaml added in `after` (its writing of the edited config)
    to `before` (its writing of `old`), moved to `column`; None when the lines do not correspond.
    For the project's configs `before` is `old` and the result is `after`."""
    o, b, a = (t.splitlines(keepends=True) for t in (old, before, after))
    s = next((i for i, (x, y) in enumerate(zip(b, a, strict=False)) if x != y), len(b))
    n = len(a) - len(b)
    if n <= 0 or a[:s] + a[s + n :] != b or len(o) < s:
        return None
    if any(x.split() != y.split() for x, y in zip(o[:s], b[:s], strict=True)):
        return None  # ruamel.yaml wrote a line before the section otherwise (folded or joined)
    shift = column - _indent(a[s])
    if any(_indent(line) < -shift for line in a[s : s + n]):
        return None
    added = [" " * shift + line if shift >= 0 else line[-shift:] for line in a[s : s + n]]
    if s == len(o) and o and not o[-1].endswith("\n"):  # the nav ends the file without a newline
        added[0] = "\n" + added[0]
        added[-1] = added[-1].rstrip("\n")
    return "".join(o[:s] + added + o[s:])


def add_to_nav(text: str, title: str, pages: Pages, num: int, config: Path) -> str:
    """`text` with a top-level nav section `- title:` holding `pages` ((title or None, path)),
    in chapter order (`_position`). Only lines are added; the rest of `text` stays byte for
    byte, and the result must read back as the old nav with just this section added."""
    data = load(text)
    nav = _top_level_nav(data, config)
    k = _position(nav, num, config)
    expected = walk(nav[:k]) + [((title,), t, path) for t, path in pages] + walk(nav[k:])
    lines = text.splitlines()
    column = _indent(lines[nav.lc.item(0)[0]])  # the column of the nav's dashes
    rt = _round_trip(*_section_indent(nav, lines))
    before = _dump(rt, data)
    nav.insert(k, _section(title, pages))
    _hand_over_comments(nav, k, column)
    new = _carry_over(text, before, _dump(rt, data), column)
    if new is None or nav_pages(new) != expected:
        raise UsageError(f"could not add {title!r} to the nav of {config.name} safely")
    return new
