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
typed in. The nav is read with a round-trip YAML parser (ruamel.yaml: every entry's line, any
tag), and the section is added as lines, so the configs' comments and tags stay as they are.

Every argument is checked before anything is written: a bad one is reported on stderr with exit
status 2 and nothing changes. If a step fails or is interrupted (Ctrl-C), everything written is
removed again and the configs are restored.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
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

try:
    import yaml
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
except ImportError:  # a bare interpreter: re-run with the project's .venv (`make setup` makes it)
    _VENV_PYTHON = REPO / ".venv" / "bin" / "python"
    if _VENV_PYTHON.exists() and Path(sys.executable) != _VENV_PYTHON:
        os.execv(_VENV_PYTHON, [str(_VENV_PYTHON), "-m", __spec__.name, *sys.argv[1:]])
    print(
        "new_chapter.py: error: PyYAML or ruamel.yaml is missing; run `make setup` first",
        file=sys.stderr,
    )
    sys.exit(2)

from asyncio_notes.sitebuild.catalog import expected_output

CONFIGS = {"zh": REPO / "mkdocs.yml", "en": REPO / "mkdocs.en.yml"}
EXAMPLE_NAME = "hello"
# Nav titles of a chapter's notebook page, as chapter 2's read.
NOTEBOOK_TITLE = {"zh": "第 {n} 章 Notebook", "en": "Chapter {n} notebook"}

_CHAPTER_PATH = re.compile(r"^ch(?P<num>\d{2})/")
_NOTEBOOK_PATH = re.compile(r"^ch\d{2}/notebook\.ipynb$")


class UsageError(Exception):
    """A bad argument: reported with exit status 2, before anything is written."""


@dataclass(frozen=True)
class Chapter:
    num: str  # "03"
    zh_title: str
    en_title: str

    @property
    def n(self) -> int:
        return int(self.num)

    @property
    def dir(self) -> str:
        return f"ch{self.num}"

    @property
    def zh_heading(self) -> str:
        return f"第 {self.n} 章 {self.zh_title}"

    @property
    def en_heading(self) -> str:
        return f"Chapter {self.n}: {self.en_title}"

    @property
    def anchor(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.en_title.lower()).strip("-")
        return slug or f"chapter-{self.num}"


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
    return title


def _yaml_key(text: str) -> str:
    """`text` as a YAML mapping key: plain when MkDocs (PyYAML) reads it back the same, else
    double-quoted."""
    try:
        plain = yaml.safe_load(f"{text}: 0") == {text: 0}
    except yaml.YAMLError:
        plain = False
    return text if plain and text == text.strip() else json.dumps(text, ensure_ascii=False)


def _load(text: str) -> CommentedMap:
    """The config, read by a round-trip YAML parser: any tag (!ENV, !!python/...) is kept, and
    every key and item knows its line and column."""
    data = YAML().load(text)
    return data if isinstance(data, CommentedMap) else CommentedMap()


def _nav(text: str) -> list:
    """The `nav:` list as MkDocs will read it ([] when there is none)."""
    nav = _load(text).get("nav")
    return nav if isinstance(nav, list) else []


NavEntry = tuple[tuple[str, ...], str | None, str]  # (enclosing section titles, title, path)


def _walk(items: list, sections: tuple[str, ...] = ()) -> list[NavEntry]:
    found: list[NavEntry] = []
    for item in items:
        if isinstance(item, str):  # `- ch02/index.md`: a page titled by its H1
            found.append((sections, None, item))
        elif isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str):
                    found.append((sections, str(title), value))
                elif isinstance(value, list):
                    found += _walk(value, (*sections, str(title)))
    return found


def _nav_paths(text: str) -> list[NavEntry]:
    """Every page of the nav, with the titles of the sections it is nested in, in nav order."""
    return _walk(_nav(text))


def _chapters(item: object) -> set[int]:
    """The chapters a top-level nav entry belongs to: those of its path or its children's."""
    entries = _walk([item])
    return {int(m["num"]) for _, _, path in entries if (m := _CHAPTER_PATH.match(path))}


