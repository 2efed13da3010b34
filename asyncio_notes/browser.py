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
import gc
import io
import logging
import math
import re
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from time import monotonic as _real_monotonic  # bound now: a run makes time virtual
from typing import Any

from asyncio_notes.engine.cpu import CpuMeter
from asyncio_notes.engine.iterations import IterationRecorder
from asyncio_notes.engine.loop import _VirtualSelector
from asyncio_notes.engine.parent import finish
from asyncio_notes.engine.script import run_traced, trace_result
from asyncio_notes.engine.trace import printed_lines
from asyncio_notes.render.fit import fit
from asyncio_notes.render.output import output_text, timeline_block
from asyncio_notes.render.steps import dumps_steps, step_data

# Characters of printed output a run may produce before it is stopped (about 200 KB).
OUTPUT_LIMIT = 200_000
# Virtual seconds: ten minutes, far beyond any chapter example. Lower than the build's hour, so a
# runaway `while True: await asyncio.sleep(1)` meets this limit within about a second of real time
# in WebAssembly, even on a busy machine, long before the real-time watchdog (runner.mjs).
TIME_LIMIT = 600.0
# Real seconds a run that keeps yielding may take before it is stopped with what it did so far:
# below the page's 5-second watchdog (runner.mjs), which then only meets code that never awaits.
BUSY_SECONDS = 3.5
# Real seconds the reader's code may run without the event loop having a turn (page: 5 s).
STUCK_SECONDS = 3.5
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
    """Raised by _guard between two rounds of the event loop: a run that keeps awaiting but
    would outlast the page's watchdog. A BaseException, so the reader's `except Exception`
    cannot swallow it."""


class _NeverYields(KeyboardInterrupt):
    """Raised by _guard on a line of the reader's code that has run STUCK_SECONDS since the
    event loop last had a turn: its traceback shows where the code was stuck. Like Ctrl-C (and
    the engine's OutputLimitError), it passes through asyncio's loop and `except Exception`."""


