"""Build both languages strictly (`make build`): zh into site/, en into site/en/.

Both are built into a temporary folder beside site/, which replaces site/ only once both
languages have succeeded: a failed build (a broken include, a failing example) leaves the
previous site as it was. Builds into one folder take turns (a lock on the folder), and each
removes the temporary folders a killed build left. devtools/serve.py and the tests' build
fixture use the same function.
Usage: python -m asyncio_notes.devtools.build [--site-dir site]   (SITE_URL sets the address)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from asyncio_notes.paths import REPO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

CONFIGS = {"zh": REPO / "mkdocs.yml", "en": REPO / "mkdocs.en.yml"}


class BuildError(RuntimeError):
    """One language failed to build; site/ was left as it was."""


# Builds one language into a folder and returns its log: (lang, site_dir, url) -> log, where
# url is the zh site's address (the en config appends en/ itself).
Builder = Callable[[str, Path, "str | None"], str]


def mkdocs_cli(lang: str, site_dir: Path, url: str | None) -> str:
    """`mkdocs build --strict` in a child process, as a contributor would run it."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's end-of-life banner
    if url:
        env["SITE_URL"] = url
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(CONFIGS[lang])]
    proc = subprocess.run(
        [*command, "-d", str(site_dir)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise BuildError(f"mkdocs build -f {CONFIGS[lang].name} failed:\n{log}")
    return log


def build_site(
    site_dir: Path,
    url: str | None = None,
    *,
    langs: Iterable[str] = ("zh", "en"),
    builder: Builder = mkdocs_cli,
) -> str:
    """Build `langs` (zh at the root, en under en/) and swap the result in for `site_dir`; a
    language not rebuilt is kept from the old site. Returns the logs; raises BuildError."""
    langs = [lang for lang in ("zh", "en") if lang in set(langs)]
    site_dir = Path(site_dir).absolute()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    with _site_lock(site_dir):
        # Nobody else builds this site now: a building folder left is a killed build's.
        for stale in site_dir.parent.glob(f".{site_dir.name}.building-*"):
            shutil.rmtree(stale, ignore_errors=True)
        return _build(site_dir, url, langs, builder)


@contextlib.contextmanager
def _site_lock(site_dir: Path) -> Iterator[None]:
    """One build into `site_dir`'s folder at a time (a second waits): a lock on the folder
    itself, which the system drops when its process dies, so a killed build never blocks."""
    if fcntl is None:  # Windows
        yield
        return
    fd = os.open(site_dir.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _build(site_dir: Path, url: str | None, langs: list[str], builder: Builder) -> str:
    work = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.building-", dir=site_dir.parent))
    try:
        new = work / "site"
        if "zh" not in langs and site_dir.exists():  # keep zh: copy everything but en/
            shutil.copytree(site_dir, new, ignore=lambda d, _: ["en"] if d == str(site_dir) else [])
        logs = []
        for lang in langs:  # zh first: its build cleans the folder, en included
            out = new if lang == "zh" else new / "en"
            logs.append(builder(lang, out, url))
        if "en" not in langs and (site_dir / "en").exists():
            shutil.copytree(site_dir / "en", new / "en")
        _swap(new, site_dir, work)
        return "\n".join(logs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _swap(new: Path, site_dir: Path, work: Path) -> None:
    """Put `new` where `site_dir` is: two renames, so site/ is never half old, half new."""
    old = work / "old"
    if site_dir.exists():
        site_dir.rename(old)
    new.rename(site_dir)


def _terminated(signum: int, frame: object) -> None:
    # Unwind as Ctrl-C does: MkDocs' process is killed and the temporary folder removed.
    raise SystemExit(128 + signum)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", type=Path, default=REPO / "site")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminated)
    try:
        log = build_site(args.site_dir)
    except BuildError as exc:
        print(f"error: {exc}\n{args.site_dir} was left as it was.", file=sys.stderr)
        return 1
    print(log, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
