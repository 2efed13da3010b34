"""A trace cut down to a timeline that can be drawn: the reader's runs (browser.py) and the CLI's
`--html` page may be of any size, and Mermaid refuses big charts ("Maximum text size") while the
layout of tens of thousands of steps takes minutes. `fit(trace)` keeps the first MAX_TASKS tasks
up to the moment the chart would pass MAX_EVENTS steps and prints, and says what it left out.
A run without tasks is drawn as the script's main thread alone. The build never calls this: its
examples are drawn whole.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, TypedDict

MAX_TASKS = 40
MAX_EVENTS = 400  # running steps and prints drawn, over all tasks
MAX_LABEL = 200  # characters of what a task waits on, in a cut chart


class Cut(TypedDict):
    tasks: int  # in the run
    events: int  # steps and prints in the run
    shown_tasks: int
    until: float | None  # seconds: the chart stops here (None: it shows the whole run)


def _clip(span: list[float], until: float) -> list[float]:
    return [span[0], min(span[1], until)]


def _main_alone(trace: Mapping[str, Any]) -> dict[str, Any]:
    """A run that made no task: one section, `main`, running from start to end, with its prints."""
    out = copy.deepcopy(dict(trace))
    end = max([trace.get("elapsed") or 0.0, *(p["time"] for p in trace.get("prints", []))])
    out["tasks"] = [
        {
            "id": 0,
            "name": "main",
            "coro": "(no tasks)",
            "parent": None,
            "created": 0.0,
            "finished": end,
            "outcome": "result",
            "result": None,
            "exception": None,
            "steps": [[0.0, end]],
            "waits": [],
            "ready": [],
        }
    ]
    for entry in out["prints"]:
        entry["task"] = "main"
    return out


def fit(trace: Mapping[str, Any]) -> tuple[dict[str, Any], Cut | None]:
    """The trace to draw, and what was cut from it (None: nothing)."""
    if not trace.get("tasks"):
        trace = _main_alone(trace)
    tasks = sorted(trace["tasks"], key=lambda task: task.get("id", 0))
    prints = list(trace.get("prints", []))
    events = sum(len(task.get("steps", [])) for task in tasks) + len(prints)
    if len(tasks) <= MAX_TASKS and events <= MAX_EVENTS:
        return dict(trace), None
    kept = tasks[:MAX_TASKS]
    names = {task.get("name") for task in kept}
    times = sorted(
        [step[0] for task in kept for step in task.get("steps", [])]
        + [p["time"] for p in prints if p.get("task") in names or p.get("task") is None]
    )
    until = times[MAX_EVENTS] if len(times) > MAX_EVENTS else None
    out = {key: value for key, value in trace.items() if key not in ("tasks", "prints")}
    out["tasks"], out["prints"] = [], []
    for task in kept:
        if until is not None and task.get("created", 0.0) >= until and out["tasks"]:
            continue
        task = copy.deepcopy(task)
        if until is not None:
            steps = [i for i, s in enumerate(task.get("steps", [])) if s[0] < until]
            task["steps"] = [_clip(task["steps"][i], until) for i in steps]
            if task.get("order"):
                task["order"] = [task["order"][i] for i in steps if i < len(task["order"])]
            task["ready"] = [_clip(r, until) for r in task.get("ready", []) if r[0] < until]
            task["waits"] = [
                {**w, "end": None if w["end"] is None or w["end"] > until else w["end"]}
                for w in task.get("waits", [])
                if w["start"] < until
            ]
            if task.get("finished") is not None and task["finished"] > until:
                task.update(finished=None, outcome="pending", result=None, exception=None)
        for wait in task.get("waits", []):  # `gather(Task-2, ..., Task-10001)`
            if len(str(wait.get("on"))) > MAX_LABEL:
                wait["on"] = str(wait["on"])[: MAX_LABEL - 1] + "…"
        out["tasks"].append(task)
    shown = {task.get("name") for task in out["tasks"]}
    # Prints at the cut's very instant (a burst of them) fill what the steps left of the budget.
    room = MAX_EVENTS - sum(len(task["steps"]) for task in out["tasks"])
    out["prints"] = [
        p
        for p in prints
        if (p.get("task") in shown or p.get("task") is None)
        and (until is None or p["time"] <= until)
    ][: max(room, 0)]
    if until is not None:
        out["elapsed"] = until
    cut: Cut = {
        "tasks": len(tasks),
        "events": events,
        "shown_tasks": len(out["tasks"]),
        "until": until,
    }
    return out, cut
