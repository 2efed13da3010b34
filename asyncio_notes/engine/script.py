"""Run a whole script as `__main__` under the tracer (instrument.py), the virtual clock (loop.py)
and the CPU cost model (cpu.py), in this process: the child process and the browser both call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import time
import traceback
import types
from pathlib import Path
from typing import Any

from asyncio_notes.engine.clock import DeadlockError, SpinError, TimeLimitError
from asyncio_notes.engine.cpu import CpuMeter
from asyncio_notes.engine.instrument import OutputLimitError, _Tracer
from asyncio_notes.engine.loop import installed


def run_traced(
    path: Path,
    *,
    real: bool = False,
    time_limit: float = 3600.0,
    wait_for_threads: bool = True,
    output_limit: int | None = None,
) -> tuple[dict[str, Any], dict[str, str] | None]:
    """Run the script at `path` as `__main__` under the tracer; return the trace (without
    `script`, `python` and `stderr`) and how it failed (None if it did not)."""
    with contextlib.ExitStack() as stack:
        if real:
            tracer = _Tracer(time.perf_counter, output_limit=output_limit)
        else:
            virtual = stack.enter_context(installed(time_limit=time_limit))
            meter = CpuMeter(virtual, path.parent)
            tracer = _Tracer(lambda: virtual.now, meter, output_limit)
            stack.enter_context(meter.installed())
        stack.enter_context(tracer.install())
        error = run_script(path)
        if wait_for_threads:
            # The script ends, as `python script.py` does, once its threads have finished
            # (executor workers included); their prints belong to the trace.
            threading._shutdown()  # type: ignore[attr-defined]
        return tracer.trace(tracer.clock()), error


def trace_result(
    display: str, clock: str, trace: dict[str, Any], error: dict[str, str] | None
) -> dict[str, Any]:
    """What a run reports, for parent.finish(): the trace plus the script's name as shown, the
    Python version, where this Python's stdlib is (to shorten paths) and how the run failed."""
    return {
        "script": display,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "clock": clock,
        **trace,
        "stdlib": os.path.dirname(os.__file__),
        "error": error,
    }


def run_script(path: Path) -> dict[str, str] | None:
    """Run the script as __main__; report how it failed, printing its traceback as Python would."""
    try:
        code = compile(path.read_bytes(), str(path), "exec")
    except SyntaxError as exc:  # as `python script` reports it: where, without a traceback
        text = "".join(traceback.format_exception_only(exc))
        sys.stderr.write(text)
        return {"kind": "exception", "type": type(exc).__name__, "detail": text}
    # Debug mode keeps this many frames of where coroutines and tasks were created; count ours
    # (all below the example's, and dropped from the output) so that the example's all stay.
    depth = asyncio.constants.DEBUG_STACK_DEPTH
    asyncio.constants.DEBUG_STACK_DEPTH += len(traceback.extract_stack())
    module = types.ModuleType("__main__")
    module.__file__ = str(path)
    module.__builtins__ = __builtins__  # type: ignore[attr-defined]
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        return _exec_script(code, module)
    finally:
        # The browser runs many scripts in one interpreter: leave it as it was.
        asyncio.constants.DEBUG_STACK_DEPTH = depth
        if main is not None:
            sys.modules["__main__"] = main


def _exec_script(code: types.CodeType, module: types.ModuleType) -> dict[str, str] | None:
    try:
        exec(code, module.__dict__)
    except SystemExit as exc:
        if exc.code in (None, 0):
            return None
        if not isinstance(exc.code, int):
            print(exc.code, file=sys.__stderr__)
        return {"kind": "exit", "type": "SystemExit", "detail": str(exc.code)}
    except BaseException as exc:
        kinds = {
            DeadlockError: "deadlock",
            TimeLimitError: "time_limit",
            SpinError: "spin",
            OutputLimitError: "output_limit",
        }
        if type(exc) in kinds:
            return {"kind": kinds[type(exc)], "type": type(exc).__name__, "detail": str(exc)}
        text = "".join(traceback.format_exception(exc.with_traceback(exc.__traceback__.tb_next)))
        sys.stderr.write(text)
        return {"kind": "exception", "type": type(exc).__name__, "detail": text}
    return None
