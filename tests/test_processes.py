"""Processes under the virtual clock: a trace that starts them finishes, shows their results,
and leaves no process behind (engine/loop.py, engine/clock.py, engine/pool.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asyncio_notes.engine.parent import TraceError, trace_script
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
    # Out of the trace's process group: a new session, and a daemon (forked twice).
    "a new session": """\
import subprocess

child = subprocess.Popen(["sleep", "30"], start_new_session=True)
print("pid", child.pid)
print("started")
""",
    "a double-forked daemon": """\
import os
import time

read, write = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(write, str(os.getpid()).encode())
        os.close(write)
        while True:
            time.sleep(1)
    os._exit(0)
os.close(write)
print("pid", int(os.read(read, 20)))
print("started")
""",
}
EXPECTED = {
    "process pool": ["square 49"],
    "create_subprocess_exec": ["exit 0"],
    "subprocess.Popen": ["started"],
    "a new session": ["started"],
    "a double-forked daemon": ["started"],
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


_WRITE_PID = "Path({!r}).write_text(str(os.getpid()))\n"


def test_a_killed_fork_server_is_reported_and_takes_the_child_with_it(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    script = tmp_path / "script.py"
    script.write_text(
        f"import os\nfrom pathlib import Path\n\n{_WRITE_PID.format(str(marker))}"
        "parent = Path(f'/proc/{os.getppid()}/cmdline').read_bytes()\n"
        "if b'--serve' in parent:  # the fork server, never the test's own process\n"
        "    os.kill(os.getppid(), 9)\n"
        "os.read(os.pipe()[0], 1)  # blocks\n",
        encoding="utf-8",
    )
    with pytest.raises(TraceError, match="fork server ended while the script ran"):
        trace_script(script, root=tmp_path, timeout=20)
    pid = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and live(pid):
        time.sleep(0.05)
    assert not live(pid)
    # The next trace starts a new server.
    script.write_text("print('again')\n", encoding="utf-8")
    assert printed_lines(trace_script(script, root=tmp_path)) == ["again"]


def test_sigterm_to_the_tracer_ends_its_child_and_removes_its_folder(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    script = tmp_path / "script.py"
    script.write_text(
        f"import os\nfrom pathlib import Path\n\n{_WRITE_PID.format(str(marker))}"
        "os.read(os.pipe()[0], 1)  # blocks\n",
        encoding="utf-8",
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    tracer = subprocess.Popen(
        [sys.executable, "-m", "asyncio_notes", str(script)],
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline and tracer.poll() is None, "the script never started"
        time.sleep(0.05)
    pid = int(marker.read_text())
    tracer.terminate()
    assert tracer.wait(timeout=10) != 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and live(pid):
        time.sleep(0.05)
    assert not live(pid), "the traced script outlived its tracer"
    assert list(temp.iterdir()) == [], "a trace folder was left behind"


def test_a_killed_tracer_leaves_no_process(tmp_path: Path) -> None:
    """SIGKILL to the build (or any caller): its fork server sees its input close and ends every
    process of every trace, detached ones too."""
    marker = tmp_path / "pids"
    script = tmp_path / "script.py"
    script.write_text(
        "import os\nimport subprocess\nfrom pathlib import Path\n\n"
        "child = subprocess.Popen(['sleep', '30'], start_new_session=True)\n"
        f"Path({str(marker)!r}).write_text(f'{{os.getpid()}} {{child.pid}}')\n"
        "os.read(os.pipe()[0], 1)  # blocks\n",
        encoding="utf-8",
    )
    caller = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; "
            "from asyncio_notes.engine.parent import trace_script; "
            "trace_script(Path(sys.argv[1]), timeout=60)",
            str(script),
        ]
    )
    deadline = time.monotonic() + 20
    while not marker.exists() or " " not in marker.read_text():
        assert time.monotonic() < deadline and caller.poll() is None, "the script never started"
        time.sleep(0.05)
    pids = [int(p) for p in marker.read_text().split()]
    caller.kill()
    caller.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(map(live, pids)):
        time.sleep(0.05)
    assert [pid for pid in pids if live(pid)] == []
