"""`make test-pythons` (devtools/test_pythons.py) finds each supported Python, or skips it."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

from asyncio_notes.devtools import test_pythons
from asyncio_notes.paths import REPO


def _fake_python(path: Path, version: str | None) -> Path:
    """An executable that answers like python `version`, or fails like an unselected pyenv shim."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = f'echo "{version}"' if version else 'echo "pyenv: command not found" >&2; exit 127'
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty PATH and pyenv root to populate; returns tmp_path."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    return tmp_path


def test_a_python_on_path_is_found(machine: Path) -> None:
    python = _fake_python(machine / "bin" / "python3.12", "3.12")
    assert test_pythons.find_python("3.12") == python


def test_a_failing_shim_falls_back_to_the_newest_pyenv_install(machine: Path) -> None:
    _fake_python(machine / "bin" / "python3.13", None)  # pyenv shim, version not selected
    for patch in ("3.13.0", "3.13.2", "3.13.10"):
        _fake_python(machine / "pyenv" / "versions" / patch / "bin" / "python3.13", "3.13")
    _fake_python(machine / "pyenv" / "versions" / "3.13.11t" / "bin" / "python3.13", "3.13")
    found = test_pythons.find_python("3.13")
    assert found == machine / "pyenv" / "versions" / "3.13.10" / "bin" / "python3.13"


def test_a_missing_version_is_skipped_with_a_note(
    machine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_python(machine / "pyenv" / "versions" / "3.1.5" / "bin" / "python3.1", "3.1")
    assert test_pythons.find_python("3.11") is None
    assert test_pythons.main(["--version"]) == 1  # nothing found at all: that is a failure
    out = capsys.readouterr().out
    for version in test_pythons.VERSIONS:
        assert f"Python {version}: not found on PATH or under pyenv; skipped" in out


def test_the_running_python_is_found_for_its_version() -> None:
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    found = test_pythons.find_python(version)
    assert found is not None and test_pythons.version_of(found) == version
    assert os.access(found, os.X_OK)


def test_ci_matrix_tests_every_supported_python() -> None:
    ci = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    matrices = [job["strategy"]["matrix"]["python"] for job in ci["jobs"].values()]
    assert matrices == [list(test_pythons.VERSIONS)]
