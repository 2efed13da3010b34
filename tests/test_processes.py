"""Processes under the virtual clock: a trace that starts them finishes, shows their results,
and leaves no process behind (engine/loop.py, engine/clock.py, engine/pool.py)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from asyncio_notes.engine.parent import trace_script
from asyncio_notes.engine.trace import printed_lines

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

SCRIPTS = {
    # Never shut down: its workers must not outlive the trace.
    "process pool": """\
import asyncio
import os
from concurrent.futures import ProcessPoolExecutor


def square(n):
    return n * n, os.getpid()


async def main():
    pool = ProcessPoolExecutor(2)
    value, pid = await asyncio.get_running_loop().run_in_executor(pool, square, 7)
    print("pid", pid)
    print("square", value)


asyncio.run(main())
""",
    # The child outlasts the 0.5 s grace the loop gives plain threads before a deadlock; the
    # second one is never awaited.
    "create_subprocess_exec": """\
import asyncio
import sys


async def main():
    code = "import time; time.sleep(0.8)"
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code)
    print("pid", proc.pid)
    print("exit", await proc.wait())
    left = await asyncio.create_subprocess_exec("sleep", "30")
    print("pid", left.pid)


asyncio.run(main())
""",
    "subprocess.Popen": """\
import subprocess

child = subprocess.Popen(["sleep", "30"])
print("pid", child.pid)
print("started")
""",
}
EXPECTED = {
    "process pool": ["square 49"],
    "create_subprocess_exec": ["exit 0"],
    "subprocess.Popen": ["started"],
}


def live(pid: int) -> bool:
    """Running or sleeping: a zombie (killed, waiting for its reaper) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] not in ("Z", "X"):
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_a_script_that_starts_processes_is_traced_and_leaves_none(
    tmp_path: Path, name: str
) -> None:
    script = tmp_path / "script.py"
    script.write_text("pass\n", encoding="utf-8")
    trace_script(script, root=tmp_path)  # the fork server (kept between traces) is running
    script.write_text(SCRIPTS[name], encoding="utf-8")
    before = descendants(os.getpid())
    start = time.monotonic()
    printed = printed_lines(trace_script(script, root=tmp_path, timeout=20))
    assert time.monotonic() - start < 10
    pids = [int(line.split()[1]) for line in printed if line.startswith("pid ")]
    assert [line for line in printed if not line.startswith("pid ")] == EXPECTED[name]
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and (
        any(map(live, pids)) or descendants(os.getpid()) - before
    ):
        time.sleep(0.05)
    assert [pid for pid in pids if live(pid)] == [], "processes the script started outlived it"
    assert descendants(os.getpid()) - before == set()
