"""Where a trace's timeline is drawn: one section per task, its bars in chart milliseconds.

Each task's first row is what it is doing, one bar after another:
  running steps  green "CPU working" bars (`step`),
  waits          neutral bars labelled with what the task awaits: `sleep(3)`, `await Task-2`
                 (`wait`),
  ready spans    amber bars: ready to run but waiting for the event loop (`ready`).
Further rows hold milestones: each `print()` (labelled with the printed text, shortened) and, in
red, an exception or a cancellation that ended the task; each is followed by an invisible
`spacer` as long as its label. gantt.py writes all of this as Mermaid source.

One thing at a time (`Layout`): every stretch of running code, in every task, is drawn after the
one before it, at its own time unless the one before (widened) is still being drawn, so a vertical
line crosses at most one green bar. Steps often take (almost) no time, so each is drawn at least
MIN_STEP_PX wide; `min_step_ms(trace)` gives that width in trace milliseconds. The axis can run a
little ahead of trace time right after a burst of such steps. Prints are drawn on the step that
made them. The layout depends only on the trace: the same trace, the same bars.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from asyncio_notes.render.timeline_labels import (
    MAX_PRINT_CHARS,
    MAX_SECTION_CHARS,
    MAX_SECTION_PX,
    READY_LABEL,
    SPACER_LABEL,
    STEP_LABEL,
    chars_within,
    gantt_label,
    task_title,
    text_px,
    wait_label,
)

# Sizes in CSS pixels.
BAR_HEIGHT = 22  # Mermaid's default (20 px) is too small to read
MIN_STEP_PX = 6  # a zero-width CPU step is drawn this wide
TIMELINE_PX = 280  # the trace's elapsed time is spread over about this many pixels
MIN_SPAN_MS = 100  # a trace that took no time at all still gets an axis
MAX_PX_PER_MS = 4.0


def ms(seconds: float) -> int:
    return round(seconds * 1000)


@dataclass(frozen=True)
class Bar:
    kind: str  # step, wait, ready, spacer, or milestone
    label: str  # sanitized (gantt_label)
    start: int  # ms
    end: int  # ms
    error: bool = False  # a milestone that ended the task badly
    full: str | None = None  # the whole text of a label that was cut


@dataclass(frozen=True)
class Scale:
    """How trace time maps to pixels, fixed before anything is laid out."""

    px_per_ms: float
    span_ms: int

    @property
    def min_step_ms(self) -> int:
        return max(1, math.ceil(MIN_STEP_PX / self.px_per_ms))

    def to_ms(self, px: float) -> int:
        return math.ceil(px / self.px_per_ms)


def trace_end(trace: Mapping[str, Any]) -> float:
    """The latest instant (seconds) the trace mentions: its elapsed time, unless something ran
    later."""
    times = [trace.get("elapsed") or 0.0]
    for task in trace.get("tasks", []):
        times += [task.get("created") or 0.0, task.get("finished") or 0.0]
        times += [end for _, end in task.get("steps", []) + task.get("ready", [])]
        times += [wait["end"] for wait in task.get("waits", []) if wait.get("end") is not None]
    times += [p["time"] for p in trace.get("prints", [])]
    return max(times)


def trace_end_ms(trace: Mapping[str, Any]) -> int:
    return ms(trace_end(trace))


def scale_for(trace: Mapping[str, Any]) -> Scale:
    span = max(trace_end_ms(trace), MIN_SPAN_MS)
    return Scale(px_per_ms=min(TIMELINE_PX / span, MAX_PX_PER_MS), span_ms=span)


def min_step_ms(trace: Mapping[str, Any]) -> int:
    """The width, in trace milliseconds, that a zero-width CPU step is drawn with."""
    return scale_for(trace).min_step_ms


@dataclass
class Segment:
    """A stretch of time during which one task's code ran: a step, or part of one."""

    task: int  # index into the tasks, ordered by id
    step: int  # index into that task's steps
    start: float  # trace seconds
    end: float
    x0: int = 0  # where it is drawn, in ms of the chart's axis
    x1: int = 0


