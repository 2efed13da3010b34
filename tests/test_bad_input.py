"""Files and options the tracer cannot run are reported as Python would report them, naming the
file and line, without the tracer's own frames (engine/script.py, engine/parent.py, cli.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from asyncio_notes.engine.parent import TraceError, trace_script

SOURCES = {
    "a syntax error": (b"x = 1\ndef f(:\n", ['script.py", line 2', "SyntaxError: invalid syntax"]),
    "a binary file": (b"x = 1\n\x00\x01\x02", ["line 2", "cannot contain null bytes"]),
    "latin-1 without a cookie": (
        b"x = 1\nprint('caf\xe9')\n",
        ["Non-UTF-8 code starting with '\\xe9' in file script.py on line 2"],
    ),
}


@pytest.mark.parametrize("name", list(SOURCES))
def test_a_file_python_cannot_read_is_reported_like_python(tmp_path: Path, name: str) -> None:
    source, says = SOURCES[name]
    (tmp_path / "script.py").write_bytes(source)
    with pytest.raises(TraceError) as failure:
        trace_script(tmp_path / "script.py", root=tmp_path)
    message = str(failure.value)
    assert message.startswith("script.py raised SyntaxError"), message
    for part in says:
        assert part in message, message
    assert "crashed" not in message and "asyncio_notes" not in message, message


def test_a_directory_is_not_called_missing(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(TraceError, match="folder is a directory, not a script"):
        trace_script(tmp_path / "folder", root=tmp_path)


@pytest.mark.parametrize("option", ["--timeout", "--time-limit"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e308", "soon"])
def test_bad_limits_are_refused_by_argparse(tmp_path: Path, option: str, value: str) -> None:
    (tmp_path / "script.py").write_text("print(1)\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "asyncio_notes", f"{option}={value}", "script.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"argument {option}: '{value}' is not a number of seconds above 0" in proc.stderr
    assert "Traceback" not in proc.stderr
