"""The in-page runner's Python side: run one example in this interpreter (Pyodide, in the page's
Web Worker; overrides/assets/javascripts/runner-worker.mjs) exactly as the build does in a child
process, and return the page's Output text and Timeline block.

The same functions make both results: script.run_traced and trace_result (the run),
parent.finish (stderr normalized, the error message), render.output and render.gantt (the page).
Examples and their helpers sit in the working directory at their site paths (examples/chNN/x.py),
so paths print as in the build. Stdlib only; it also runs on CPython (tests/test_runner.py).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from time import monotonic as _real_monotonic  # bound now: a run makes time virtual
from typing import Any

from asyncio_notes.engine.loop import _VirtualSelector
from asyncio_notes.engine.parent import finish
from asyncio_notes.engine.script import run_traced, trace_result
from asyncio_notes.engine.trace import printed_lines
from asyncio_notes.render.fit import fit
from asyncio_notes.render.output import output_text, timeline_block

# Characters of printed output a run may produce before it is stopped (about 200 KB).
OUTPUT_LIMIT = 200_000
# Virtual seconds: ten minutes, far beyond any chapter example. Lower than the build's hour, so a
# runaway `while True: await asyncio.sleep(1)` meets this limit within about a second of real time
# in WebAssembly, even on a busy machine, long before the real-time watchdog (runner.mjs).
TIME_LIMIT = 600.0
# Real seconds a run that keeps yielding may take before it is stopped with what it did so far:
# below the page's 5-second watchdog (runner.mjs), which then only meets code that never awaits.
BUSY_SECONDS = 3.5
# Real seconds between two calls of run_example's heartbeat (the page's watchdog waits 5 s).
HEARTBEAT_SECONDS = 0.5
# Lines of output the page shows (a panel of its own height scrolls through them).
SHOWN_LINES = 1000


@contextlib.contextmanager
def _isolated(script: Path, stderr: io.StringIO) -> Any:
    """As `python script` would start: argv, sys.path[0], the example's own modules (util.py)
    imported afresh; argv, sys.path, warning filters and logging handlers are put back
    afterwards, so one run cannot change the next."""
    saved_path, saved_argv = sys.path[:], sys.argv[:]
    root_logger = logging.getLogger()
    saved_handlers, saved_level = root_logger.handlers[:], root_logger.level
    sys.argv = [script.as_posix()]
    sys.path[:] = [str(script.parent), *sys.path]
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(stderr),
        ):
            yield
    finally:
        sys.path[:], sys.argv[:] = saved_path, saved_argv
        for name, module in list(sys.modules.items()):
            if Path(getattr(module, "__file__", None) or "/").parent == script.parent:
                del sys.modules[name]
        root_logger.handlers[:] = saved_handlers
        root_logger.setLevel(saved_level)


class _StillBusy(BaseException):
    """Raised by _busy_guard between two rounds of the event loop: a run that keeps awaiting but
    would outlast the page's watchdog. A BaseException, so the reader's `except Exception`
    cannot swallow it."""


@contextlib.contextmanager
def _busy_guard(seconds: float, heartbeat: Callable[[], object] | None = None) -> Any:
    """Stop a run that still yields to the event loop after `seconds` of real time, between two
    rounds of the loop, so that it ends with what ran so far instead of meeting the page's
    watchdog (which can only blame a loop that never awaits). Yields [rounds run so far].
    `heartbeat` is called about every HEARTBEAT_SECONDS while the loop turns: the page then
    knows the code awaits, however long asyncio's clean-up of a stopped run takes.
    The check sits in the loop's select(), which returns before the round's callbacks run: no
    frame of ours is on the stack that debug mode and tracebacks show."""
    deadline = _real_monotonic() + seconds
    rounds, beat, stopped = [0], [_real_monotonic()], [False]
    original = _VirtualSelector.select

    def select(selector: _VirtualSelector, timeout: float | None = None) -> Any:
        rounds[0] += 1
        now = _real_monotonic()
        if heartbeat is not None and now - beat[0] > HEARTBEAT_SECONDS:
            beat[0] = now
            heartbeat()
        if now > deadline and not stopped[0]:
            stopped[0] = True  # once: asyncio.run then cleans up, its rounds unchecked
            raise _StillBusy
        return original(selector, timeout)

    _VirtualSelector.select = select  # type: ignore[method-assign]
    try:
        yield rounds
    finally:
        _VirtualSelector.select = original  # type: ignore[method-assign]


def _syntax_error(script: Path, display: str) -> str | None:
    """Python's own message for code that does not compile, as `python script` prints it."""
    try:
        compile(script.read_bytes(), display, "exec")
    except (SyntaxError, ValueError) as exc:
        return "".join(traceback.format_exception_only(exc))
    return None


