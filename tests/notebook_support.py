"""What the notebook tests share: the chapters, and reading a generated notebook's cells."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild.catalog import example_files, expected_output
from asyncio_notes.sitebuild.chapter_source import NOTEBOOK_NAME
from asyncio_notes.sitebuild.notebooks import METADATA_KEY

CHAPTERS = sorted({e.parent.name for e in example_files()})
CJK = re.compile(r"[\u4e00-\u9fff]")


def load(notebooks: dict[str, Path], lang: str, chapter: str) -> nbformat.NotebookNode:
    """A generated notebook; `notebooks` is the fixture of that name (tests/conftest.py)."""
    return nbformat.read(notebooks[lang] / chapter / NOTEBOOK_NAME, as_version=4)


def example_of(cell: nbformat.NotebookNode) -> Path | None:
    name = cell.metadata.get(METADATA_KEY, {}).get("example")
    return REPO / name if name else None


def checked_output(example: Path) -> str:
    return "".join(f"{e.text}\n" for e in expected_output(example))
