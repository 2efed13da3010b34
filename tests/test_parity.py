"""The two languages stay in step, and no Python is pasted into Markdown (sitebuild/parity.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from asyncio_notes.sitebuild import parity


def test_docs_follow_every_rule() -> None:
    problems = parity.problems()
    assert not problems, "\n".join(problems)


@pytest.fixture
def docs_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(parity.DOCS, tmp_path / "docs")
    monkeypatch.setattr(parity, "DOCS", tmp_path / "docs")
    return tmp_path / "docs"


def _edit(path: Path, change: Callable[[str], str]) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


CHAPTER = Path("ch02/coroutines.md")  # holds the sequential section and async_await.py

BREAKAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "pasted python": (
        lambda d: _edit(d / "zh" / CHAPTER, lambda t: t + "\n```python\nprint('hi')\n```\n"),
        "Python pasted into Markdown",
    ),
    "page without counterpart": (
        lambda d: (d / "en" / "extra.md").write_text("---\ndescription: x\n---\n# X { #x }\n"),
        "no zh counterpart",
    ),
    "heading without id": (
        lambda d: _edit(d / "en" / CHAPTER, lambda t: t + "\n## Loose heading\n"),
        "has no explicit id",
    ),
    "heading ids differ": (
        lambda d: _edit(d / "zh" / CHAPTER, lambda t: t + "\n## 多出来的 { #only-in-zh }\n"),
        "heading ids differ: only zh has 'only-in-zh' (docs/zh/ch02/coroutines.md:",
    ),
    "heading id renamed": (
        lambda d: _edit(
            d / "en" / CHAPTER, lambda t: t.replace("{ #sequential }", "{ #sequence }")
        ),
        "zh has 'sequential' (docs/zh/ch02/coroutines.md:",
    ),
    "includes differ": (
        lambda d: _edit(
            d / "en" / CHAPTER,
            lambda t: t.replace('--8<-- "build/generated/ch02/awaiting_in_turn/tabs.en.md"', ""),
        ),
        "included files differ (both must include the same files in the same order): "
        "only zh has 'examples/ch02/awaiting_in_turn.py' (docs/zh/ch02/coroutines.md:",
    ),
    "example included by no page": (
        lambda d: [
            _edit(
                d / lang / CHAPTER,
                lambda t, lang=lang: t.replace(
                    f'--8<-- "build/generated/ch02/async_await/tabs.{lang}.md"', ""
                ),
            )
            for lang in ("zh", "en")
        ],
        "async_await.py is not included by any zh page",
    ),
    "contents list names a page differently": (
        lambda d: _edit(
            d / "zh" / "ch02" / "index.md",
            lambda t: t.replace("[任务](tasks.md)", "[任务们](tasks.md)"),
        ),
        "the contents list calls tasks.md '任务们' but its title is '任务'",
    ),
    "no description": (
        lambda d: _edit(d / "zh" / "index.md", lambda t: t.replace("description:", "summary:", 1)),
        "has no 'description:'",
    ),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_each_rule_catches_its_breakage(docs_copy: Path, name: str) -> None:
    breakage, message = BREAKAGES[name]
    breakage(docs_copy)
    problems = parity.problems()
    assert any(message in p for p in problems), f"{name!r} not reported; got {problems}"
