"""The snippet a page includes to show one example: its Code, Output, Timeline and Step through
tabs.

A page shows an example with one line, `--8<-- "build/generated/chNN/NAME/tabs.LANG.md"`
(or `code-output.LANG.md`: Code and Output only). The snippet holds the tab labels in the page's
language and nested includes of the example file and of its generated output and timeline.
The Step through tab holds the step log as text (out of the search index), which the stepper
replaces once the tab is opened (runner-on-demand.js imports stepper.mjs, which fetches the
example's steps.json).
"""

from __future__ import annotations

import re
from pathlib import Path

from asyncio_notes.paths import GENERATED_DIR, REPO
from asyncio_notes.sitebuild.lock import replace_text

LABELS = {
    "zh": {"code": "代码", "output": "输出", "timeline": "时间线", "steps": "逐步执行"},
    "en": {"code": "Code", "output": "Output", "timeline": "Timeline", "steps": "Step through"},
}
KINDS = {"tabs": True, "code-output": False}  # snippet name -> with a Timeline tab
# 'build/generated/ch02/NAME/tabs.zh.md' -> chapter, example name, kind, language
_TARGET = re.compile(
    r"^build/generated/(?P<chapter>ch\d\d)/(?P<name>[A-Za-z0-9_]+)/"
    r"(?P<kind>tabs|code-output)\.(?P<lang>[a-z]{2})\.md$"
)


def _tab(label: str, *body: str) -> str:
    """A content tab (pymdownx.tabbed) whose body lines are indented under its label."""
    return f'=== "{label}"\n\n' + "".join(f"    {line}\n" for line in body)


def _inc(target: str) -> str:
    return f'--8<-- "{target}"'


def tabs_target(example: str, lang: str, *, timeline: bool = True) -> str:
    """What a page includes for `examples/chNN/NAME.py`: build/generated/chNN/NAME/tabs.LANG.md."""
    path = Path(example)
    kind = "tabs" if timeline else "code-output"
    return f"build/generated/{path.parent.name}/{path.stem}/{kind}.{lang}.md"


def fence_for(text: str) -> str:
    """A fence no line of `text` can close: longer than its longest run of backticks."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _fence(path: Path) -> str:
    return fence_for(path.read_text(encoding="utf-8", errors="replace") if path.is_file() else "")


def tabs_snippet(target: str, root: Path = REPO) -> str | None:
    """The Markdown of a generated tabs snippet (None when `target` names none). Its fences are
    longer than any backtick run in the example and its output (read from `root`), so neither
    can close its block and publish what follows as the page's HTML."""
    match = _TARGET.match(target)
    if not match or match.group("lang") not in LABELS:
        return None
    chapter, name = match.group("chapter"), match.group("name")
    label = LABELS[match.group("lang")]
    example = f"examples/{chapter}/{name}.py"
    generated = f"build/generated/{chapter}/{name}"
    output = f"{generated}/output.txt"
    code_fence, output_fence = _fence(root / example), _fence(root / output)
    parts = [
        _tab(label["code"], f'{code_fence}python title="{example}"', _inc(example), code_fence),
        _tab(label["output"], f"{output_fence}console", _inc(output), output_fence),
    ]
    if KINDS[match.group("kind")]:
        parts.append(_tab(label["timeline"], _inc(f"{generated}/timeline.md")))
        log = f"{generated}/{match.group('lang')}/steps.txt"  # source lines, printed text
        log_fence = _fence(root / log)
        parts.append(
            _tab(
                label["steps"],
                f'<div class="stepper" data-example="{example}" data-search-exclude markdown>',
                "",
                f"{log_fence}text",
                _inc(log),
                log_fence,
                "",
                "</div>",
            )
        )
    return "\n".join(parts)


def write_tabs(example: Path) -> None:
    """Write every tabs snippet of one example (unchanged files are left alone)."""
    rel = example.resolve().relative_to(REPO).as_posix()
    for lang in LABELS:
        for timeline in KINDS.values():
            target = tabs_target(rel, lang, timeline=timeline)
            text = tabs_snippet(target)
            out = REPO / target
            assert text is not None and out.is_relative_to(GENERATED_DIR)
            if not out.exists() or out.read_text(encoding="utf-8") != text:
                out.parent.mkdir(parents=True, exist_ok=True)
                replace_text(out, text)
