"""The process side of a trace: start a child interpreter per script, kill it past its limit.

Each child runs in its own process group, with a fixed, minimal environment (CHILD_ENV; HOME and
the working directory are the trace's own temporary folder): once it has ended, whatever is left
of the group (processes the script started and did not wait for) is killed. On Linux the fork
server and each child are also child subreapers (see serve()), so processes that left the group
(a new session, a double fork) are killed too, and a child dies with its server.

Where os.fork exists, each interpreter gets one fork server that has imported asyncio and the
engine once and forks a child per trace: a trace then costs a fork, not an interpreter start-up
(about ten times less). Elsewhere each trace spawns a fresh interpreter running child.py.
It is kept over multiprocessing's "forkserver" context, measured on this 2-core machine with 40
traces of a one-sleep script, each alternating with the other: median 45-78 ms against 57-87 ms
(best 28-31 against 33-45 ms); and a multiprocessing child exits without atexit and the rest of a
normal interpreter shutdown, which a traced `python script.py` has.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import itertools
import json
import os
import queue
import selectors
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from asyncio_notes.engine.child import child_main
from asyncio_notes.engine.instrument import ENGINE_DIR, PACKAGE_ROOT

# Seconds to wait for the fork server to answer, and for a killed child to be reaped.
_KILL_GRACE = 3.0
# The whole environment of a traced script, but for HOME, TMPDIR (its own working directory) and
# PYTHONPATH (where the engine is): nothing of the caller's environment can change an output.
CHILD_ENV = {
    "PYTHONIOENCODING": "utf-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",  # nothing written next to the examples
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "PATH": os.defpath,
}


def child_env(home: Path | None = None) -> dict[str, str]:
    """CHILD_ENV, with the engine importable and HOME (and TMPDIR) at `home`."""
    env = {**CHILD_ENV, "PYTHONPATH": PACKAGE_ROOT}
    if home is not None:
        env["HOME"] = env["TMPDIR"] = str(home)
    return env


# prctl(2) options (linux/prctl.h).
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    """prctl(option, value) on Linux; False where there is none (the process groups remain)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only here: the spawned child.py path never needs it

    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children() -> list[int]:
    """This process's children (Linux: /proc)."""
    me = os.getpid()
    try:
        return [int(p) for p in Path(f"/proc/{me}/task/{me}/children").read_text().split()]
    except OSError:
        pass
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        with contextlib.suppress(OSError, ValueError, IndexError):
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == me
            ):
                found.append(int(entry.name))
    return found


