"""The parent side of a trace: `trace_script(path)` runs a script in a child interpreter, as
`python path` would (its directory first on sys.path, `__name__ == "__main__"`), under the virtual
clock (or the real one), and returns its trace (trace.py); it raises TraceError, with a message
that names the script and says what to do, when the script raises, deadlocks or hangs.

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
from asyncio_notes.engine.pool import run_child
from asyncio_notes.engine.trace import Trace

# Seconds the parent waits beyond `timeout` for the child to report where it was stuck.
_KILL_GRACE = 3.0
# What a child writes: the script's stdout and stderr, the trace, and where it was stuck.
_CHILD_FILES = ("stdout.txt", "stderr.txt", "result.json", "stuck.txt")


class TraceError(RuntimeError):
    """The script could not be traced: it raised, deadlocked, ran past a limit or hung.
    `trace`: what ran until then, when the script reported (None if it crashed or hung);
    `kind`: how it failed, as script.py names it."""

    def __init__(self, message: str, *, trace: Trace | None = None, kind: str | None = None):
        super().__init__(message)
        self.trace, self.kind = trace, kind


def trace_script(
    script: Path,
    *,
    real: bool = False,
    time_limit: float = 3600.0,
    timeout: float = 30.0,
    python: str | None = None,
    root: Path | None = None,
    raise_limits: dict[str, str] | None = None,
) -> Trace:
    """Run `script` in a child interpreter and return its trace; raise TraceError if it fails.

    `raise_limits` says, for "time_limit" and "timeout", how a reader who hits one can raise it
    (a command-line option, say, or that the caller has none)."""
    if raise_limits is None:
        raise_limits = {
            k: f"raise it with trace_script({k}=...)" for k in ("time_limit", "timeout")
        }
    root = Path(root or Path.cwd()).resolve()
    script = Path(script).resolve()
    name = display_path(script, root)
    if not script.is_file():
        raise TraceError(f"{name}: no such file")
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
            raise TraceError(f"{name}: cannot start the interpreter {python!r}: {exc}") from None
        found = {
            f: Path(path).read_text("utf-8", errors="replace")
            for f, path in files.items()
            if os.path.exists(path)
        }
    stderr, stuck = found.get("stderr.txt", ""), found.get("stuck.txt", "")
    if "result.json" not in found:
        _raise_for_missing_result(name, stderr, status, stuck, timeout, root, raise_limits)
    result = json.loads(found["result.json"])
    kind = (result["error"] or {}).get("kind")
    trace, message = finish(result, stderr, root, raise_limits)
    if message is not None:
        # What ran until the failure, for a caller that draws it (the CLI).
        raise TraceError(message, trace=trace, kind=kind)
    return trace


def finish(
    result: dict, stderr: str, root: Path, raise_limits: dict[str, str] | None = None
) -> tuple[Trace, str | None]:
    """A run's report (script.trace_result) and its stderr -> the trace as published and,
    if the run failed, the message that says so. The build and the browser both finish here.
    `raise_limits`: see trace_script (None: nothing the reader runs can raise a limit)."""
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
    detail = normalize(error["detail"], stdlib, root, script_dir)
    message = _error_message(result["script"], error, detail, raise_limits or {})
    return result, message  # type: ignore[return-value]


def _how_to_raise(limit: str, raise_limits: dict[str, str]) -> str:
    return raise_limits.get(limit, "nothing here can raise it")


def _raise_for_missing_result(
    name: str,
    stderr: str,
    status: int | None,
    stuck: str,
    timeout: float,
    root: Path,
    raise_limits: dict[str, str],
) -> None:
    stdlib = os.path.dirname(os.__file__)
    if stuck or status is None:
        where = stuck_at(stuck, root)
        raise TraceError(
            f"{name} did not finish within {timeout:g} s of real time and was stopped"
            f"{f' at {where}' if where else ''}: it never yields to the event loop (a CPU "
            f"loop?) or blocks on something outside asyncio. Make it finish sooner; if it "
            f"really needs that long, {_how_to_raise('timeout', raise_limits)}."
            f"\n{normalize(stuck, stdlib, root)}"
        )
    raise TraceError(
        f"{name}: the tracer's child process ended with status {status} before reporting "
        f"(crashed or killed?).\n{normalize(stderr, stdlib, root)}"
    )


def _error_message(
    name: str, error: dict[str, str], detail: str, raise_limits: dict[str, str]
) -> str:
    kind = error["kind"]
    if kind == "deadlock":
        return f"{name} deadlocked under the virtual clock: {detail}"
    if kind == "time_limit":
        return (
            f"{name} ran past the virtual time limit: {detail}\nIf it really runs that long, "
            f"{_how_to_raise('time_limit', raise_limits)}."
        )
    if kind == "spin":
        return f"{name} never lets virtual time pass: {detail}"
    if kind == "exit":
        return f"{name} exited with status {detail}."
    if kind == "output_limit":
        return f"{name} was stopped: {detail}."
    return f"{name} raised {error['type']}; fix the example (run it with: python {name}).\n{detail}"


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
