"""The CPU cost model: work in the script's own code takes virtual time.

Under the virtual clock, every line of the script's own code (files in the script's folder) that
runs during a task step moves the clock on by LINE_COST, 1 µs. The cost is counted, not measured, so
the trace is the same on every machine and run. Line events are counted with sys.settrace, which
CPython 3.11-3.14 and Pyodide all have (sys.monitoring is 3.12+). The count is made the same on each
version: a line an exception passes through is not counted twice (3.13+ reports it again), nor the
entry into a comprehension's own frame (3.11 has one, 3.12+ inline it); tests/test_cpu_cost.py
compares traces across versions (Pyodide 3.14 gave the same counts as 3.12 and 3.13 when checked by
hand). Only the loop's thread is counted: executor threads are outside work, which the clock models
itself (clock.py). A line costs the same whatever it does: `total += i` and a call that takes a
second in C are both 1 µs; blocking calls are `time.sleep` or not modelled.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Virtual seconds one line of the script's own code costs (see the module docstring).
LINE_COST = 1e-6
# Comprehensions that 3.11 runs in frames of their own and 3.12+ inline (PEP 709).
_INLINED = {"<listcomp>", "<dictcomp>", "<setcomp>"}


class CpuMeter:
    """Charges LINE_COST of virtual time for each line that runs, in the script's own files,
    while a task step runs in the thread that installed it."""

    def __init__(self, clock: Any, folder: Path) -> None:
        self.clock = clock
        self.folder = str(folder.resolve())
        self.steps = 0  # task steps running (an eager task's first step runs inside another's)
        self._own: dict[str, bool] = {}
        self._raised_at: tuple[types.FrameType, int] | None = None
        self._entered: types.FrameType | None = None
        self._line = self._on_line  # one bound method, returned for every line

    def _on_call(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        filename = frame.f_code.co_filename
        own = self._own.get(filename)
        if own is None:
            own = self._own[filename] = os.path.dirname(os.path.abspath(filename)) == self.folder
        if own and frame.f_code.co_name in _INLINED:
            # 3.11 enters the comprehension's own frame on its line, which 3.12+ (running it inline)
            # does not report again; each round's line comes in both.
            self._entered = frame
        return self._line if own else None

    def _on_line(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        # The common case first, as cheap as it can be: it runs for every line of the script.
        if event == "line" and self._raised_at is None and self._entered is None:
            if self.steps:
                self.clock.now += LINE_COST
            return self._line
        if event == "line":
            # 3.13+ repeats the line an exception passed through (3.11 and 3.12 do not).
            repeated = self._raised_at == (frame, frame.f_lineno) or self._entered is frame
            if self.steps and not repeated:
                self.clock.now += LINE_COST
            self._entered = None
        self._raised_at = (frame, frame.f_lineno) if event == "exception" else None
        return self._line

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        previous = sys.gettrace()
        sys.settrace(self._on_call)
        try:
            yield
        finally:
            sys.settrace(previous)