@dataclass(frozen=True)
class _NavLines:
    """Where the nav's top-level entries are in the config's lines."""

    nav: int  # the line of `nav:`
    starts: list[int]  # the line of each top-level entry's `-`
    end: int  # the line after the nav (the next top-level key's)
    top: int  # the entries' indentation
    child: str  # the indentation of a section's own entries

    def block_end(self, lines: list[str], k: int) -> int:
        """The line after top-level entry k's last line (its children and their comments)."""
        last = self.starts[k]
        stop = self.starts[k + 1] if k + 1 < len(self.starts) else self.end
        for i in range(self.starts[k] + 1, stop):
            stripped = lines[i].lstrip(" ")
            indent = len(lines[i]) - len(stripped)
            if stripped.strip() and (not stripped.startswith("#") or indent > self.top):
                last = i
        return last + 1


def _nav_lines(data: CommentedMap, lines: list[str], config: Path) -> _NavLines:
    nav = data.get("nav")
    if "nav" not in data or data.lc.key("nav")[1] != 0:
        raise UsageError(f"{config.name} has no top-level `nav:`; add one first")
    if not isinstance(nav, CommentedSeq) or not nav:
        raise UsageError(f"{config.name}: `nav:` has no `- title: page.md` entries to follow")
    starts = [nav.lc.item(i)[0] for i in range(len(nav))]
    keys = list(data)
    after = keys[keys.index("nav") + 1 :]
    end = data.lc.key(after[0])[0] if after else len(lines)
    top = len(lines[starts[0]]) - len(lines[starts[0]].lstrip(" "))
    child = " " * (top + 4)
    for item in nav:  # as the existing sections indent their entries
        if isinstance(item, CommentedMap) and isinstance(next(iter(item.values())), CommentedSeq):
            row = next(iter(item.values())).lc.item(0)[0]
            child = lines[row][: len(lines[row]) - len(lines[row].lstrip(" "))]
            break
    return _NavLines(data.lc.key("nav")[0], starts, end, top, child)


def _position(nav: list, num: int, config: Path) -> int:
    """Where chapter `num` goes among the nav's top-level entries: after the entries of the
    chapters below it, before those above it, or after the first entry when there is none."""
    chapters = [_chapters(item) for item in nav]
    before = [k for k, nums in enumerate(chapters) if any(n < num for n in nums)]
    after = [k for k, nums in enumerate(chapters) if any(n > num for n in nums)]
    if any(min(nums) < num < max(nums) for nums in chapters if nums):
        raise UsageError(
            f"{config.name}: chapter {num} would go inside a nav entry that holds chapters "
            "both below and above it; add it by hand"
        )
    if before:
        return max(before) + 1
    return min(after) if after else 1


def add_to_nav(
    text: str, title: str, pages: list[tuple[str | None, str]], num: int, config: Path
) -> str:
    """`text` with a top-level nav section `- title:` holding `pages` ((title or None, path)),
    in chapter order (`_position`). Only lines are added; the rest of `text` stays byte for
    byte, and the result must read back as the old nav with just this section added."""
    lines = text.splitlines(keepends=True)
    data = _load(text)
    where = _nav_lines(data, lines, config)
    nav = _nav(text)
    k = _position(nav, num, config)
    at = where.block_end(lines, k - 1) if k > 0 else where.nav + 1
    new_lines = [f"{' ' * where.top}- {_yaml_key(title)}:\n"]
    for page_title, path in pages:
        entry = path if page_title is None else f"{_yaml_key(page_title)}: {path}"
        new_lines.append(f"{where.child}- {entry}\n")
    if not lines[at - 1].endswith("\n"):  # the nav ends the file without a newline
        new_lines[0] = "\n" + new_lines[0]
        new_lines[-1] = new_lines[-1].rstrip("\n")
    lines[at:at] = new_lines
    new = "".join(lines)
    section = [((title,), page_title, path) for page_title, path in pages]
    if _nav_paths(new) != _walk(nav[:k]) + section + _walk(nav[k:]):
        raise UsageError(f"could not add {title!r} to the nav of {config.name} safely")
    return new


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


