"""One build at a time per checkout: `make build` beside `make build`, or `make serve` beside
`make test`, would otherwise write and read build/generated/ (and MkDocs' caches) at once.

An advisory lock (flock) on build/.lock: a second build waits for the first, and the system
drops the lock of a process that dies, so a killed build never blocks the next. Re-entrant
within a process: the MkDocs hooks hold it for a whole build, generate_all() takes it again.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from asyncio_notes.paths import GENERATED_DIR

try:
    import fcntl
except ImportError:  # Windows: no flock; builds there are not run concurrently
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = GENERATED_DIR.parent / ".lock"
_guard = threading.RLock()
_depth = 0
_fd: int | None = None


def acquire() -> None:
    """Wait until no other process builds in this checkout, then hold the lock."""
    global _depth, _fd
    _guard.acquire()
    if _depth == 0 and fcntl is not None:
        LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            _guard.release()
            raise
        _fd = fd
    _depth += 1


def release() -> None:
    global _depth, _fd
    _depth -= 1
    if _depth == 0 and _fd is not None:
        os.close(_fd)  # closing the last descriptor drops the flock
        _fd = None
    _guard.release()


def replace_text(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: a concurrent reader (a test, a build in
    another checkout's process) sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


@contextlib.contextmanager
def build_lock() -> Iterator[None]:
    acquire()
    try:
        yield
    finally:
        release()