def _kill_children(keep: set[int]) -> None:
    """Kill and reap every child but `keep`, and the children each leaves (a subreaper adopts
    them): what a trace started and left running, however it detached (a new session, a
    double fork)."""
    for _ in range(1000):  # a fork bomb forks no faster than SIGKILL ends it
        orphans = [pid for pid in _children() if pid not in keep]
        if not orphans:
            return
        for pid in orphans:
            _kill_group(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in orphans:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _kill_group(pgid: int) -> None:
    """Kill what is left of a child's process group (nothing, usually)."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def run_child(
    python: str, args: list[str], files: dict[str, str], limit: float, cwd: Path
) -> int | None:
    """Run child_main(args) in a fresh child with `cwd` as its working directory and HOME;
    return its exit status (None if it was killed). Its process group is killed afterwards."""
    if hasattr(os, "fork"):
        with contextlib.suppress(_ServerGone):
            return _fork_server(python).run(args, files, limit, cwd)
    return _spawn_child(python, args, files, limit, cwd)


def _spawn_child(
    python: str, args: list[str], files: dict[str, str], limit: float, cwd: Path
) -> int | None:
    with open(files["stdout.txt"], "wb") as stdout, open(files["stderr.txt"], "wb") as stderr:
        child = subprocess.Popen(
            # The engine's file as a script, not -m: runpy's frames would show in the traced
            # script's tracebacks and debug-mode stacks, which a plain `python script.py` lacks.
            [python, str(ENGINE_DIR / "child.py"), *args],
            cwd=cwd,
            env=child_env(cwd),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=hasattr(os, "setsid"),
        )
        try:
            return child.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            child.kill()  # faulthandler in the child should have ended it already
            child.wait()
            return None
        finally:
            _kill_group(child.pid)


class _ServerGone(Exception):
    """The fork server is not running (any more): spawn a fresh interpreter instead."""


class ServerDied(RuntimeError):
    """The fork server ended while a trace ran (killed?): its child was killed too."""


class _ForkServer:
    """An interpreter that has imported asyncio and this module once and forks a child per trace,
    so that a trace costs a fork instead of an interpreter start-up (about ten times less).

    Protocol, one JSON object per line: we send {"id", "args", "cwd", "env", "stdout", "stderr"};
    it answers {"started": pid, "id": id}, and {"exited": pid, "status": code} when that child
    has ended. The id pairs each answer with its request even when a caller was interrupted
    (Ctrl-C, a test's timeout) between sending one and reading its answer."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, str(ENGINE_DIR / "pool.py"), "--serve"],
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self.requests = threading.Lock()  # one request at a time, so answers come in order
        self.started: queue.Queue[tuple[int, int] | None] = queue.Queue()  # (id, pid)
        self.ids = itertools.count()
        self.exits: dict[int, int] = {}
        self.abandoned: set[int] = set()  # children nobody waits for any more
        self.changed = threading.Condition()
        self.alive = True
        threading.Thread(target=self._read_answers, daemon=True).start()

    def _read_answers(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            answer = json.loads(line)
            if "started" in answer:
                self.started.put((answer["id"], answer["started"]))
            else:
                with self.changed:
                    if answer["exited"] in self.abandoned:
                        self.abandoned.discard(answer["exited"])
                    else:
                        self.exits[answer["exited"]] = answer["status"]
                    self.changed.notify_all()
        with self.changed:
            self.alive = False
            self.changed.notify_all()
        self.started.put(None)

    def run(self, args: list[str], files: dict[str, str], limit: float, cwd: Path) -> int | None:
        request = {
            "id": next(self.ids),
            "args": args,
            "cwd": str(cwd),
            "env": child_env(cwd),
            "stdout": files["stdout.txt"],
            "stderr": files["stderr.txt"],
        }
        with self.requests:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
                pid = None
                while (answer := self.started.get(timeout=_KILL_GRACE * 10)) is not None:
                    if answer[0] == request["id"]:  # an earlier caller's answer is dropped
                        pid = answer[1]
                        break
            except (OSError, queue.Empty):
                pid = None
        if pid is None:
            raise _ServerGone
        with self.changed:
            try:
                ended = self.changed.wait_for(lambda: pid in self.exits or not self.alive, limit)
                if not ended:
                    _kill_group(pid)  # faulthandler in the child should have ended it
                    self.changed.wait_for(lambda: pid in self.exits or not self.alive, _KILL_GRACE)
            except BaseException:
                _kill_group(pid)  # interrupted: the child must not outlive its trace
                raise
            finally:
                if pid not in self.exits and self.alive:
                    self.abandoned.add(pid)  # its exit, when it comes, is nobody's
            if pid not in self.exits and not self.alive:
                _kill_group(pid)  # it also dies with the server (PR_SET_PDEATHSIG)
                raise ServerDied(f"the tracer's fork server ended while the script ran (pid {pid})")
            status = self.exits.pop(pid, None)
            return status if ended else None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()  # the server ends when its input does


_SERVERS: dict[str, _ForkServer] = {}
_SERVERS_LOCK = threading.Lock()


def _fork_server(python: str) -> _ForkServer:
    """The running fork server for `python`, started on first use."""
    with _SERVERS_LOCK:
        server = _SERVERS.get(python)
        if server is None or not server.alive:
            if not _SERVERS:
                atexit.register(lambda: [s.close() for s in _SERVERS.values()])
            server = _SERVERS[python] = _ForkServer(python)
        return server


def serve() -> None:
    """The fork server's loop (see _ForkServer): fork a child per request, report its exit.

    It is a child subreaper, as each trace's child is: whatever a script starts and leaves
    running is adopted by the trace's child and, once that has ended, by the server, which kills
    it before it reports the exit. When the parent goes, every child goes with the server."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    try:
        _serve()
    finally:
        _kill_children(keep=set())


def _serve() -> None:
    traces: set[int] = set()
    server = os.getpid()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)  # a child's exit wakes the select below
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    pending = b""
    gc.freeze()  # children then neither scan nor copy-on-write the server's own objects
    while True:
        for key, _ in selector.select():
            if key.fd == wake_read:
                os.read(wake_read, 4096)
                continue
            data = os.read(0, 65536)
            if not data:
                return  # the parent has gone
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    for fd in (wake_read, wake_write):
                        os.close(fd)
                    _run_forked(json.loads(line), server)
                with contextlib.suppress(OSError):  # both sides, whichever runs first
                    os.setpgid(pid, pid)
                traces.add(pid)
                _answer({"started": pid, "id": json.loads(line)["id"]})
        _reap_children(traces)


def _reap_children(traces: set[int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid not in traces:
            continue  # an adopted orphan that ended by itself
        traces.discard(pid)
        # Before the answer: a trace is over once its processes are gone. Its child adopted
        # what the script left; with it gone, the server has adopted them.
        _kill_group(pid)
        _kill_children(keep=traces)
        _answer({"exited": pid, "status": os.waitstatus_to_exitcode(status)})


def _answer(message: dict[str, int]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _run_forked(request: dict[str, Any], server: int) -> None:
    """In a forked child: take the example's stdin/stdout/stderr, trace it, exit as usual."""
    os.setpgid(0, 0)
    # Die with the server; adopt what the script's processes leave behind (serve() kills it).
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    if os.getppid() != server:  # the server died before the line above
        os._exit(1)
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        opened = os.open(path, flags, 0o644)
        os.dup2(opened, fd)
        os.close(opened)
    os.chdir(request["cwd"])
    child_main(request["args"])
    # Unwind through the server's frames to a normal interpreter exit, as `python script.py`
    # would end (thread joins, atexit, warnings and messages at shutdown).
    sys.exit(0)


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    serve()
