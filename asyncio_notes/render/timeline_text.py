"""The timeline as text: an HTML list that stands in for the Mermaid chart where no JavaScript
runs, one item per task, with every label in full (HTML-escaped, not sanitized for Mermaid)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from asyncio_notes.render.timeline_labels import task_title, wait_label


def seconds_label(t: float) -> str:
    return f"{round(t, 3):g} s"


def text_timeline(trace: Mapping[str, Any]) -> str:
    """The timeline as an HTML list, one item per task: what it printed and waited on, in full,
    and how it ended if that was bad."""
    prints = list(trace.get("prints", []))
    items = []
    for task in sorted(trace.get("tasks", []), key=lambda task: task.get("id", 0)):
        events = [
            (p["time"], 0, f"“{p['text']}”") for p in prints if p.get("task") == task.get("name")
        ]
        events += [(w["start"], 1, wait_label(w.get("on"))) for w in task.get("waits", [])]
        outcome = {"exception": task.get("exception") or "exception", "cancelled": "cancelled"}
        if task.get("outcome") in outcome:
            events.append((task.get("finished") or 0.0, 2, outcome[task["outcome"]]))
        text = " · ".join(f"{seconds_label(t)} {what}" for t, _, what in sorted(events))
        items.append(f"<li>{html.escape(task_title(task))}: {html.escape(text)}</li>")
    stray = [
        p for p in prints if p.get("task") not in {t.get("name") for t in trace.get("tasks", [])}
    ]
    if stray:
        text = " · ".join(f"{seconds_label(p['time'])} “{p['text']}”" for p in stray)
        items.append(f"<li>outside tasks: {html.escape(text)}</li>")
    return '<ul class="timeline-text">' + "".join(items) + "</ul>"