def run_segments(tasks: list[Mapping[str, Any]]) -> list[Segment]:
    """Every stretch of running code, in the order it ran.

    Steps are taken in the order the tracer numbered them (`order`), else by time. A step that
    starts inside another (an eager task's first step runs inside the call that created it)
    splits that one around it: only one piece of code runs at a time."""
    steps = []
    for ti, task in enumerate(tasks):
        order = task.get("order") or []
        for si, (start, end) in enumerate(task.get("steps", [])):
            rank = order[si] if si < len(order) else 0
            steps.append((rank, start, end, ti, si))
    segments: list[Segment] = []
    stack: list[list[Any]] = []  # [task, step, running since, end] of steps under way

    def close(until: float) -> None:
        while stack and stack[-1][3] <= until:
            ti, si, since, end = stack.pop()
            segments.append(Segment(ti, si, since, max(since, end)))
            if stack:
                stack[-1][2] = max(stack[-1][2], end)

    for _, start, end, ti, si in sorted(steps):
        close(start)
        if stack:  # nested: the outer step ran until this one started
            outer = stack[-1]
            segments.append(Segment(outer[0], outer[1], outer[2], max(outer[2], start)))
            outer[2] = max(outer[2], start)
        stack.append([ti, si, start, max(start, end)])
    close(math.inf)
    return segments


class Layout:
    """Where things are drawn: every running segment one after another, each at least the
    minimum width, so that a vertical line crosses at most one green bar. A segment starts at
    its own time unless the one before it (widened) is still being drawn; everything else
    (waits, ready spans, prints) is placed relative to the segments around it."""

    def __init__(self, tasks: list[Mapping[str, Any]], scale: Scale, end: float) -> None:
        self.segments = run_segments(tasks)
        cursor = 0
        for seg in self.segments:
            seg.x0 = max(ms(seg.start), cursor)
            seg.x1 = seg.x0 + max(scale.min_step_ms, ms(seg.end) - ms(seg.start))
            cursor = seg.x1
        self.ends = [seg.end for seg in self.segments]
        self.of_step: dict[tuple[int, int], list[Segment]] = {}
        for seg in self.segments:
            self.of_step.setdefault((seg.task, seg.step), []).append(seg)
        self.end_x = max(self.at(end), cursor)

    def at(self, t: float) -> int:
        """Where an instant that belongs to no particular step is drawn."""
        i = bisect.bisect_right(self.ends, t)  # segments[:i] ended by t
        if i < len(self.segments) and self.segments[i].start < t:
            return self.inside(self.segments[i], t)
        return max(ms(t), self.segments[i - 1].x1 if i else 0)

    @staticmethod
    def inside(seg: Segment, t: float) -> int:
        """An instant of a segment, kept within its bar (so a print stays off its row)."""
        width = seg.x1 - seg.x0
        if seg.end <= seg.start:
            return seg.x0 + width // 2
        fraction = min(max((t - seg.start) / (seg.end - seg.start), 0.0), 1.0)
        return seg.x0 + min(width - 1, math.floor(fraction * width))

    def step_start(self, ti: int, si: int) -> int:
        return self.of_step[(ti, si)][0].x0

    def step_end(self, ti: int, si: int) -> int:
        return self.of_step[(ti, si)][-1].x1

    def task_segments(self, ti: int) -> list[Segment]:
        return [seg for seg in self.segments if seg.task == ti]


def activity_bars(ti: int, task: Mapping[str, Any], layout: Layout) -> list[Bar]:
    """The task's first row: its steps, what it waited on between them, and when it was ready
    but the loop was busy (a ready span ends a wait early). The bars never overlap, so Mermaid
    keeps them on one row."""
    steps = task.get("steps", [])
    rank = {"ready": 0, "step": 1, "wait": 2}  # at one place: ready, then run, then wait
    items = [(seg.x0, rank["step"], seg.x1, "step", STEP_LABEL) for seg in layout.task_segments(ti)]
    for k, wait in enumerate(task.get("waits", [])):
        x0 = layout.step_end(ti, k) if k < len(steps) else layout.at(wait["start"])
        if wait.get("end") is None:
            x1 = layout.end_x
        else:
            x1 = layout.step_start(ti, k + 1) if k + 1 < len(steps) else layout.at(wait["end"])
        items.append((x0, rank["wait"], x1, "wait", wait_label(wait.get("on"))))
    next_step = 0
    for ready_start, ready_end in task.get("ready", []):
        # The step this span led to: the next one starting at or after its end.
        while next_step < len(steps) and steps[next_step][0] < ready_end:
            next_step += 1
        x1 = layout.step_start(ti, next_step) if next_step < len(steps) else layout.at(ready_end)
        next_step += 1
        items.append((min(layout.at(ready_start), x1), rank["ready"], x1, "ready", READY_LABEL))
    items.sort()
    bars: list[Bar] = []
    for i, (x0, _, x1, kind, label) in enumerate(items):
        if kind == "step":  # steps stay where the layout put them; what overlaps one gives way
            while bars and bars[-1].kind != "step" and bars[-1].end > x0:
                last = bars.pop()
                if last.start < x0:
                    bars.append(dataclasses.replace(last, end=x0))
            bars.append(Bar(kind, label, x0, x1))
            continue
        if kind == "wait":  # until whatever comes next on the row (a ready span, a step)
            x1 = min([x1] + [later[0] for later in items[i + 1 :] if later[0] > x0])
        if bars:
            x0 = max(x0, bars[-1].end)
        if x1 > x0:  # else nothing is left to draw
            bars.append(Bar(kind, gantt_label(label), x0, x1))
    return bars


