"""A small, guarded adaptation of pytest-examples 0.0.18 for concurrent examples.

pytest-examples writes each printed line as a `#>` comment under the line that called `print`.
With asyncio tasks, prints run out of source order, and the library then drops or misplaces lines
(see tests/test_pytest_examples_adapter.py, which reproduces it). Here every print is recorded
against the *module-level* statement that was running (usually `asyncio.run(main())`), so each
example ends with one chronological transcript. Prints from helper modules (util.py) count too.

It also turns off the library's traceback rewriting (it forges frame objects with ctypes, which
crashes pytest 9's report with an INTERNALERROR); `example_failure` reports the real traceback.

`as_the_build_runs` makes the run the same as the site build's (engine/parent.py): the example's
own file rather than the library's temporary copy (so `__file__` and tracebacks name it), the
same sys.argv, working directory, HOME and environment, and printed paths normalised alike.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_examples import run_code as run_code_module
from pytest_examples.eval_example import EvalExample
from pytest_examples.find_examples import CodeExample
from pytest_examples.run_code import MockPrintFunction

from asyncio_notes.engine.parent import display_path, normalize
from asyncio_notes.engine.pool import child_env

EXPECTED_VERSION = "0.0.18"


def _outermost_example_line(self: MockPrintFunction, inspect_frame: inspect.FrameInfo) -> int:
    """Line of the outermost frame in the example file: the module-level statement running."""
    target = os.path.realpath(self.file)
    frame = inspect_frame.frame
    line = None
    while frame is not None:
        # realpath, not samefile: outer frames include '<frozen ...>' names that do not exist
        if os.path.realpath(frame.f_code.co_filename) == target:
            line = frame.f_lineno
        frame = frame.f_back
    if line is None:
        raise RuntimeError(f"print() called from outside the example {self.file}")
    return line


def _statement_location(example: CodeExample, line_no: int) -> tuple[int, int]:
    """Where to write the `#>` lines: under a print() call on that line, else under the statement,
    indented like it (the library puts them at column 0, which reads badly inside `try:`)."""
    found = run_code_module.find_print(ast.parse(example.source), line_no)
    if found:
        return found
    line = example.source.splitlines()[line_no - 1]
    return line_no, len(line) - len(line.lstrip())


def _include_every_print(file: Path, frame: inspect.FrameInfo, args: Any) -> bool:
    return True


@contextlib.contextmanager
def chronological_prints(eval_example: EvalExample) -> Iterator[None]:
    """Apply the adaptation for one example run."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(MockPrintFunction, "_find_line_number", _outermost_example_line)
        mp.setattr(run_code_module, "find_print_location", _statement_location)
        mp.setattr(eval_example, "include_print", _include_every_print)
        mp.setattr(run_code_module, "create_example_traceback", lambda *args: None)
        yield


@contextlib.contextmanager
def as_the_build_runs(eval_example: EvalExample, path: Path, root: Path) -> Iterator[None]:
    """Run `path` itself, as the build's tracer does (see the module docstring)."""
    stdlib = os.path.dirname(os.__file__)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(eval_example, "_write_file", lambda example: path)
        mp.setattr(eval_example, "print_callback", lambda text: normalize(text, stdlib, root))
        mp.setattr(sys, "argv", [display_path(path, root)])
        mp.chdir(eval_example.tmp_path)
        for key in list(os.environ):
            mp.delenv(key)
        for key, value in child_env(eval_example.tmp_path).items():
            mp.setenv(key, value)
        yield


def example_failure(exc: BaseException, example: Path) -> str:
    """The example's traceback, from its own first frame (pytest's frames left out)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != str(example):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
