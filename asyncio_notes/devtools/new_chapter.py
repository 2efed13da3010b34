"""Scaffold a new chapter in both languages, with a first example whose output is really run.

    python -m asyncio_notes.devtools.new_chapter 03 "中文标题" "English title"

creates docs/zh/ch03/index.md and docs/en/ch03/index.md (description, H1 and one section, each
with an explicit id, the example shown as Code / Output / Timeline tabs), examples/ch03/hello.py,
and adds the chapter to `nav:` in mkdocs.yml and mkdocs.en.yml, in chapter order, as a section
shaped like chapter 2's: the chapter's title, holding ch03/index.md (which `navigation.indexes`
opens for the title) and, if the nav lists chapter notebooks, the chapter's notebook page. The
chapter's further pages (one per section, linked in reading order from a contents list in
index.md) are added to that section by hand. The `#>` output comments of hello.py are written
by running it under the virtual clock (`pytest tests/test_examples.py --update-examples`), never
typed in. What the new files say is in new_chapter_templates.py, the nav edit in
new_chapter_nav.py.

Every argument is checked before anything is written: a bad one is reported on stderr with exit
status 2 and nothing changes. If a step fails or is interrupted (Ctrl-C), everything written is
removed again and the configs are restored; SIGTERM does the same.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from asyncio_notes.paths import REPO

try:  # what new_chapter_nav.py needs
    import ruamel.yaml  # noqa: F401
    import yaml  # noqa: F401
except ImportError:  # a bare interpreter: re-run with the project's .venv (`make setup` makes it)
    _VENV_PYTHON = REPO / ".venv" / "bin" / "python"
    if _VENV_PYTHON.exists() and Path(sys.executable) != _VENV_PYTHON:
        os.execv(_VENV_PYTHON, [str(_VENV_PYTHON), "-m", __spec__.name, *sys.argv[1:]])
    print(
        "new_chapter.py: error: PyYAML or ruamel.yaml is missing; run `make setup` first",
        file=sys.stderr,
    )
    sys.exit(2)

from asyncio_notes.devtools.new_chapter_nav import UsageError, add_to_nav, nav_pages
from asyncio_notes.devtools.new_chapter_templates import (
    EXAMPLE,
    EXAMPLE_NAME,
    NOTEBOOK_TITLE,
    Chapter,
    page,
)
from asyncio_notes.sitebuild.catalog import expected_output

CONFIGS = {"zh": REPO / "mkdocs.yml", "en": REPO / "mkdocs.en.yml"}

_NOTEBOOK_PATH = re.compile(r"^ch\d{2}/notebook\.ipynb$")
_MARKUP = '<>&`[]\\"'  # and a double quote: the title also reaches HTML attributes


# --- checking the arguments -------------------------------------------------------------------


def _check_number(raw: str) -> str:
    # [0-9], not \d: \d also matches other scripts' digits, such as the full-width ０３.
    if not re.fullmatch(r"[0-9]{2}", raw) or raw == "00":
        raise UsageError(
            f"chapter number {raw!r} is malformed: give two digits from 01 to 99, such as 03"
        )
    return raw


def _check_title(raw: str, which: str) -> str:
    title = raw.strip()
    if not title:
        raise UsageError(f"the {which} title is empty: give the chapter's title in {which}")
    if any(ord(c) < 32 or c in "{}" for c in title):
        raise UsageError(
            f"the {which} title {raw!r} contains a line break, a control character or a brace; "
            "give it on one line, without { or }"
        )
    # The title reaches the nav and the H1 as written: markup there would be the page's HTML.
    if found := sorted(set(title) & set(_MARKUP)):
        raise UsageError(
            f"the {which} title {raw!r} contains {' '.join(found)}, which the nav and the page "
            f"would read as HTML or Markdown; write it in plain words, without any of "
            f"{' '.join(_MARKUP)}"
        )
    return title


def _runner() -> str:
    """An interpreter that has pytest-examples: this one, or the project's .venv."""
    if importlib.util.find_spec("pytest_examples") is not None:
        return sys.executable
    venv = REPO / ".venv" / "bin" / "python"
    if venv.exists():
        return str(venv)
    raise UsageError(
        "the project's dependencies are not installed (pytest-examples runs the example): "
        "run `make setup` first, then python -m asyncio_notes.devtools.new_chapter ..."
    )


# --- writing it, all or nothing -------------------------------------------------------------------


@dataclass
class Plan:
    chapter: Chapter
    files: dict[Path, str]  # new files
    configs: dict[Path, tuple[str, str]]  # config: (old text, new text)
    python: str