@contextlib.contextmanager
def _guard(heartbeat: Callable[[], object] | None = None) -> Any:
    """Watch a run in real time; yields [rounds of the event loop so far].

    Between two rounds of the loop (in its select(), which returns before the round's callbacks
    run, so no frame of ours is on the stack that debug mode and tracebacks show): calls
    `heartbeat` about every HEARTBEAT_SECONDS, so the page knows the code awaits, and stops a run
    still going after BUSY_SECONDS with _StillBusy, so that it ends with what ran so far.
    On each line of the reader's code (the CPU meter's line hook, cpu.py, which already traces
    them): stops code that has not let the loop turn for STUCK_SECONDS with _NeverYields, raised
    on that line. Both come before the page's watchdog (5 s without a heartbeat), which is left
    for code this cannot see (a long call into C). A round that runs thousands of handles (10,000
    tasks' first steps) is the loop turning too: every 64th handle counts as a turn (checked as
    the tracer notes the handle, before it runs: no frame of ours under the reader's)."""
    start = _real_monotonic()
    deadline = start + BUSY_SECONDS
    rounds, handles, turned, sent, stopped = [0], [0], [start], [start], [False]
    select, on_line, begin = _VirtualSelector.select, CpuMeter._on_line, IterationRecorder.begin

    def turn() -> float:
        """The loop had a turn: the code awaits. Tell the page so, every HEARTBEAT_SECONDS."""
        now = _real_monotonic()
        if heartbeat is not None and now - sent[0] > HEARTBEAT_SECONDS:
            heartbeat()
            sent[0] = now
        turned[0] = now
        return now

    def guarded_begin(recorder: IterationRecorder, handle: Any) -> Any:
        handles[0] += 1
        if not handles[0] % 64:
            turn()
        return begin(recorder, handle)

    def guarded_select(selector: _VirtualSelector, timeout: float | None = None) -> Any:
        rounds[0] += 1
        now = turn()
        if now > deadline and not stopped[0]:
            stopped[0] = True  # once: asyncio.run then cleans up, its rounds unchecked
            raise _StillBusy
        return select(selector, timeout)

    lines = [0]

    def guarded_line(meter: CpuMeter, frame: Any, event: str, arg: Any) -> Any:
        lines[0] += 1
        if not lines[0] % 4096 and _real_monotonic() - turned[0] > STUCK_SECONDS:
            turned[0] = math.inf  # once
            raise _NeverYields
        return on_line(meter, frame, event, arg)

    _VirtualSelector.select = guarded_select  # type: ignore[method-assign]
    CpuMeter._on_line = guarded_line  # type: ignore[method-assign]
    IterationRecorder.begin = guarded_begin  # type: ignore[method-assign]
    try:
        yield rounds
    finally:
        _VirtualSelector.select = select  # type: ignore[method-assign]
        CpuMeter._on_line = on_line  # type: ignore[method-assign]
        IterationRecorder.begin = begin  # type: ignore[method-assign]


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
    "error": message or None, "kind": how the run failed (script.py's kinds, "syntax",
    "busy" or "stuck") or None, "summary": the exception's own line, "line": the reader's line
    it names, "lines": lines printed in all, "elapsed": virtual seconds, "python": version,
    "steps": the stepper's data as JSON text, the build's steps.json bytes for an unchanged
    example}.
    `heartbeat`: see _guard."""
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
    with _isolated(script, stderr), _guard(heartbeat) as rounds:
        trace, error = run_traced(
            script, time_limit=TIME_LIMIT, wait_for_threads=False, output_limit=OUTPUT_LIMIT
        )
        # What the run left in reference cycles (a stopped run's 10,000 never-started
        # coroutines) is collected now, quietly: else the next run's output would show its
        # "never awaited" warnings.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gc.collect()
    written, busy = stderr.getvalue(), None
    if error is not None and error["type"] == _StillBusy.__name__:
        # Its traceback is ours, not the reader's: the message says where the run was instead.
        written = written[: written.rfind("Traceback (most recent call last)")]
        busy = (
            f"{display} was stopped: still running after {BUSY_SECONDS:g} s of real time. It "
            f"does yield to the event loop ({rounds[0]} loop rounds so far, virtual time "
            f"{trace['elapsed']:g} s), it just has a lot to do; the timeline shows what ran."
        )
        error = {"kind": "busy", "type": "", "detail": busy}
    elif error is not None and error["type"] == _NeverYields.__name__:
        # Python's traceback shows where the code was; from our frame on (the innermost), it
        # gives way to why it was stopped.
        why = (
            f"Stopped after {STUCK_SECONDS:g} s of real time without a turn for the event loop: "
            "this code never awaits (a loop such as while True: pass?)"
        )
        cut = written.rfind(f'  File "{__file__}"')
        written = f"{written[:cut].rstrip()}\n{why}.\n"
        busy, error = f"{display}: {why}.", {"kind": "stuck"}
    result = trace_result(display, "virtual", trace, None if busy else error)
    trace, failure = finish(result, written, root)
    # Nothing in the browser can raise a limit: the message alone says what happened.
    message = busy or (None if failure is None else str(failure))
    kind = error["kind"] if error is not None else None
    # A traceback is already in stderr; other failures say why the run ended.
    shown = message if error is not None and kind not in ("exception", "stuck") else None
    printed = printed_lines(trace)
    text = output_text(display, _shown(printed), trace["stderr"][:OUTPUT_LIMIT], shown)
    drawn, cut = fit(trace)
    traced = kind in ("exception", "stuck")  # the reader's line is in the traceback
    return {
        "output": text,
        "timeline": timeline_block(drawn),
        "cut": cut,
        "error": message,
        "kind": kind,
        "summary": _last_exception_line(trace["stderr"]) if kind == "exception" else "",
        "line": _reader_line(display, trace["stderr"] if traced else message or ""),
        "lines": len(printed),
        "elapsed": trace["elapsed"],
        "python": trace["python"],
        "steps": dumps_steps(step_data(trace, script.parent, message)),
    }
