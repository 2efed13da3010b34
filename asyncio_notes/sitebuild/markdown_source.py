"""The structure of a docs Markdown page, read one way by every script that needs it.

parity.py (checks that name `file:line`) and notebooks.py (a chapter's notebook) both need to
know where the front matter ends, which lines are inside fenced code, the headings with their
`{ #id }`, and the `--8<--` snippet includes. Reading them in two places let the rules drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Indentation is not limited to CommonMark's three spaces: fences sit inside admonitions and
# content tabs, indented by four. A backtick fence's info string has no backtick (CommonMark).
_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*$")
_ATTR_LIST = re.compile(r"\s*\{:?\s*(?P<attrs>[^}]*)\}\s*$")
_ID = re.compile(r"(?:^|\s)#(?P<id>[A-Za-z0-9_-]+)")
# pymdownx.snippets: the whole line, target quoted; `;--8<--` is escaped and includes nothing.
_SNIPPET = re.compile(r"""^\s*-+8<-+\s+(?P<q>["'])(?P<target>[^"']+)(?P=q)\s*$""")
# A block of includes opens and closes with the marker alone on its line.
_BLOCK_MARKER = re.compile(r"^-+8<-+$")
_LOOKS_LIKE_SNIPPET = re.compile(r"^-+8<-+")
_SECTION = re.compile(r":[A-Za-z0-9_,:-]+$")  # 'util.py:delay' names a section of util.py


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, counted in the whole file (front matter included)
    text: str
    code: bool = False  # inside a fenced code block
    fence: bool = False  # the line that opens or closes one


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    text: str  # as written, attribute list included
    title: str  # without the attribute list
    id: str | None  # explicit `{ #id }`, or None


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence
    info: str  # what follows the opening fence, e.g. 'python title="a.py"'
    body: list[Line]

    @property
    def lang(self) -> str:
        match = re.match(r"\{?\s*\.?(?P<lang>[^\s{}]*)", self.info)
        return match.group("lang").lower() if match else ""


def _front_matter_end(lines: list[str]) -> int:
    """Index of the line after the front matter; 0 without (an unclosed `---` is not one)."""
    if not lines or lines[0].rstrip() != "---":
        return 0
    return next((i + 1 for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), 0)


def front_matter(text: str) -> list[str]:
    """The YAML lines between the `---` markers; empty when the page has none."""
    lines = text.splitlines()
    end = _front_matter_end(lines)
    return lines[1 : end - 1] if end else []


def _fence(text: str) -> tuple[str, str] | None:
    match = _FENCE.match(text)
    if not match or (match.group("fence")[0] == "`" and "`" in match.group("info")):
        return None
    return match.group("fence"), match.group("info").strip()


def lines(text: str) -> list[Line]:
    """The page's lines after its front matter, each marked as code, fence or neither.

    A block closes at a fence of the same character, at least as long, with no info string:
    so a ```` fence can show ``` lines, and "```python" inside a block does not end it.
    """
    source = text.splitlines()
    out: list[Line] = []
    opened: str | None = None
    for i in range(_front_matter_end(source), len(source)):
        fence = _fence(source[i])
        if opened is None and fence:
            opened = fence[0]
            out.append(Line(i + 1, source[i], fence=True))
        elif opened and fence and fence[0].startswith(opened) and not fence[1]:
            opened = None
            out.append(Line(i + 1, source[i], fence=True))
        else:
            out.append(Line(i + 1, source[i], code=opened is not None))
    return out


def code_blocks(text: str) -> list[Block]:
    """Every fenced block (not those shown inside another), with its body lines."""
    blocks: list[Block] = []
    inside = False
    for line in lines(text):
        if line.fence:
            if not inside:
                _, info = _fence(line.text) or ("", "")
                blocks.append(Block(line.number, info, []))
            inside = not inside
        elif line.code:
            blocks[-1].body.append(line)
    return blocks


def heading(line: Line) -> Heading | None:
    """The heading on a line outside code, with the id of its attribute list (the last wins,
    as in Python-Markdown's attr_list)."""
    match = None if line.code or line.fence else _HEADING.match(line.text)
    if not match:
        return None
    text = match.group("text")
    attrs = _ATTR_LIST.search(text)
    ids = _ID.findall(attrs.group("attrs")) if attrs else []
    title = text[: attrs.start()].strip() if attrs else text.strip()
    return Heading(line.number, len(match.group("hashes")), text, title, ids[-1] if ids else None)


def headings(text: str) -> list[Heading]:
    return [h for line in lines(text) if (h := heading(line))]


def snippet(line: Line) -> str | None:
    """The target a `--8<--` line includes, e.g. 'examples/ch02/util.py:delay'.

    Inside fences too: pymdownx.snippets runs before Markdown sees any fence.
    """
    match = _SNIPPET.match(line.text)
    return match.group("target") if match else None


@dataclass(frozen=True)
class Include:
    line: int
    target: str | None  # None: the line looks like an include but cannot be read as one
    text: str


def includes(text: str) -> list[Include]:
    """Every include of a page (or of an included file), in order: the one-line form, each
    file of a block (`--8<--` alone on the lines before and after the list), and any line that
    starts like an include but is neither (pymdownx.snippets may still read it as one)."""
    found: list[Include] = []
    in_block = False
    for line in _all_lines(text):
        stripped = line.text.strip()
        if _BLOCK_MARKER.match(stripped):
            in_block = not in_block
        elif in_block:
            if stripped and not stripped.startswith(";"):
                found.append(Include(line.number, stripped, line.text))
        elif (target := snippet(line)) is not None:
            found.append(Include(line.number, target, line.text))
        elif _LOOKS_LIKE_SNIPPET.match(stripped):
            found.append(Include(line.number, None, line.text))
    return found


def _all_lines(text: str) -> list[Line]:
    """`lines`, with the front matter too: pymdownx.snippets reads the whole file."""
    source = text.splitlines()
    body = lines(text)
    start = body[0].number - 1 if body else len(source)
    return [Line(i + 1, source[i]) for i in range(start)] + body


def snippets(text: str) -> list[tuple[int, str]]:
    """(line number, target) of every snippet include, in page order."""
    return [(i.line, i.target) for i in includes(text) if i.target is not None]


def split_target(target: str) -> tuple[str, str | None]:
    """'examples/ch02/util.py:delay' -> ('examples/ch02/util.py', 'delay'); lines ('x.py:1:3')
    and sections both follow the colon."""
    match = _SECTION.search(target)
    if not match:
        return target, None
    return target[: match.start()], match.group()[1:]


def include_path(target: str) -> str:
    """The file a snippet target names: 'examples/ch02/util.py:delay' -> '.../util.py'."""
    return split_target(target)[0]
