"""A failed build loses nothing: site/ is replaced only when both languages built
(asyncio_notes/devtools/build.py, used by `make build`, serve.py and the build fixture)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from asyncio_notes.devtools.build import BuildError, build_site
from asyncio_notes.paths import REPO


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "en").mkdir(parents=True)
    (site / "index.html").write_text("old zh")
    (site / "en" / "index.html").write_text("old en")
    return site


def fake_builder(fail: str | None):
    """Like MkDocs: clean the folder, write half of it, then fail (for the language `fail`)."""

    def build(lang: str, out: Path, url: str | None) -> str:
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        (out / "index.html").write_text(f"new {lang}")
        if lang == fail:
            raise BuildError(f"{lang} failed")
        return f"{lang} built"

    return build


@pytest.mark.parametrize("fail", ["zh", "en"])
def test_a_failed_language_leaves_the_old_site_whole(site: Path, fail: str) -> None:
    before = snapshot(site)
    with pytest.raises(BuildError, match=f"{fail} failed"):
        build_site(site, builder=fake_builder(fail))
    assert snapshot(site) == before
    assert sorted(p.name for p in site.parent.iterdir()) == ["site"], "temporary folder left"


def test_both_languages_built_replace_the_site(site: Path) -> None:
    assert build_site(site, builder=fake_builder(None)) == "zh built\nen built"
    assert snapshot(site) == {"en/index.html": "new en", "index.html": "new zh"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rebuilding_one_language_keeps_the_other(site: Path, lang: str) -> None:
    build_site(site, langs=[lang], builder=fake_builder(None))
    other = "en" if lang == "zh" else "zh"
    assert snapshot(site) == {
        "index.html": "new zh" if lang == "zh" else "old zh",
        "en/index.html": "new en" if lang == "en" else "old en",
    }, other


def test_make_build_builds_through_it() -> None:
    recipe = re.search(r"^build:.*\n((?:\t.*\n)+)", (REPO / "Makefile").read_text(), re.M)
    assert recipe and recipe.group(1).strip() == "$(PY) -m asyncio_notes.devtools.build"


def test_a_killed_builds_folder_is_removed_by_the_next(site: Path) -> None:
    stale = site.parent / ".site.building-x1y2z3"
    (stale / "site").mkdir(parents=True)
    build_site(site, builder=fake_builder(None))
    assert sorted(p.name for p in site.parent.iterdir()) == ["site"]


def test_concurrent_builds_both_succeed(site: Path) -> None:
    """Two builds at once, both reaching the swap together: each succeeds, one after the other."""
    for _ in range(4):
        arrived = threading.Barrier(2, timeout=0.5)

        def build(lang: str, out: Path, url: str | None, arrived=arrived) -> str:
            fake_builder(None)(lang, out, url)
            if lang == "en":
                with contextlib.suppress(threading.BrokenBarrierError):
                    arrived.wait()  # without the lock, both swap at once; with it, the 2nd waits
            return lang

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: build_site(site, builder=build), range(2)))
        assert results == ["zh\nen", "zh\nen"]
        assert snapshot(site) == {"en/index.html": "new en", "index.html": "new zh"}
        assert sorted(p.name for p in site.parent.iterdir()) == ["site"]


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.slow  # starts a real build
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_sigterm_ends_the_build_with_its_mkdocs_and_temporary_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build = subprocess.Popen(
        [sys.executable, "-m", "asyncio_notes.devtools.build", "--site-dir", str(site)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (_children(build.pid) and list(tmp_path.glob(".site.building-*"))):
        assert time.monotonic() < deadline and build.poll() is None, "no build started"
        time.sleep(0.05)
    mkdocs = _children(build.pid)
    build.terminate()
    assert build.wait(timeout=20) != 0
    for pid in mkdocs:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # not ours: only a zombie of the build would remain
        stat = Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    assert list(tmp_path.iterdir()) == []
