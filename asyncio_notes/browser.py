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
import sys
import warnings
from pathlib import Path
from typing import Any

from asyncio_notes.engine.parent import finish
from asyncio_notes.engine.script import run_traced, trace_result
from asyncio_notes.engine.trace import printed_lines
from asyncio_notes.render.output import output_text, timeline_block
from asyncio_notes.render.steps import dumps_steps, step_data

# Characters of printed output a run may produce before it is stopped (about 200 KB).
OUTPUT_LIMIT = 200_000
# Virtual seconds: ten minutes, far beyond any chapter example. Lower than the build's hour, so a
# runaway `while True: await asyncio.sleep(1)` meets this limit within about a second of real time
# in WebAssembly, even on a busy machine, long before the real-time watchdog (runner.mjs).
TIME_LIMIT = 600.0


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


def run_example(display: str, source: str | None = None) -> dict[str, Any]:
    """Run the example at `display` (relative to the working directory), with the reader's
    `source` if given. Returns {"output": Output text, "timeline": Timeline block or "",
    "error": message or None, "elapsed": virtual seconds, "python": version, "steps": the
    stepper's data as JSON text, the build's steps.json bytes for an unchanged example}."""
    root = Path.cwd()
    script = root / display
    if source is not None:
        script.write_text(source, encoding="utf-8")
    stderr = io.StringIO()
    with _isolated(script, stderr):
        trace, error = run_traced(
            script, time_limit=TIME_LIMIT, wait_for_threads=False, output_limit=OUTPUT_LIMIT
        )
    trace, failure = finish(trace_result(display, "virtual", trace, error), stderr.getvalue(), root)
    # Nothing in the browser can raise a limit: the message alone says what happened.
    message = None if failure is None else str(failure)
    # An exception's traceback is already in stderr; other failures say why the run ended.
    shown = message if error is not None and error["kind"] != "exception" else None
    text = output_text(display, printed_lines(trace), trace["stderr"][:OUTPUT_LIMIT], shown)
    return {
        "output": text,
        "timeline": timeline_block(trace) if trace["tasks"] else "",
        "error": message,
        "elapsed": trace["elapsed"],
        "python": trace["python"],
        "steps": dumps_steps(step_data(trace, script.parent, message)),
    }
