"""What a page may include: files under examples/ and build/generated/, nothing else.

pymdownx.snippets reads any file under its base path (the repository root), follows symlinks
and expands includes inside included files; so `--8<-- ".git/config"` or a link in examples/ to
/etc/passwd would be published. Every include of every page, and of every file it includes, is
checked here before Markdown runs; each problem names the page and line and what to do.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from asyncio_notes.paths import EXAMPLES_DIR, GENERATED_DIR, REPO
from asyncio_notes.sitebuild import markdown_source as md
from asyncio_notes.sitebuild.safe_snippets import expands

# Repository-relative, as pages name them.
ALLOWED = tuple(f"{d.relative_to(REPO).as_posix()}/" for d in (EXAMPLES_DIR, GENERATED_DIR))
_WHERE = "pages may include only files under examples/ and build/generated/"


def outside_links(docs_dir: Path, paths: list[Path]) -> list[str]:
    """The files of a site's docs folder that are links (or in linked folders) leading out of
    it: MkDocs follows them and would publish whatever they point at."""
    docs = docs_dir.resolve()
    return [
        f"{path.as_posix()} is a link to {path.resolve()}, outside {docs_dir.as_posix()}; put "
        f"the file itself in the docs folder, or include it from examples/"
        for path in paths
        if not path.resolve().is_relative_to(docs)
    ]


def include_problems(
    name: str, text: str, *, generated: bool = True, root: Path = REPO
) -> list[str]:
    """Problems with the includes in `text` (the page `name`, repository-relative), and with
    those of the files it includes. `generated=False`: build/generated/ may not be written yet
    (a check before the build), so a file missing there is not a problem."""
    return _check(name, text, generated, (name,), root)


def _check(name: str, text: str, generated: bool, stack: tuple[str, ...], root: Path) -> list[str]:
    problems = []
    for include in md.includes(text):
        where = f"{name}:{include.line}"
        if len(stack) > 1:
            where += f" (included from {' <- '.join(reversed(stack[:-1]))})"
        if include.target is None:
            problems.append(
                f"{where}: {include.text.strip()!r} looks like an include but cannot be checked; "
                f'write it as --8<-- "examples/chNN/file.py" on a line of its own'
            )
            continue
        problem, path = _check_target(include.target, generated, root)
        if problem:
            problems.append(f"{where}: includes {include.target!r}: {problem}")
        elif path is not None and path.as_posix() not in stack and expands(path):
            nested = (root / path).read_text(encoding="utf-8", errors="replace")
            problems += _check(path.as_posix(), nested, generated, (*stack, path.as_posix()), root)
    return problems


def _check_target(
    target: str, generated: bool, root: Path
) -> tuple[str | None, PurePosixPath | None]:
    """(what is wrong with the target or None, its repository-relative path if it is fine)."""
    raw, section = md.split_target(target)
    path = PurePosixPath(raw)
    if path.is_absolute() or PureWindowsPath(raw).is_absolute() or "\\" in raw:
        return f"an absolute path; {_WHERE}, named from the repository root", None
    if ".." in path.parts:
        return f"'..' leaves the folder it names; {_WHERE}, named without '..'", None
    top = next((p for p in ALLOWED if raw.startswith(p)), None)
    if top is None:
        return f"{_WHERE}; move the file into examples/ (or include it from there)", None
    file = root / path
    if not file.exists() and not file.is_symlink():
        if top != "examples/" and not generated:
            return None, None  # written during the build
        return f"{raw} does not exist; create the file or correct the path", None
    real = file.resolve()
    if not real.is_relative_to((root / top).resolve()):
        return (
            f"{raw} is a link to {real}, outside {top}; {_WHERE}, after following links: put "
            f"the file itself there instead of a link",
            None,
        )
    if not real.is_file():
        return f"{raw} is not a regular file; include a file", None
    if section and not section.replace(":", "").replace(",", "").replace("-", "").isdigit():
        text = real.read_text(encoding="utf-8", errors="replace")
        missing = [
            edge
            for edge in ("start", "end")
            if not re.search(rf"-+8<-+\s+\[{edge}:{re.escape(section)}\]", text)
        ]
        if missing:
            return (
                f"{raw} has no section '{section}' (no '--8<-- [{missing[0]}:{section}]' line); "
                f"name one of its sections or mark it in the file",
                None,
            )
    return None, path