# --- what gets written ------------------------------------------------------------------------

EXAMPLE = '''\
"""Two tasks sleep at the same time, so main takes 2 seconds, not 1 + 2 = 3."""

import asyncio
import time


async def say_after(delay: float, what: str) -> None:
    await asyncio.sleep(delay)
    print(what)


async def main() -> None:
    start = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        tg.create_task(say_after(1, "hello"), name="hello")
        tg.create_task(say_after(2, "world"), name="world")
    print(f"finished in {time.perf_counter() - start:.1f} s")


asyncio.run(main())
'''

PAGE = {
    "zh": """\
---
description: {description}
---

# {heading} {{ #{anchor} }}

<!-- 在这里写本章的导言：这一章讲什么，读完之后能做什么。 -->

<!-- 本章变长时，每一节写成本目录下的一个页面（两种语言文件名相同），在导言后面用一个列表按阅读顺序
链接它们，并在 mkdocs.yml 和 mkdocs.en.yml 的 nav 里把它们列在本章下面。 -->

本章的每个代码块都是仓库里一个能直接运行的文件。在仓库根目录下运行，例如：

```console
$ python {example}
```

## 第一个例子 {{ #first-example }}

两个任务同时等待：一个睡 1 秒，一个睡 2 秒，所以 `main` 一共用 2 秒，而不是 1 + 2 = 3 秒。

--8<-- "build/generated/{chapter}/{name}/tabs.zh.md"
""",
    "en": """\
---
description: {description}
---

# {heading} {{ #{anchor} }}

<!-- Introduce the chapter here: what it covers, and what the reader can do after it. -->

<!-- As the chapter grows, give each section a page of its own in this directory (the same file
name in both languages), link them in reading order from a contents list after the introduction,
and list them under the chapter in the nav of mkdocs.yml and mkdocs.en.yml. -->

Every code block in this chapter is a file in the repository that you can run as it is. Run the
examples from the repository root, for example:

```console
$ python {example}
```

## A first example {{ #first-example }}

Two tasks wait at the same time: one sleeps for 1 second, the other for 2, so `main` takes 2
seconds in all, not 1 + 2 = 3.

--8<-- "build/generated/{chapter}/{name}/tabs.en.md"
""",
}


def page(lang: str, chapter: Chapter) -> str:
    if lang == "zh":
        heading = chapter.zh_heading
        description = f"{heading}：从一个可以运行的 asyncio 例子开始。"
    else:
        heading = chapter.en_heading
        description = f"{heading}, starting from a runnable asyncio example."
    return PAGE[lang].format(
        description=json.dumps(description, ensure_ascii=False),
        heading=heading,
        anchor=chapter.anchor,
        example=f"examples/{chapter.dir}/{EXAMPLE_NAME}.py",
        chapter=chapter.dir,
        name=EXAMPLE_NAME,
    )


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
        if any(p.startswith(f"{chapter.dir}/") for _, _, p in _nav_paths(old)):
            existing.append(f"the nav of {config.name}")
    if existing:
        raise UsageError(f"chapter {chapter.num} already exists: {', '.join(existing)}")
    titles = {"zh": chapter.zh_heading, "en": chapter.en_heading}
    configs = {}
    for lang, config in CONFIGS.items():
        old = old_texts[config]
        pages: list[tuple[str | None, str]] = [(None, f"{chapter.dir}/index.md")]
        if any(_NOTEBOOK_PATH.match(p) for _, _, p in _nav_paths(old)):
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
    """Ctrl-C waits until the block is done (the undo must not be interrupted half-way)."""
    main_thread = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
    try:
        yield
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, old)


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
        section = [e for e in _nav_paths(new) if e not in _nav_paths(old)]
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
