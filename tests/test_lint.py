"""ruff keeps the project's own Python clean (the same checks as `make lint`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from asyncio_notes.paths import REPO


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff(command: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", *command], cwd=REPO, capture_output=True, text=True
    )
    assert proc.returncode == 0, (
        f"ruff {' '.join(command)} (fix with `make format`):\n{proc.stdout}{proc.stderr}"
    )
