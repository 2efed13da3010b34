"""The parent side of a trace, and the engine's one entry point: `trace_script(path)` runs a
script in a child interpreter, as `python path` would (its directory first on sys.path,
`__name__ == "__main__"`), under the virtual clock (or the real one), and returns its trace
(trace.py). When the script cannot be traced (it raises, deadlocks, hangs, passes a limit) it
raises one error type, TraceError, which says how (`kind`), where in the reader's files (`script`,
`line`) and what ran until then (`trace`); each caller (the build, the CLI, the browser) adds its
own hint on what to do, such as how to raise a limit.

Paths in messages and output are shown relative to `root` (the working directory by default).
The script itself runs in a temporary working directory (also its HOME) that is removed
afterwards, with a fixed environment (pool.CHILD_ENV), so what it writes is never kept and
the caller's environment cannot change what it prints.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from asyncio_notes.engine.instrument import is_engine_file
from asyncio_notes.engine.pool import ServerDied, run_child
from asyncio_notes.engine.trace import Trace

# Seconds the parent waits beyond `timeout` for the child to report where it was stuck.
_KILL_GRACE = 3.0
# What a child writes: the script's stdout and stderr, the trace, and where it was stuck.
_CHILD_FILES = ("stdout.txt", "stderr.txt", "result.json", "stuck.txt")


class TraceError(RuntimeError):
    """The script could not be traced. `kind`: how (exception, deadlock, time_limit, spin,
    exit, output_limit, timeout, crashed, no_file, interpreter); `script`: the script as shown;
    `line`: the line of the reader's own files where it failed, when known (`file.py:12`);
    `trace`: what ran until then, when the run got as far as reporting (else None)."""

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        script: str,
        line: str | None = None,
        trace: Trace | None = None,
    ) -> None:
        super().__init__(message)
        self.kind, self.script, self.line, self.trace = kind, script, line, trace


def trace_script(
    script: Path,
    *,
    real: bool = False,
    time_limit: float = 3600.0,
    timeout: float = 30.0,
    python: str | None = None,
    root: Path | None = None,
) -> Trace:
    """Run `script` in a child interpreter and return its trace; raise TraceError if it fails."""
    root = Path(root or Path.cwd()).resolve()
    script = Path(script).resolve()
    name = display_path(script, root)
    if script.is_dir():
        message = f"{name} is a directory, not a script: name a .py file in it"
        raise TraceError(message, kind="no_file", script=name)
    if not script.is_file():
        raise TraceError(f"{name}: no such file", kind="no_file", script=name)
    with tempfile.TemporaryDirectory(prefix="trace-") as tmp:
        files = {f: os.path.join(tmp, f) for f in _CHILD_FILES}
        work = Path(tmp, "cwd")
        work.mkdir()
        args = [
            str(script),
            name,
            files["result.json"],
            "real" if real else "virtual",
            repr(time_limit),
            repr(timeout),
            files["stuck.txt"],
        ]
        try:
            limit = timeout + _KILL_GRACE
            status = run_child(python or sys.executable, args, files, limit, work)
        except OSError as exc:
            message = f"{name}: cannot start the interpreter {python!r}: {exc}"
            raise TraceError(message, kind="interpreter", script=name) from None
        except ServerDied as exc:
            message = f"{name} was stopped: {exc} (killed?). Run it again."
            raise TraceError(message, kind="crashed", script=name) from None
        found = {
            f: Path(path).read_text("utf-8", errors="replace")
            for f, path in files.items()
            if os.path.exists(path)
        }
    stderr, stuck = found.get("stderr.txt", ""), found.get("stuck.txt", "")
    if "result.json" not in found:
        _raise_for_missing_result(name, stderr, status, stuck, timeout, root)
    trace, error = finish(json.loads(found["result.json"]), stderr, root)
    if error is not None:
        raise error
    return trace


def finish(result: dict, stderr: str, root: Path) -> tuple[Trace, TraceError | None]:
    """A run's report (script.trace_result) and its stderr -> the trace as published and,
    if the run failed, the error that says so (not raised). The build and the browser both
    finish here."""
    stdlib = result.pop("stdlib")
    error = result.pop("error")
    script_dir = os.path.dirname(os.path.join(root, result["script"]))
    result["stderr"] = normalize(stderr, stdlib, root, script_dir)
    # Printed text gets the same paths as stderr (a printed traceback, `__file__`), so it reads
    # the same on every machine and as pytest-examples' run shows it (tests/test_examples.py).
    for entry in result["prints"]:
        entry["text"] = normalize(entry["text"], stdlib, root, script_dir)
    if error is None:
        return result, None  # type: ignore[return-value]
    name = result["script"]
    detail = normalize(error["detail"], stdlib, root, script_dir)
    line = reader_line(detail, os.path.dirname(name))
    message = _error_message(name, error, detail)
    trace: Trace = result  # type: ignore[assignment]
    return trace, TraceError(message, kind=error["kind"], script=name, line=line, trace=trace)


def _raise_for_missing_result(
    name: str, stderr: str, status: int | None, stuck: str, timeout: float, root: Path
) -> None:
    stdlib = os.path.dirname(os.__file__)
    if stuck or status is None:
        where = stuck_at(stuck, root)
        message = (
            f"{name} did not finish within {timeout:g} s of real time and was stopped"
            f"{f' at {where}' if where else ''}: it never yields to the event loop (a CPU "
            f"loop?) or blocks on something outside asyncio. Make it finish sooner."
            f"\n{normalize(stuck, stdlib, root)}"
        )
        line = where.split(" in ")[0] if where else None
        raise TraceError(message, kind="timeout", script=name, line=line)
    message = (
        f"{name}: the tracer's child process ended with status {status} before reporting "
        f"(crashed or killed?).\n{normalize(stderr, stdlib, root)}"
    )
    raise TraceError(message, kind="crashed", script=name)


# A traceback's frame, or a pending task's place (`waiting at examples/ch02/x.py:14`).
_READER_FRAME = re.compile(
    r'File "(?P<file>[^"]+)", line (?P<line>\d+)|waiting at (?P<at>\S+\.py):(?P<n>\d+)'
)


def reader_line(text: str, folder: str) -> str | None:
    """`examples/ch02/x.py:12`: the innermost place in `text` (a traceback, or the pending tasks'
    `waiting at` lines) in a file of the reader's `folder`; None if none is."""
    found = None
    for match in _READER_FRAME.finditer(text):
        file = match["file"] or match["at"]
        number = match["line"] or match["n"]
        if os.path.dirname(file) == folder:
            found = f"{file}:{number}"
            if match["at"]:  # the first pending task is the one that waits
                return found
    return found