def milestone_bars(marks: Iterable[tuple[int, str, bool]], scale: Scale) -> list[Bar]:
    """Milestones, each followed by an invisible spacer as long as its label.

    Mermaid's compact mode puts a bar on the first row where it fits; the spacer keeps the next
    milestone off that row while this one's label is in the way."""
    bars = []
    # A label may reach as far right as one of MAX_PRINT_CHARS at the axis's end would: cut by
    # the room there is, not by a count (a print early in a long chart has room to spare).
    reach = scale.span_ms * scale.px_per_ms + text_px("n" * MAX_PRINT_CHARS)
    for x, text, error in marks:
        keep = chars_within(text, reach - x * scale.px_per_ms, MAX_PRINT_CHARS)
        label, full = gantt_label(text, keep), gantt_label(text)
        # The label starts half a diamond plus 5 px right of the instant; keep a gap after it.
        room = scale.to_ms(BAR_HEIGHT / 2 + 5 + text_px(label) + 8)
        bars.append(Bar("milestone", label, x, x, error, full if full != label else None))
        bars.append(Bar("spacer", SPACER_LABEL, x, x + room))
    return bars


def task_marks(
    ti: int, task: Mapping[str, Any], prints: list[Mapping[str, Any]], layout: Layout
) -> list[tuple[int, str, bool]]:
    """(x, text, is_error) for what the task printed, and for how it ended if that was bad.
    A print is drawn on the step that made it (a milestone off its bar would take the row)."""
    segments = layout.task_segments(ti)
    marks = []
    i = 0
    for p in prints:
        # The last of the task's segments to start by then; ties go to the earliest that fits.
        while i + 1 < len(segments) and segments[i].end < p["time"] >= segments[i + 1].start:
            i += 1
        x = layout.inside(segments[i], p["time"]) if segments else layout.at(p["time"])
        marks.append((x, str(p["text"]), False))
    if task.get("finished") is not None and segments:
        finished = segments[-1].x1 - 1
    else:
        finished = layout.at(task.get("finished") or 0.0) if task.get("finished") else layout.end_x
    if task.get("outcome") == "exception":
        marks.append((finished, str(task.get("exception") or "exception"), True))
    elif task.get("outcome") == "cancelled":
        marks.append((finished, "cancelled", True))
    return sorted(marks, key=lambda mark: mark[0])  # stable: prints keep their order


def section_title(task: Mapping[str, Any]) -> tuple[str, str]:
    """(title as drawn, full title): Task-N and the coroutine it runs."""
    title = task_title(task)
    keep = chars_within(title, MAX_SECTION_PX, MAX_SECTION_CHARS)
    return gantt_label(title, keep), gantt_label(title)


@dataclass(frozen=True)
class Section:
    title: str
    bars: list[Bar]
    full_title: str = ""


def sections_for(trace: Mapping[str, Any], scale: Scale) -> list[Section]:
    """The chart's sections, one per task in id order (and one for prints made outside any task),
    with their bars laid out on `scale`."""
    prints = list(trace.get("prints", []))
    tasks = sorted(trace.get("tasks", []), key=lambda task: task.get("id", 0))
    layout = Layout(tasks, scale, trace_end(trace))
    names = {task.get("name") for task in tasks}
    sections = []
    for ti, task in enumerate(tasks):
        own = [p for p in prints if p.get("task") == task.get("name")]
        # Activity first: among bars that start together, Mermaid places the first declared first.
        bars = activity_bars(ti, task, layout)
        bars += milestone_bars(task_marks(ti, task, own, layout), scale)
        if not bars:  # a task that never ran: a hidden bar keeps its row (Mermaid drops empty ones)
            created = layout.at(task.get("created") or 0.0)
            bars = [Bar("spacer", SPACER_LABEL, created, created)]
        title, full_title = section_title(task)
        sections.append(Section(title, bars, full_title))
    stray = [p for p in prints if p.get("task") not in names]
    if stray:  # printed outside any task (before asyncio.run, or by a thread)
        marks = [(layout.at(p["time"]), str(p["text"]), False) for p in stray]
        sections.append(Section(gantt_label("outside tasks"), milestone_bars(marks, scale)))
    if sections:  # a hidden bar that starts the axis at 0 (declared first, it takes no row)
        first = sections[0]
        sections[0] = Section(
            first.title, [Bar("spacer", SPACER_LABEL, 0, 0), *first.bars], first.full_title
        )
    return sections