def _reader_line(display: str, text: str) -> int | None:
    """The innermost line of the reader's file that a traceback or an engine message names."""
    found = re.findall(rf'File "{re.escape(display)}", line (\d+)', text)
    found = found or re.findall(rf"{re.escape(display)}:(\d+)", text)[:1]
    return int(found[-1]) if found else None


def _last_exception_line(text: str) -> str:
    """`ValueError: boom`: the last line of a traceback that names an exception."""
    lines = [line.strip(" |") for line in text.splitlines()]
    named = [line for line in lines if _EXCEPTION_LINE.match(line)]
    return named[-1] if named else ""


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(: .*)?$")


def _shown(printed: list[str]) -> list[str]:
    """What the Output shows of the printed lines: the first SHOWN_LINES, and a line saying so."""
    if len(printed) <= SHOWN_LINES:
        return printed
    return [*printed[:SHOWN_LINES], f"[output cut: {SHOWN_LINES} of {len(printed)} lines shown]"]


def run_example(
    display: str, source: str | None = None, heartbeat: Callable[[], object] | None = None
) -> dict[str, Any]:
    """Run the example at `display` (relative to the working directory), with the reader's
    `source` if given. Returns {"output": Output text (at most SHOWN_LINES printed lines),
    "timeline": Timeline block, "cut": what the timeline leaves out (render/fit.py) or None,
    "error": message or None, "kind": how the run failed (script.py's kinds, "syntax" or
    "busy") or None, "summary": the exception's own line, "line": the reader's line it names,
    "lines": lines printed in all, "elapsed": virtual seconds, "python": version}.
    `heartbeat`: see _busy_guard."""
    root = Path.cwd()
    script = root / display
    if source is not None:
        script.write_text(source, encoding="utf-8")
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    syntax = _syntax_error(script, display)
    if syntax is not None:
        match = re.search(r"line (\d+)", syntax)
        text = f"$ python {display}\n{syntax}"
        return {
            "output": text,
            "timeline": "",
            "cut": None,
            "error": syntax,
            "kind": "syntax",
            "summary": _last_exception_line(syntax),
            "line": int(match[1]) if match else None,
            "lines": 0,
            "elapsed": 0.0,
            "python": python,
        }
    stderr = io.StringIO()
    with _isolated(script, stderr), _busy_guard(BUSY_SECONDS, heartbeat) as callbacks:
        trace, error = run_traced(
            script, time_limit=TIME_LIMIT, wait_for_threads=False, output_limit=OUTPUT_LIMIT
        )
    written, busy = stderr.getvalue(), None
    if error is not None and error["type"] == _StillBusy.__name__:
        # Its traceback is ours, not the reader's: the message says where the run was instead.
        written = written[: written.rfind("Traceback (most recent call last)")]
        busy = (
            f"{display} was stopped: still running after {BUSY_SECONDS:g} s of real time. It "
            f"does yield to the event loop ({callbacks[0]} loop rounds so far, virtual time "
            f"{trace['elapsed']:g} s), it just has a lot to do; the timeline shows what ran."
        )
        error = {"kind": "busy", "type": "", "detail": busy}
    result = trace_result(display, "virtual", trace, None if busy else error)
    trace, message = finish(result, written, root)
    message = busy or message
    kind = error["kind"] if error is not None else None
    # An exception's traceback is already in stderr; other failures say why the run ended.
    shown = message if error is not None and kind != "exception" else None
    printed = printed_lines(trace)
    text = output_text(display, _shown(printed), trace["stderr"][:OUTPUT_LIMIT], shown)
    drawn, cut = fit(trace)
    return {
        "output": text,
        "timeline": timeline_block(drawn),
        "cut": cut,
        "error": message,
        "kind": kind,
        "summary": _last_exception_line(trace["stderr"]) if kind == "exception" else "",
        "line": _reader_line(display, trace["stderr"] if kind == "exception" else message or ""),
        "lines": len(printed),
        "elapsed": trace["elapsed"],
        "python": trace["python"],
    }
