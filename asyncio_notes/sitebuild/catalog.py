"""Where the examples are, and what output each one promises in its `#>` comments.

Examples live in `examples/chNN/*.py`. A module named `util.py` beside them holds helpers that
the examples import; it is shown on the site but is not an example of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from asyncio_notes.paths import EXAMPLES_DIR, REPO

HELPER_MODULES = frozenset({"util.py"})

# pytest-examples writes each printed line as `#> text` (`#>` alone for an empty line).
_OUTPUT_LINE = re.compile(r"^\s*#>(?: (?P<text>.*))?$")
# What the Output tab shows of stderr, one `#! text` line each, after the `#>` lines (written by
# `make update-examples` too). Never line 1, where `#!` is a shebang.
_STDERR_LINE = re.compile(r"^#!(?: (?P<text>.*))?$")


@dataclass(frozen=True)
class ExpectedLine:
    lineno: int  # 1-based line of the `#>` comment in the example file
    text: str


def chapter_dirs() -> list[Path]:
    return sorted(p for p in EXAMPLES_DIR.glob("ch[0-9][0-9]") if p.is_dir())


def example_files(chapter: str | None = None) -> list[Path]:
    """Every runnable example, sorted; helpers (util.py) excluded."""
    dirs = [EXAMPLES_DIR / chapter] if chapter else chapter_dirs()
    return sorted(p for d in dirs for p in d.glob("*.py") if p.name not in HELPER_MODULES)


def helper_files(example: Path) -> list[Path]:
    return sorted(
        example.parent / name for name in HELPER_MODULES if (example.parent / name).exists()
    )


def relative(path: Path) -> str:
    """Repository-relative POSIX path, as shown on pages and in error messages."""
    try:
        return path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        return path.as_posix()


def expected_output(path: Path) -> list[ExpectedLine]:
    """The `#>` transcript of an example, in file order (which is chronological, see tests)."""
    return _comments(path.read_text(encoding="utf-8"), _OUTPUT_LINE)


def expected_stderr(path: Path) -> list[ExpectedLine]:
    """The `#!` comments of an example: what its Output tab shows of its stderr."""
    return _comments(path.read_text(encoding="utf-8"), _STDERR_LINE)


def _comments(text: str, pattern: re.Pattern[str]) -> list[ExpectedLine]:
    found = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        match = pattern.match(line)
        if match and not (pattern is _STDERR_LINE and lineno == 1):
            found.append(ExpectedLine(lineno, match.group("text") or ""))
    return found


def with_stderr_comments(text: str, shown: list[str]) -> str:
    """The example's source with its `#!` comments replaced by `shown`, at its end."""
    kept = [
        line
        for lineno, line in enumerate(text.splitlines(), start=1)
        if lineno == 1 or not _STDERR_LINE.match(line)
    ]
    comments = [f"#! {line}".rstrip() if line else "#!" for line in shown]
    return "\n".join([*kept, *comments]) + "\n"
