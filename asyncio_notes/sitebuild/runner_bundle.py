"""What the in-page runner loads into Pyodide: the project's own Python (asyncio_notes.browser,
the engine, the renderers) and every example with its helpers, as one JSON file that the build
publishes at assets/runner/bundle.json (written here, added to the site by mkdocs_hooks.py).

Generated from the files themselves at build time, never kept in git, so the browser runs exactly
the code the build ran. runner-worker.mjs writes `package` into site-packages and `examples` into
its working directory, at the same relative paths as in the repository.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from asyncio_notes.paths import GENERATED_DIR, REPO
from asyncio_notes.sitebuild.catalog import chapter_dirs, example_files, relative

OUT_DIR = GENERATED_DIR / "runner"
SITE_PATH = "assets/runner/bundle.json"
# Modules the browser imports; sitebuild/ and devtools/ need MkDocs or a shell and stay out.
PACKAGE_PARTS = ("__init__.py", "browser.py", "engine", "render")

# What the browser cannot give: Pyodide has neither threads nor processes.
_NEEDS = {
    "threads": re.compile(r"\b(to_thread|run_in_executor|ThreadPoolExecutor|threading)\b"),
    "processes": re.compile(r"\b(ProcessPoolExecutor|multiprocessing|subprocess)\b"),
}


def browser_needs(source: str) -> dict[str, list[str]]:
    """{"threads": ["to_thread"], ...}: what the code uses that cannot run in the browser."""
    found = {}
    for kind, pattern in _NEEDS.items():
        names = sorted(set(pattern.findall(source)))
        if names:
            found[kind] = names
    return found


def _package_files() -> list[Path]:
    root = REPO / "asyncio_notes"
    files = []
    for part in PACKAGE_PARTS:
        path = root / part
        files += sorted(path.glob("*.py")) if path.is_dir() else [path]
    return files


def bundle() -> dict[str, object]:
    examples = {
        relative(path): path.read_text(encoding="utf-8")
        for chapter in chapter_dirs()
        for path in sorted(chapter.glob("*.py"))
    }
    needs = {}
    for path in example_files():
        found = browser_needs(path.read_text(encoding="utf-8"))
        if found:
            needs[relative(path)] = found
    return {
        "package": {relative(p): p.read_text(encoding="utf-8") for p in _package_files()},
        "examples": examples,
        "needs": needs,
    }


def write_bundle() -> dict[str, object]:
    """Write OUT_DIR/SITE_PATH (unchanged bytes are not rewritten); return the bundle."""
    data = bundle()
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    out = OUT_DIR / SITE_PATH
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return data
