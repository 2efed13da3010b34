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


class Handle(TypedDict, total=False):
    """A handle in the ready queue or a timer: a task step, or a plain callback."""

    task: str | None  # the task whose step it runs; None for a plain callback
    callback: str  # a callback's name: `_set_result_unless_cancelled` (a sleep's timer), ...
    wakes: list[str]  # the tasks a callback will wake (or cancel)
    when: float  # a timer's deadline
    more: int  # the last entry of a long list: how many more are not shown (iterations.SHOWN)


class Ran(TypedDict, total=False):
    """One handle an iteration ran, and the ready queue and timers right after it."""

    task: str | None
    callback: str
    wakes: list[str]
    time: float
    eager: bool  # an eager task's first step, run inside the handle before it
    resumed: list[list[str | int]]  # [file, line], outermost first (the script's own files)
    suspended: list[list[str | int]]  # where the step stopped; [] when the task finished
    awaits: str | None  # what the task then waits on (as in Wait.on); None when it finished
    outcome: str | None  # result, exception or cancelled when the step finished the task
    ready: list[Handle]
    timers: list[Handle]


class Iteration(TypedDict):
    """One loop iteration that ran the program's handles (BaseEventLoop._run_once)."""

    time: float  # when it began to run them
    ready: list[Handle]  # its ready queue then: what it runs, in order
    timers: list[Handle]  # the timers still pending then, by deadline
    ran: list[Ran]


class Trace(TypedDict):
    script: str  # as given to `python`, relative to the root
    python: str  # `3.11`
    clock: str  # virtual or real
    elapsed: float
    tasks: list[TaskTrace]
    prints: list[Print]
    iterations: list[Iteration]  # the loop's story (engine/iterations.py)
    iterations_cut: int  # handles left out past iterations.MAX_HANDLES
    stderr: str  # paths normalized: relative to the root, <stdlib>/ for the standard library


def dumps(trace: Trace) -> str:
    """The published form of a trace: stable key order, so equal traces are equal bytes."""
    return json.dumps(trace, indent=2, sort_keys=True, ensure_ascii=False)


def printed_lines(trace: Trace) -> list[str]:
    """What the script printed (stdout and stderr prints), one string per line."""
    return [line for p in trace["prints"] for line in p["text"].split("\n")]


def loop_story(trace: Trace) -> list[list[str]]:
    """What each loop iteration ran, in order: a task step as the task's name, a callback as
    `callback:NAME`. Equal for a virtual and a real run when the engine schedules as CPython."""
    return [
        [entry["task"] or f"callback:{entry['callback']}" for entry in iteration["ran"]]
        for iteration in trace["iterations"]
    ]
