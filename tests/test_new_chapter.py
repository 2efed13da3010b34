"""scripts/new_chapter.py, run in a copy of the repository.

A scaffolded chapter builds strictly in both languages and follows every parity rule; a bad
argument is refused with a clear message and exit status 2, and leaves the tree as it was.
"""

from __future__ import annotations

import hashlib
import html as html_module
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.catalog import REPO

# Never copied: environments, build output and caches (what .gitignore leaves out anyway).
_SKIP = {".git", "site", "build", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}
_SKIP_PREFIXES = (".venv", ".cache", ".lock-venv")


def _source_files() -> list[str]:
    """The repository's files as a contributor has them: tracked plus new, minus ignored."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
        return [f for f in out.decode().split("\0") if f and (REPO / f).is_file()]
    except (OSError, subprocess.CalledProcessError):  # no git, or not a clone
        return [
            p.relative_to(REPO).as_posix()
            for p in REPO.rglob("*")
            if p.is_file()
            and not any(part in _SKIP or part.startswith(_SKIP_PREFIXES) for part in p.parts)
        ]


def copy_repo(dest: Path) -> Path:
    for name in _source_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return dest


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_MKDOCS_2_WARNING": "1"},
    )


def scaffold(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(repo, "scripts/new_chapter.py", *args)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_repo(tmp_path / "repo")


@pytest.mark.slow
def test_scaffolded_chapter_builds_in_both_languages_and_follows_the_rules(repo: Path) -> None:
    before = {
        name: (repo / name).read_text(encoding="utf-8") for name in ("mkdocs.yml", "mkdocs.en.yml")
    }
    proc = scaffold(repo, "03", "任务与超时", "Tasks: and timeouts")  # the colon needs YAML quoting
    assert proc.returncode == 0, proc.stdout + proc.stderr

    example = repo / "examples" / "ch03" / "hello.py"
    assert example.read_text(encoding="utf-8").rstrip().endswith("#> finished in 2.0 s")
    for name, old in before.items():
        new = (repo / name).read_text(encoding="utf-8")
        added = [line for line in new.splitlines() if line not in old.splitlines()]
        assert [line for line in new.splitlines() if line not in added] == old.splitlines()
        block = new.split("\nnav:\n", 1)[1].split("\n\n", 1)[0]  # the nav, up to a blank line
        nav = [line.split(": ")[-1] for line in block.splitlines()]
        # chapter 3's entries, as chapter 2 has them: the page, and its notebook if 2 lists one
        expected = ["ch03/index.md"]
        if "ch02/notebook.ipynb" in nav:
            expected.append("ch03/notebook.ipynb")
        assert [line.split(": ")[-1] for line in added] == expected, added
        last_ch02 = max(i for i, p in enumerate(nav) if p.startswith("ch02/"))
        assert nav[last_ch02 + 1 : last_ch02 + 1 + len(expected)] == expected, (
            f"{name}: chapter 3 does not follow chapter 2 in the nav: {nav}"
        )
    assert '"Chapter 3: Tasks: and timeouts": ch03/index.md' in (repo / "mkdocs.en.yml").read_text(
        encoding="utf-8"
    )

    # Right after scaffolding, what `make test` checks holds: the example's output, the parity
    # rules, and a strict build of both languages.
    proc = run(repo, "-m", "pytest", "tests/test_examples.py", "-q", "-p", "no:cacheprovider")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run(repo, "scripts/parity.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for config in ("mkdocs.yml", "mkdocs.en.yml"):
        proc = run(repo, "-m", "mkdocs", "build", "--strict", "-f", config)
        assert proc.returncode == 0, f"mkdocs build -f {config}:\n{proc.stdout}{proc.stderr}"
        warnings = [
            ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("WARNING")
        ]
        assert not warnings, "\n".join(warnings)
    for page, heading in (
        ("site/ch03/index.html", "第 3 章 任务与超时"),
        ("site/en/ch03/index.html", "Chapter 3: Tasks: and timeouts"),
    ):
        html = (repo / page).read_text(encoding="utf-8")
        assert heading in html and 'id="tasks-and-timeouts"' in html, page
        assert (repo / page).with_name("notebook").joinpath("index.html").exists(), page
        text = html_module.unescape(re.sub(r"<[^>]+>", "", html))
        # the Output tab: the printed lines without the Code tab's `#>` in front of them
        assert "hello\nworld\nfinished in 2.0 s" in text, f"{page}: no Output tab"
        assert "gantt" in html, f"{page}: no Timeline tab"


BAD_ARGUMENTS = {
    "chapter exists": (("02", "中文标题", "English title"), "chapter 02 already exists"),
    "one digit": (("3", "中文标题", "English title"), "chapter number '3' is malformed"),
    "not a number": (("x1", "中文标题", "English title"), "chapter number 'x1' is malformed"),
    "three digits": (("100", "中文标题", "English title"), "chapter number '100' is malformed"),
    "empty Chinese title": (("03", "", "English title"), "the Chinese title is empty"),
    "blank English title": (("03", "中文标题", "  "), "the English title is empty"),
    "no English title": (("03", "中文标题"), "the following arguments are required: en_title"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_change_nothing(repo: Path, case: str) -> None:
    args, message = BAD_ARGUMENTS[case]
    before = snapshot(repo)
    proc = scaffold(repo, *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr, proc.stderr
    assert snapshot(repo) == before, "a refused scaffold changed the tree"
