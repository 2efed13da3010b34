"""A page that includes a missing file fails the build, naming the page, the line and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asyncio_notes.paths import REPO

# MkDocs' own build with another docs_dir; its errors are logged, as the `mkdocs` command does.
BUILD_WITH_DOCS_DIR = """
import logging
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException

logging.basicConfig(level=logging.WARNING, format="%(levelname)s - %(message)s")
docs, site = sys.argv[1], sys.argv[2]
config = load_config("mkdocs.yml", docs_dir=docs, site_dir=site, nav=[{"Bad": "index.md"}])
try:
    build(config)
except MkDocsException as exc:
    sys.exit(f"build failed: {exc}")
"""


@pytest.mark.slow  # a MkDocs build
def test_missing_include_names_page_line_and_fix(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(
        "---\ndescription: x\n---\n# Bad { #bad }\n\n```python\n"
        '--8<-- "examples/ch02/no_such_example.py"\n```\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-c", BUILD_WITH_DOCS_DIR, str(docs), str(tmp_path / "site")],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "index.md:7: includes 'examples/ch02/no_such_example.py'" in proc.stderr, proc.stderr
    assert "create the file or correct the path" in proc.stderr
