"""The structure of a docs Markdown page, read one way (markdown-it-py) by everything that needs it.

parity.py (checks that name `file:line`) and notebooks.py (a chapter's notebook) both need the
front matter, which lines are fenced code, the headings with their `{ #id }`, the blocks of prose,
the links and the `--8<--` snippet includes. markdown-it-py parses the page (CommonMark, tables,
front matter, admonitions, and Material's `=== "Tab"` content tabs, whose bodies are Markdown too).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.utils import is_code_block
from pymdownx.snippets import SnippetPreprocessor as _Snippets

from asyncio_notes.sitebuild.tabs import tabs_snippet

# Python-Markdown's attr_list at the end of a heading: `{ #id .class }` or `{: #id }`.
_ATTR_LIST = re.compile(r"\s*\{:?\s*(?P<attrs>[^}]*)\}\s*$")
_ID = re.compile(r"(?:^|\s)#(?P<id>[A-Za-z0-9_-]+)")
# pymdownx.snippets is a preprocessor: it reads whole lines, in code too, before any Markdown.
# The target is quoted; `;--8<--` is escaped and includes nothing.
_SNIPPET = re.compile(r"""^\s*-+8<-+\s+(?P<q>["'])(?P<target>[^"']+)(?P=q)\s*$""")
# Python-Markdown's own line breaks, before pymdownx.snippets reads the lines.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LOOKS_LIKE_SNIPPET = re.compile(r"^-+8<-+")
_SECTION = re.compile(r":[A-Za-z0-9_,:-]+$")  # 'util.py:delay' names a section of util.py
_TAB = re.compile(r'^===[+!]{0,2}\s+"[^"]*"\s*$')  # pymdownx.tabbed (alternate style)


def _tabbed(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A `=== "Label"` content tab: the lines indented under it are its body (pymdownx.tabbed)."""
    if is_code_block(state, start):
        return False
    first = state.bMarks[start] + state.tShift[start]
    if not _TAB.match(state.src[first : state.eMarks[start]]):
        return False
    if silent:
        return True
    body_indent = state.blkIndent + 4
    last = start + 1
    while last < end and (state.isEmpty(last) or state.sCount[last] >= body_indent):
        last += 1
    while last > start + 1 and state.isEmpty(last - 1):
        last -= 1
    saved = state.parentType, state.lineMax, state.blkIndent
    state.parentType, state.lineMax, state.blkIndent = "tab", last, body_indent
    token = state.push("tab_open", "div", 1)
    token.map = [start, last]
    token.info = state.src[first : state.eMarks[start]]
    state.md.block.tokenize(state, start + 1, last)
    state.push("tab_close", "div", -1)
    state.parentType, state.lineMax, state.blkIndent = saved
    state.line = last
    return True


_PARSER = MarkdownIt("commonmark").enable("table").use(front_matter_plugin).use(admon_plugin)
_PARSER.block.ruler.before("fence", "tabbed", _tabbed, {"alt": ["paragraph"]})


@functools.lru_cache(maxsize=64)
def tokens(text: str) -> tuple[Token, ...]:
    return tuple(_PARSER.parse(text))


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
    id: str | None  # explicit `{ #id }` (the last wins, as in attr_list), or None


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence
    info: str  # what follows the opening fence, e.g. 'python title="a.py"'
    body: list[Line]

    @property
    def lang(self) -> str:
        match = re.match(r"\{?\s*\.?(?P<lang>[^\s{}]*)", self.info)
        return match.group("lang").lower() if match else ""


@dataclass(frozen=True)
class TopBlock:
    """A block at the top level of the page: a heading, paragraph, list, fence, tab..."""

    kind: str  # the token type without `_open`: "heading", "paragraph", "bullet_list", ...
    first: int  # 1-based line numbers, inclusive
    last: int
    source: str  # the lines as written
    heading: Heading | None = None


@dataclass(frozen=True)
class Link:
    line: int
    href: str
    text: str
    in_list_item: bool  # the first thing in a list item: a contents-list entry


def front_matter(text: str) -> dict:
    """The page's YAML front matter; empty when it has none."""
    found = next((t for t in tokens(text) if t.type == "front_matter"), None)
    data = yaml.safe_load(found.content) if found else None
    return data if isinstance(data, dict) else {}


def _body_start(text: str) -> int:
    """0-based index of the first line after the front matter."""
    found = next((t for t in tokens(text) if t.type == "front_matter"), None)
    return found.map[1] if found and found.map else 0


def _fences(text: str) -> list[tuple[Token, bool]]:
    """Every fenced block, and whether it is closed (an unclosed one runs to its container end)."""
    source = text.splitlines()
    found = []
    for token in tokens(text):
        if token.type != "fence" or not token.map:
            continue
        start, end = token.map
        closing = source[end - 1].strip() if end - 1 > start else ""
        closed = bool(closing) and set(closing) == {token.markup[0]}
        found.append((token, closed and len(closing) >= len(token.markup)))
    return found


def lines(text: str) -> list[Line]:
    """The page's lines after its front matter, each marked as code, fence or neither."""
    source = text.splitlines()
    fence_lines: set[int] = set()
    code_lines: set[int] = set()
    for token, closed in _fences(text):
        start, end = token.map  # type: ignore[misc]
        fence_lines.add(start)
        if closed:
            fence_lines.add(end - 1)
        code_lines.update(range(start + 1, end - 1 if closed else end))
    return [
        Line(i + 1, source[i], code=i in code_lines, fence=i in fence_lines)
        for i in range(_body_start(text), len(source))
    ]


def code_blocks(text: str) -> list[Block]:
    """Every fenced block, with its body lines."""
    by_number = {line.number: line for line in lines(text)}
    return [
        Block(
            token.map[0] + 1,  # type: ignore[index]
            token.info.strip(),
            [by_number[n] for n in range(token.map[0] + 2, token.map[1] + (0 if closed else 1))],  # type: ignore[index]
        )
        for token, closed in _fences(text)
    ]


def _heading(open_token: Token, inline: Token) -> Heading:
    text = inline.content.strip()
    attrs = _ATTR_LIST.search(text)
    ids = _ID.findall(attrs.group("attrs")) if attrs else []
    title = text[: attrs.start()].strip() if attrs else text
    level = int(open_token.tag[1])
    return Heading(open_token.map[0] + 1, level, text, title, ids[-1] if ids else None)  # type: ignore[index]


def top_blocks(text: str) -> list[TopBlock]:
    """The page's top-level blocks in order (front matter left out)."""
    source = text.splitlines()
    found = []
    stream = tokens(text)
    for i, token in enumerate(stream):
        if token.level != 0 or token.nesting == -1 or not token.map or token.type == "front_matter":
            continue
        start, end = token.map
        while end > start + 1 and not source[end - 1].strip():
            end -= 1  # a list's map takes in the blank line after it
        kind = token.type.removesuffix("_open")
        heading = _heading(token, stream[i + 1]) if kind == "heading" else None
        found.append(TopBlock(kind, start + 1, end, "\n".join(source[start:end]), heading))
    return found


def headings(text: str) -> list[Heading]:
    """The page's headings (outside code, tabs and admonitions) with their explicit ids."""
    return [block.heading for block in top_blocks(text) if block.heading]


def links(text: str) -> list[Link]:
    """Every Markdown link outside code, in page order."""
    found = []
    in_item = False
    for token in tokens(text):
        if token.type == "list_item_open":
            in_item = True
        if token.type != "inline" or not token.children:
            continue
        for j, child in enumerate(token.children):
            if child.type != "link_open":
                continue
            label = []
            for inner in token.children[j + 1 :]:
                if inner.type == "link_close":
                    break
                label.append(inner.content)
            first = j == 0 and in_item
            href = str(child.attrs.get("href", ""))
            found.append(Link(token.map[0] + 1, href, "".join(label), first))  # type: ignore[index]
        in_item = False
    return found


def snippet(line: Line) -> str | None:
    """The target a `--8<--` line includes, e.g. 'examples/ch02/util.py:delay'."""
    match = _SNIPPET.match(line.text)
    return match.group("target") if match else None


@dataclass(frozen=True)
class Include:
    line: int
    target: str | None  # None: the line looks like an include but cannot be read as one
    text: str


def includes(text: str) -> list[Include]:
    """Every include of a page (or of an included file), in order, read line by line with
    pymdownx.snippets' own patterns and rules (its lines end at newlines only; only spaces and
    tabs may indent a marker): the one-line form, each file of a block (`--8<--` alone on the
    lines before and after the list), and any other line that starts like an include (refused:
    pymdownx may still read it as one)."""
    found: list[Include] = []
    in_block = False
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        match = _Snippets.RE_ALL_SNIPPETS.match(line)
        if match and match["escape"]:
            continue
        if match and match["inline_marker"]:
            if not in_block:  # pymdownx ignores the one-line form inside a block
                found.append(Include(number, match["snippet"][1:-1].strip(), line))
        elif match:
            in_block = not in_block
        elif in_block:
            path = line.strip()
            if path and not path.startswith(";"):
                found.append(Include(number, path, line))
        elif _LOOKS_LIKE_SNIPPET.match(line.strip()):
            found.append(Include(number, None, line))
    return found


def expand(target: str) -> list[str]:
    """The files an include brings in: a generated tabs snippet (sitebuild/tabs.py) stands for
    the includes it holds (the example, its output and timeline); any other target for itself."""
    nested = tabs_snippet(target)
    if nested is None:
        return [target]
    return [t for i in includes(nested) if i.target is not None for t in expand(i.target)]


def snippets(text: str) -> list[tuple[int, str]]:
    """(line number, target) of every file the page includes, in page order (`expand`)."""
    return [(i.line, t) for i in includes(text) if i.target is not None for t in expand(i.target)]


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
