"""The trace: what one traced run recorded, as plain JSON-ready data (one definition of its shape).

All times are seconds from the first moment the first event loop scheduled work.
"""

from __future__ import annotations

import json
from typing import TypedDict


class Wait(TypedDict):
    start: float
    end: float | None  # None: still waiting when the run ended
    on: str  # what the task waited on: `sleep(1)`, `Task-2`, `gather(Task-2, Task-3)`


class TaskTrace(TypedDict):
    id: int
    name: str  # Task-N (or the name given with set_name)
    coro: str  # `delay(3)`
    parent: str | None  # the task that created it; None outside any task
    created: float
    finished: float | None
    outcome: str  # result, exception, cancelled or pending
    result: str | None  # repr of the result
    exception: str | None  # repr of the exception
    steps: list[list[float]]  # [start, end] of each run step
    waits: list[Wait]  # between steps
    ready: list[list[float]]  # [start, end]: woken, waiting for the loop to run it


class Print(TypedDict):
    time: float
    task: str | None  # the task that printed; None outside any task
    text: str  # one or more lines, without the last newline


class Trace(TypedDict):
    script: str  # as given to `python`, relative to the root
    python: str  # `3.11`
    clock: str  # virtual or real
    elapsed: float
    tasks: list[TaskTrace]
    prints: list[Print]
    stderr: str  # paths normalized: relative to the root, <stdlib>/ for the standard library


def dumps(trace: Trace) -> str:
    """The published form of a trace: stable key order, so equal traces are equal bytes."""
    return json.dumps(trace, indent=2, sort_keys=True, ensure_ascii=False)


def printed_lines(trace: Trace) -> list[str]:
    """What the script printed (stdout and stderr prints), one string per line."""
    return [line for p in trace["prints"] for line in p["text"].split("\n")]