def plan(num: str, zh_title: str, en_title: str) -> Plan:
    """Check everything and compute every change, writing nothing."""
    chapter = Chapter(
        _check_number(num), _check_title(zh_title, "Chinese"), _check_title(en_title, "English")
    )
    dirs = [REPO / "docs" / lang / chapter.dir for lang in ("zh", "en")]
    dirs.append(REPO / "examples" / chapter.dir)
    existing = [d.relative_to(REPO).as_posix() for d in dirs if d.exists()]
    old_texts = {config: config.read_text(encoding="utf-8") for config in CONFIGS.values()}
    for config, old in old_texts.items():
        if any(p.startswith(f"{chapter.dir}/") for _, _, p in nav_pages(old)):
            existing.append(f"the nav of {config.name}")
    if existing:
        raise UsageError(f"chapter {chapter.num} already exists: {', '.join(existing)}")
    titles = {"zh": chapter.zh_heading, "en": chapter.en_heading}
    configs = {}
    for lang, config in CONFIGS.items():
        old = old_texts[config]
        pages: list[tuple[str | None, str]] = [(None, f"{chapter.dir}/index.md")]
        if any(_NOTEBOOK_PATH.match(p) for _, _, p in nav_pages(old)):
            # the site lists each chapter's notebook (sitebuild/notebooks.py makes one per chapter)
            pages.append(
                (NOTEBOOK_TITLE[lang].format(n=chapter.n), f"{chapter.dir}/notebook.ipynb")
            )
        configs[config] = (old, add_to_nav(old, titles[lang], pages, chapter.n, config))
    files = {d / "index.md": page(d.parent.name, chapter) for d in dirs[:2]}
    files[REPO / "examples" / chapter.dir / f"{EXAMPLE_NAME}.py"] = EXAMPLE
    return Plan(chapter, files, configs, _runner())


def _write(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: a file is either old or new, never half."""
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done (the undo must not stop half-way)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM undoes the scaffold as Ctrl-C does


def _undo(p: Plan, created: list[Path]) -> None:
    for directory in reversed(created):
        shutil.rmtree(directory, ignore_errors=True)
    for path in p.files:
        path.with_name(f".{path.name}.new").unlink(missing_ok=True)
    for config, (old, _) in p.configs.items():
        config.with_name(f".{config.name}.new").unlink(missing_ok=True)
        if config.read_text(encoding="utf-8") != old:
            _write(config, old)


def apply(p: Plan) -> None:
    """Write the plan and run the example; on any failure or Ctrl-C, put everything back."""
    created: list[Path] = []
    try:
        for path, text in p.files.items():
            path.parent.mkdir(parents=True)
            created.append(path.parent)
            _write(path, text)
        for config, (_, new) in p.configs.items():
            _write(config, new)
        _run_example(p)
    except BaseException:
        with _no_interrupts():
            _undo(p, created)
        raise


def _run_example(p: Plan) -> None:
    example = REPO / "examples" / p.chapter.dir / f"{EXAMPLE_NAME}.py"
    proc = subprocess.run(
        [
            p.python,
            "-m",
            "pytest",
            "tests/test_examples.py",
            "--update-examples",
            "-k",
            f"test_example_output and {p.chapter.dir}",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not expected_output(example):
        raise RuntimeError(
            f"running {example.relative_to(REPO)} under the virtual clock failed, so nothing "
            f"was kept:\n{proc.stdout}{proc.stderr}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Scaffold a chapter in both languages with a first, really-run example.",
        epilog='example: python -m asyncio_notes.devtools.new_chapter 03 "任务与超时" "Tasks"',
    )
    parser.add_argument("number", help="two digits, 01-99, e.g. 03")
    parser.add_argument("zh_title", help="the chapter's title in Chinese")
    parser.add_argument("en_title", help="the chapter's title in English")
    args = parser.parse_args(argv)
    try:
        p = plan(args.number, args.zh_title, args.en_title)
    except UsageError as exc:
        print(f"new_chapter.py: error: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminated)
    try:
        apply(p)
    except RuntimeError as exc:
        print(f"new_chapter.py: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("new_chapter.py: interrupted; nothing was kept", file=sys.stderr)
        return 130
    for path in p.files:
        print(f"created {path.relative_to(REPO)}")
    for config, (old, new) in p.configs.items():
        section = [e for e in nav_pages(new) if e not in nav_pages(old)]
        pages = ", ".join(path for _, _, path in section)
        print(f"added the section {section[0][0][0]!r} ({pages}) to the nav of {config.name}")
    example = f"examples/{p.chapter.dir}/{EXAMPLE_NAME}.py"
    print(f"wrote the #> output comments of {example} from its run under the virtual clock")
    print(
        f"next: edit the pages and the example; give each further section a page in "
        f"docs/{{zh,en}}/{p.chapter.dir}/, linked from index.md and listed under the chapter in "
        "both navs; then `make serve` to preview and `make test`"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
