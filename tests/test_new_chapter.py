"""asyncio_notes/devtools/new_chapter.py, run in a copy of the repository.

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
import yaml

from asyncio_notes.devtools.new_chapter_nav import UsageError, add_to_nav
from asyncio_notes.devtools.new_chapter_nav import read_nav as _nav
from asyncio_notes.devtools.new_chapter_nav import walk as _walk
from asyncio_notes.paths import GENERATED_DIR, REPO
from tests.conftest import BuiltSite

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
    return run(repo, "-m", "asyncio_notes.devtools.new_chapter", *args)


def nav_of(config_text: str) -> list:
    return _nav(config_text)


def assert_only_added(old: str, new: str, lines: list[str], name: str = "") -> None:
    """`new` is `old` with just `lines` added, in one place, every other byte unchanged."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    at = next(
        (i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b),
        len(old_lines),
    )
    added = new_lines[at : at + len(lines)]
    assert [line.rstrip("\n") for line in added] == lines, f"{name}: added {added}"
    assert "".join(new_lines[:at] + new_lines[at + len(lines) :]) == old, f"{name} changed"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_repo(tmp_path / "repo")


@pytest.mark.slow
@pytest.mark.timeout(300)  # scaffolds, runs the examples and builds both languages of a copy
def test_scaffolded_chapter_builds_in_both_languages_and_follows_the_rules(
    repo: Path, built_site: BuiltSite
) -> None:
    # As in a contributor's checkout that has been built before: chapter 2's generated files and
    # rendered notebooks are there (complete once the run's shared build is done), so the copy's
    # build reruns and renders only chapter 3.
    shutil.copytree(GENERATED_DIR, repo / GENERATED_DIR.relative_to(REPO))
    rendered = REPO / ".cache" / "mkdocs-jupyter"
    if rendered.is_dir():
        shutil.copytree(rendered, repo / rendered.relative_to(REPO))
    before = {
        name: (repo / name).read_text(encoding="utf-8") for name in ("mkdocs.yml", "mkdocs.en.yml")
    }
    proc = scaffold(repo, "03", "任务与超时", "Tasks: and timeouts")  # the colon needs YAML quoting
    assert proc.returncode == 0, proc.stdout + proc.stderr

    example = repo / "examples" / "ch03" / "hello.py"
    assert example.read_text(encoding="utf-8").rstrip().endswith("#> finished in 2.0 s")
    sections = {
        "mkdocs.yml": ["  - 第 3 章 任务与超时:", "      - ch03/index.md"],
        "mkdocs.en.yml": ['  - "Chapter 3: Tasks: and timeouts":', "      - ch03/index.md"],
    }
    notebooks = {
        "mkdocs.yml": "      - 第 3 章 Notebook: ch03/notebook.ipynb",
        "mkdocs.en.yml": "      - Chapter 3 notebook: ch03/notebook.ipynb",
    }
    for name, old in before.items():
        new = (repo / name).read_text(encoding="utf-8")
        old_nav, new_nav = nav_of(old), nav_of(new)
        # chapter 3's section, as chapter 2's is: the index page, and its notebook if 2 lists one
        expected = sections[name]
        if any(path == "ch02/notebook.ipynb" for _, _, path in _walk(old_nav)):
            expected = [*expected, notebooks[name]]
        assert_only_added(old, new, expected, name)
        last_ch02 = max(
            k for k, item in enumerate(old_nav) if any("ch02/" in e[2] for e in _walk([item]))
        )
        section = yaml.safe_load("\n".join(expected))
        assert new_nav == [*old_nav[: last_ch02 + 1], *section, *old_nav[last_ch02 + 1 :]], (
            f"{name}: chapter 3's section does not directly follow chapter 2's in the nav"
        )

    # Right after scaffolding, what `make test` checks holds: the example's output (chapter 3's:
    # chapter 2's are checked by the suite itself), the parity rules, a strict build of both.
    proc = run(
        repo, "-m", "pytest", "tests/test_examples.py", "-q", "-p", "no:cacheprovider", "-k", "ch03"
    )
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout + proc.stderr
    proc = run(repo, "-m", "asyncio_notes.sitebuild.parity")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run(repo, "-m", "asyncio_notes.devtools.build")  # what `make build` runs
    assert proc.returncode == 0, f"build:\n{proc.stdout}{proc.stderr}"
    warnings = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("WARNING")]
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
    "markup in a title": (("03", "<script>alert(1)</script>", "Tasks"), "contains < >"),
    "a link in a title": (("03", "中文标题", "[x](javascript:alert(1))"), "contains [ ]"),
    "an entity in a title": (("03", "中文标题", "a &lt;b"), "contains &"),
    "a quote in a title": (("03", '中文"标题', "Tasks"), 'contains "'),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_change_nothing(repo: Path, case: str) -> None:
    args, message = BAD_ARGUMENTS[case]
    before = snapshot(repo)
    proc = scaffold(repo, *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr, proc.stderr
    assert snapshot(repo) == before, "a refused scaffold changed the tree"


# --- add_to_nav on its own ----------------------------------------------------------------------

NESTED_NAV = """\
site_url: !ENV [SITE_URL, "http://127.0.0.1:8000/"]
nav:
    - Home: index.md  # the home page
    - "Chapter 2: basics":
        - ch02/index.md
        - ch02/tasks.md
        # more sections to come
        - Chapter 2 notebook: ch02/notebook.ipynb
    # chapter 4 goes here
    - Chapter 4:
        - ch04/index.md
    - Trace: trace.md

theme:
  slugify: !!python/object/apply:pymdownx.slugs.slugify
"""
CH03 = [(None, "ch03/index.md"), ("Chapter 3 notebook", "ch03/notebook.ipynb")]


@pytest.mark.parametrize(
    ("num", "after"),
    [
        (3, "        # more sections to come\n        - Chapter 2 notebook: ch02/notebook.ipynb\n"),
        (1, "    - Home: index.md  # the home page\n"),
        (5, "        - ch04/index.md\n"),
    ],
    ids=["between chapters", "before the first chapter", "after the last chapter"],
)
def test_add_to_nav_adds_a_section_after_the_previous_chapters_whole_block(
    num: int, after: str
) -> None:
    index, notebook = f"ch{num:02}/index.md", f"ch{num:02}/notebook.ipynb"
    pages = [(None, index), (f"Chapter {num} notebook", notebook)]
    new = add_to_nav(NESTED_NAV, f"Chapter {num}: x", pages, num, Path("mkdocs.yml"))
    section = [
        f'    - "Chapter {num}: x":',
        f"        - {index}",
        f"        - Chapter {num} notebook: {notebook}",
    ]
    assert_only_added(NESTED_NAV, new, section)
    assert new.index("\n".join(section)) == NESTED_NAV.index(after) + len(after)
    assert {f"Chapter {num}: x": [index, {f"Chapter {num} notebook": notebook}]} in nav_of(new)


def test_add_to_nav_understands_a_flat_nav() -> None:
    flat = (
        "nav:\n"
        "  - Home: index.md\n"
        "  - Chapter 2: ch02/index.md\n"
        "  - Chapter 2 notebook: ch02/notebook.ipynb\n"
        "  - Trace: trace.md\n"
    )
    new = add_to_nav(flat, "Chapter 3: x", CH03, 3, Path("mkdocs.yml"))
    section = [
        '  - "Chapter 3: x":',
        "      - ch03/index.md",
        "      - Chapter 3 notebook: ch03/notebook.ipynb",
    ]
    assert_only_added(flat, new, section)
    assert new.index(section[0]) == flat.index("  - Trace: trace.md")
    assert nav_of(new)[3] == {
        "Chapter 3: x": ["ch03/index.md", {"Chapter 3 notebook": "ch03/notebook.ipynb"}]
    }


def test_add_to_nav_adds_after_the_first_entry_when_there_is_no_chapter() -> None:
    text = "nav:\n- Home: index.md\n- About: about.md\n"
    new = add_to_nav(text, "Chapter 1", [(None, "ch01/index.md")], 1, Path("mkdocs.yml"))
    assert new == "nav:\n- Home: index.md\n- Chapter 1:\n    - ch01/index.md\n- About: about.md\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("site_name: x\n", "has no top-level `nav:`"),
        ("nav:\n\ntheme: {}\n", "has no `- title: page.md` entries"),
        (
            "nav:\n  - Home: index.md\n  - Part:\n      - ch02/index.md\n      - ch04/index.md\n",
            "holds chapters both below and above it",
        ),
    ],
    ids=["no nav", "empty nav", "a section spanning the new chapter"],
)
def test_add_to_nav_refuses_what_it_cannot_edit_safely(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        add_to_nav(text, "Chapter 3", [(None, "ch03/index.md")], 3, Path("mkdocs.yml"))


# --- nothing is left behind -------------------------------------------------------------------


@pytest.fixture
def small_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The parts of the repository that the scaffold reads and writes, in a copy."""
    from asyncio_notes.devtools import new_chapter

    root = tmp_path / "small"
    for name in ("docs", "examples"):
        shutil.copytree(REPO / name, root / name)
    for config in ("mkdocs.yml", "mkdocs.en.yml"):
        shutil.copy2(REPO / config, root / config)
    monkeypatch.setattr(new_chapter, "REPO", root)
    monkeypatch.setattr(
        new_chapter, "CONFIGS", {"zh": root / "mkdocs.yml", "en": root / "mkdocs.en.yml"}
    )
    return root


STEPS = ["mkdir 1", "write 1", "mkdir 2", "write 2", "mkdir 3", "write 3", "write 4", "write 5"]


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
@pytest.mark.parametrize("step", [*STEPS, "run"])
def test_a_failed_or_interrupted_scaffold_leaves_nothing_behind(
    small_repo: Path, monkeypatch: pytest.MonkeyPatch, step: str, failure: type
) -> None:
    from asyncio_notes.devtools import new_chapter

    before = snapshot(small_repo)
    calls = {"mkdir": 0, "write": 0}
    real_mkdir, real_write = Path.mkdir, new_chapter._write

    def counted(kind: str, real):
        def call(*args, **kwargs):
            calls[kind] += 1
            if step == f"{kind} {calls[kind]}":
                raise failure("injected")
            return real(*args, **kwargs)

        return call

    def run_example(p) -> None:
        assert calls == {"mkdir": 3, "write": 5}, "every step ran before the example"
        raise failure("injected")

    monkeypatch.setattr(Path, "mkdir", counted("mkdir", real_mkdir))
    monkeypatch.setattr(new_chapter, "_write", counted("write", real_write))
    monkeypatch.setattr(new_chapter, "_run_example", run_example)
    p = new_chapter.plan("03", "中文标题", "English title")
    with pytest.raises(failure):
        new_chapter.apply(p)
    monkeypatch.setattr(Path, "mkdir", real_mkdir)
    assert snapshot(small_repo) == before, f"a scaffold that failed at {step} left changes"
    assert not (small_repo / "examples" / "ch03").exists()


def test_full_width_digits_are_refused(small_repo: Path) -> None:
    from asyncio_notes.devtools import new_chapter

    with pytest.raises(UsageError, match="malformed"):
        new_chapter.plan("０３", "中文标题", "English title")


def test_sigterm_undoes_the_scaffold_as_ctrl_c_does(
    small_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import time

    from asyncio_notes.devtools import new_chapter

    before = snapshot(small_repo)

    def run_example(p) -> None:
        assert (small_repo / "examples" / "ch03" / "hello.py").exists()
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` while the example runs
        time.sleep(5)  # the handler interrupts this at once

    monkeypatch.setattr(new_chapter, "_run_example", run_example)
    old = signal.getsignal(signal.SIGTERM)
    try:
        assert new_chapter.main(["03", "中文标题", "English title"]) == 130
    finally:
        signal.signal(signal.SIGTERM, old)
    assert snapshot(small_repo) == before