def _error_message(name: str, error: dict[str, str], detail: str) -> str:
    kind = error["kind"]
    if kind == "deadlock":
        return f"{name} deadlocked under the virtual clock: {detail}"
    if kind == "time_limit":
        return f"{name} ran past the virtual time limit: {detail}"
    if kind == "spin":
        return f"{name} never lets virtual time pass: {detail}"
    if kind == "exit":
        return f"{name} exited with status {detail}."
    if kind == "output_limit":
        return f"{name} was stopped: {detail}."
    return f"{name} raised {error['type']}:\n{detail}"


def display_path(path: Path, root: Path) -> str:
    """The path relative to `root` where possible, with forward slashes."""
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


_FRAME = re.compile(r'^(?P<indent>\s*)File "(?P<file>[^"]+)", line \d+,? in ')


# `  | ` before each line of a traceback inside an exception group (a TaskGroup's failure).
_GROUP_PREFIX = re.compile(r"^ *\| ?")


def per_group(text: str, transform: Callable[[str], str]) -> str:
    """Apply `transform` to each run of lines with the same exception-group prefix, without it:
    inside a group, a traceback then reads as a plain one."""
    out: list[str] = []

    def prefix(line: str) -> str:
        match = _GROUP_PREFIX.match(line)
        return match.group() if match else ""

    for head, lines in itertools.groupby(text.splitlines(keepends=True), key=prefix):
        body = transform("".join(line[len(head) :] for line in lines))
        out += [head + line for line in body.splitlines(keepends=True)]
    return "".join(out)


def drop_own_frames(text: str, script_dir: str | None = None) -> str:
    """Remove traceback entries (and their source lines) that belong to the tracer itself, and,
    in a stack that reaches the tracer before any frame of the script's directory, the frames
    that called the tracer (the browser's runner, a test): a plain run has neither."""
    kept: list[str] = []
    skip_deeper_than: int | None = None
    callers: list[
        int
    ] = []  # where, in `kept`, this stack's frames start while none is the script's
    for line in text.splitlines(keepends=True):
        indent = len(line) - len(line.lstrip())
        if skip_deeper_than is not None and indent > skip_deeper_than and line.strip():
            continue
        skip_deeper_than = None
        match = _FRAME.match(line)
        if match and is_engine_file(match["file"]):
            if callers:
                del kept[callers[0] :]
            callers = []
            skip_deeper_than = len(match["indent"])
            continue
        if match:
            mine = script_dir is not None and os.path.dirname(match["file"]) == script_dir
            if mine:
                callers = []
            elif script_dir is not None and (callers or not _after_frame(kept)):
                callers.append(len(kept))
        elif not line.startswith(" "):
            callers = []  # the stack ended
        kept.append(line)
    return "".join(kept)


def _after_frame(kept: list[str]) -> bool:
    """The last kept line belongs to a stack (a frame or its source line)."""
    return bool(kept) and kept[-1].startswith(" ") and bool(kept[-1].strip())


def normalize(text: str, stdlib: str, root: Path, script_dir: str | None = None) -> str:
    """Drop the tracer's frames; show the repo root as relative paths and stdlib as <stdlib>/."""
    text = per_group(text, lambda part: drop_own_frames(part, script_dir))
    text = text.replace(stdlib.rstrip(os.sep) + os.sep, "<stdlib>/")
    return text.replace(str(root) + os.sep, "")


def stuck_at(dump: str, root: Path) -> str:
    """`examples/x.py:5 in spin`: the innermost frame outside the tracer in a faulthandler dump."""
    for line in dump.splitlines():
        match = re.match(r'\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<fn>\S+)', line)
        if match and not is_engine_file(match["file"]):
            return f"{display_path(Path(match['file']), root)}:{match['line']} in {match['fn']}"
    return ""
