"""The words on a timeline, and how wide they are drawn: shared by the layout, which reserves room
for them, and by the Mermaid and text renderers, which write them.

Labels are sanitized (`gantt_label`): Mermaid's gantt syntax cannot carry `:` `;` `#` or a leading
`%`, and the diagram source reaches the browser unescaped inside HTML (mermaid2's fence), so `<` `>`
`&` become look-alikes too. A print or section label longer than its limit is cut with "…"; the
renderers keep its whole text beside it. A print's limit is the room the chart has to its right
(`chars_within`), at least MAX_PRINT_CHARS; a row's title may take MAX_SECTION_PX.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

FONT_PX = 13  # Mermaid's default (11 px) is too small to read
MAX_PRINT_CHARS = 24
MAX_SECTION_CHARS = 24
MAX_SECTION_PX = 256  # a row's title may be this wide (the chart's left padding is 24 px more)
STEP_LABEL = "running"
READY_LABEL = "ready"
SPACER_LABEL = "·"

# A task line that starts with one of these words would be read as a gantt statement.
_STATEMENT = re.compile(
    r"(?i)^(?:gantt|dateformat|inclusiveenddates|topaxis|axisformat|tickinterval|includes|excludes"
    r"|todaymarker|weekday|weekend|title|acctitle|accdescr|accdescription|section|click|call|href)"
    r"(?!\w)|^\d{4}-\d{2}-\d{2}"
)
_LOOK_ALIKES = str.maketrans(
    {":": "∶", ";": "\u037e", "#": "♯", "%": "％", "<": "‹", ">": "›", "&": "＆"}
)
_ZERO_WIDTH_SPACE = "\u200b"


def gantt_label(text: object, max_chars: int | None = None) -> str:
    """One line of text that Mermaid's gantt parser and the HTML around it leave as it is."""
    line = " ".join(str(text).split())  # newlines and tabs end a gantt statement
    line = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in line).strip()
    if max_chars is not None and len(line) > max_chars:
        line = line[: max_chars - 1].rstrip() + "…"
    line = line.translate(_LOOK_ALIKES)
    if _STATEMENT.match(line):
        line = _ZERO_WIDTH_SPACE + line  # invisible, but no longer a keyword
    return line or SPACER_LABEL


def text_px(text: str, font_px: float = FONT_PX) -> float:
    """A generous estimate of the rendered width: wide (CJK) characters take a full em."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return font_px * (wide + 0.52 * (len(text) - wide))


def chars_within(text: object, px: float, at_least: int) -> int:
    """How many characters of `text` (sanitized) a label cut to fit `px` may keep, "…" included;
    never fewer than `at_least`."""
    line = gantt_label(text)
    if text_px(line) <= px:
        return len(line)
    n = at_least
    while n < len(line) and text_px(line[:n] + "…") <= px:
        n += 1
    return max(n, at_least)


def wait_label(on: object) -> str:
    """`sleep(3)` stays as it is; anything else is what the task awaits: `await Task-2`."""
    text = str(on)
    return text if text.startswith(("sleep(", "await ")) else f"await {text}"


def task_title(task: Mapping[str, Any]) -> str:
    """Task-N and the coroutine it runs: a section's title, in full."""
    return f"{task.get('name', '')} {task.get('coro') or ''}"
