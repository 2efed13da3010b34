"""Add a chapter's section to the `nav:` of mkdocs.yml or mkdocs.en.yml.

The nav is read with a round-trip YAML parser (ruamel.yaml: every entry's line, any tag), and the
section is added as lines, so the configs' comments and tags stay as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

_CHAPTER_PATH = re.compile(r"^ch(?P<num>\d{2})/")


class UsageError(Exception):
    """A bad argument or a config the scaffold cannot edit: reported with exit status 2, before
    anything is written."""


def _yaml_key(text: str) -> str:
    """`text` as a YAML mapping key: plain when MkDocs (PyYAML) reads it back the same, else
    double-quoted."""
    try:
        plain = yaml.safe_load(f"{text}: 0") == {text: 0}
    except yaml.YAMLError:
        plain = False
    return text if plain and text == text.strip() else json.dumps(text, ensure_ascii=False)


def load(text: str) -> CommentedMap:
    """The config, read by a round-trip YAML parser: any tag (!ENV, !!python/...) is kept, and
    every key and item knows its line and column."""
    data = YAML().load(text)
    return data if isinstance(data, CommentedMap) else CommentedMap()


def read_nav(text: str) -> list:
    """The `nav:` list as MkDocs will read it ([] when there is none)."""
    nav = load(text).get("nav")
    return nav if isinstance(nav, list) else []


NavEntry = tuple[tuple[str, ...], str | None, str]  # (enclosing section titles, title, path)


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


@dataclass(frozen=True)
class _NavLines:
    """Where the nav's top-level entries are in the config's lines."""

    nav: int  # the line of `nav:`
    starts: list[int]  # the line of each top-level entry's `-`
    end: int  # the line after the nav (the next top-level key's)
    top: int  # the entries' indentation
    child: str  # the indentation of a section's own entries

    def block_end(self, lines: list[str], k: int) -> int:
        """The line after top-level entry k's last line (its children and their comments)."""
        last = self.starts[k]
        stop = self.starts[k + 1] if k + 1 < len(self.starts) else self.end
        for i in range(self.starts[k] + 1, stop):
            stripped = lines[i].lstrip(" ")
            indent = len(lines[i]) - len(stripped)
            if stripped.strip() and (not stripped.startswith("#") or indent > self.top):
                last = i
        return last + 1


def _nav_lines(data: CommentedMap, lines: list[str], config: Path) -> _NavLines:
    nav = data.get("nav")
    if "nav" not in data or data.lc.key("nav")[1] != 0:
        raise UsageError(f"{config.name} has no top-level `nav:`; add one first")
    if not isinstance(nav, CommentedSeq) or not nav:
        raise UsageError(f"{config.name}: `nav:` has no `- title: page.md` entries to follow")
    starts = [nav.lc.item(i)[0] for i in range(len(nav))]
    keys = list(data)
    after = keys[keys.index("nav") + 1 :]
    end = data.lc.key(after[0])[0] if after else len(lines)
    top = len(lines[starts[0]]) - len(lines[starts[0]].lstrip(" "))
    child = " " * (top + 4)
    for item in nav:  # as the existing sections indent their entries
        if isinstance(item, CommentedMap) and isinstance(next(iter(item.values())), CommentedSeq):
            row = next(iter(item.values())).lc.item(0)[0]
            child = lines[row][: len(lines[row]) - len(lines[row].lstrip(" "))]
            break
    return _NavLines(data.lc.key("nav")[0], starts, end, top, child)


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


def add_to_nav(
    text: str, title: str, pages: list[tuple[str | None, str]], num: int, config: Path
) -> str:
    """`text` with a top-level nav section `- title:` holding `pages` ((title or None, path)),
    in chapter order (`_position`). Only lines are added; the rest of `text` stays byte for
    byte, and the result must read back as the old nav with just this section added."""
    lines = text.splitlines(keepends=True)
    data = load(text)
    where = _nav_lines(data, lines, config)
    nav = read_nav(text)
    k = _position(nav, num, config)
    at = where.block_end(lines, k - 1) if k > 0 else where.nav + 1
    new_lines = [f"{' ' * where.top}- {_yaml_key(title)}:\n"]
    for page_title, path in pages:
        entry = path if page_title is None else f"{_yaml_key(page_title)}: {path}"
        new_lines.append(f"{where.child}- {entry}\n")
    if not lines[at - 1].endswith("\n"):  # the nav ends the file without a newline
        new_lines[0] = "\n" + new_lines[0]
        new_lines[-1] = new_lines[-1].rstrip("\n")
    lines[at:at] = new_lines
    new = "".join(lines)
    section = [((title,), page_title, path) for page_title, path in pages]
    if nav_pages(new) != walk(nav[:k]) + section + walk(nav[k:]):
        raise UsageError(f"could not add {title!r} to the nav of {config.name} safely")
    return new
