"""Render a trace (engine/trace.py) as a Mermaid gantt timeline: one section per task.

Each task's first row is what it is doing, one bar after another:
  running steps  green "CPU working" bars (gantt tag `done`),
  waits          neutral bars labelled with what the task awaits: `sleep(3)`, `await Task-2`
                 (`active`),
  ready spans    amber bars: ready to run but waiting for the event loop (`crit`).
Further rows hold milestones: each `print()` (labelled with the printed text, shortened) and, in
red, an exception or a cancellation that ended the task.

Choices a caption may need to state:
- Steps take (almost) no time, so a step is drawn at least MIN_STEP_PX wide; `min_step_ms(trace)`
  gives that width in trace milliseconds, and the output repeats it in a `%%` comment. A bar label
  that does not fit inside its bar is hidden (print labels always show).
- The axis counts seconds from the start of the trace (`dateFormat x`; `axisFormat` uses %S and %L,
  which the reader's time zone cannot shift). It wraps after 59 s.
- The chart has a fixed pixel width (`useMaxWidth: false`): on a phone it scrolls sideways instead
  of shrinking (overrides/assets/stylesheets/diagrams.css lets the diagram scroll).
- Colours and the font come from the project's own CSS variables (`--notes-timeline-*`, with
  fallbacks) through a `themeCSS` in the diagram's front matter; the site's stylesheet defines them.

Labels are sanitized (`gantt_label`): Mermaid's gantt syntax cannot carry `:` `;` `#` or a leading
`%`, and the diagram source reaches the browser unescaped inside HTML (mermaid2's fence), so `<` `>`
`&` become look-alikes too. The output depends only on the trace: the same trace, the same text.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Sizes in CSS pixels. Mermaid's defaults (11 px text, 20 px bars) are too small to read.
FONT_PX = 13
AXIS_FONT_PX = 13
BAR_HEIGHT = 22
BAR_GAP = 6
TOP_PADDING = 50  # the bottom axis is drawn at height - 50: less would put it across the last row
MIN_STEP_PX = 6  # a zero-width CPU step is drawn this wide
TIMELINE_PX = 280  # the trace's elapsed time is spread over about this many pixels
MIN_SPAN_MS = 100  # a trace that took no time at all still gets an axis
MAX_PX_PER_MS = 4.0
LABEL_WIDTH_MARGIN = 0.1  # a print label may render 10% wider than text_px() and stay in place
MAX_PRINT_CHARS = 24
MAX_SECTION_CHARS = 24
TICK_MIN_PX = 64  # room per axis label ("3 s")
TICK_MIN_PX_FRACTION = 100  # room per axis label with milliseconds ("0.250 s")
TICK_CHOICES_MS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500)
TICK_CHOICES_MS += (1000, 2000, 5000, 10000, 15000, 30000)

# Gantt tags, and so CSS classes (done0, active0, ...), by meaning. `active, crit` marks an
# invisible spacer that reserves room for a milestone's label so that labels never overlap.
TAGS = {"step": "done", "wait": "active", "ready": "crit", "spacer": "active, crit"}
STEP_LABEL = "running"
READY_LABEL = "ready"
SPACER_LABEL = "·"

# Rendered inside the SVG (Material puts it in a closed shadow root, out of reach of page CSS).
# Custom properties inherit into the shadow root; only the project's own (--notes-timeline-*).
THEME_CSS = """
text { font-family: var(--notes-timeline-font, sans-serif); }
.sectionTitle { fill: var(--notes-timeline-text, #222) !important; }
.section { stroke: none; opacity: 1; }
.section0 { fill: var(--notes-timeline-band, rgba(0, 0, 0, 0.07)); }
.section1 { fill: transparent; }
.grid .tick { stroke: var(--notes-timeline-grid, rgba(0, 0, 0, 0.32)); opacity: 0.6; }
.grid .tick text { fill: var(--notes-timeline-text, #222) !important; font-size: %(axis)spx; }
.grid path { stroke-width: 0; }
.task { stroke-width: 1.5; }
.done0, .done1 {
  fill: var(--notes-timeline-cpu, #2e7d32);
  stroke: var(--notes-timeline-cpu, #2e7d32);
}
.doneText0, .doneText1 { fill: var(--notes-timeline-cpu-text, #fff) !important; }
.active0, .active1 {
  fill: var(--notes-timeline-wait, rgba(0, 0, 0, 0.07));
  stroke: var(--notes-timeline-wait-border, rgba(0, 0, 0, 0.32));
}
.activeText0, .activeText1, .critText0, .critText1 {
  fill: var(--notes-timeline-text, #222) !important;
}
.crit0, .crit1 {
  fill: var(--notes-timeline-ready, #ffe082);
  stroke: var(--notes-timeline-ready-border, #ff8f00);
}
.milestone {
  fill: var(--notes-timeline-print, #1565c0);
  stroke: var(--notes-timeline-print, #1565c0);
}
.milestone.crit0, .milestone.crit1 {
  fill: var(--notes-timeline-error, #c62828);
  stroke: var(--notes-timeline-error, #c62828);
}
.milestoneText { font-style: normal; fill: var(--notes-timeline-text, #222) !important; }
.milestoneText.critText0, .milestoneText.critText1 {
  fill: var(--notes-timeline-error-text, #c62828) !important;
}
.taskTextOutsideLeft:not(.milestoneText), .taskTextOutsideRight:not(.milestoneText) {
  display: none;
}
.activeCrit0, .activeCrit1, .activeCritText0, .activeCritText1 { display: none; }
"""

# A task line that starts with one of these words would be read as a gantt statement.
_STATEMENT = re.compile(
    r"(?i)^(?:gantt|dateformat|inclusiveenddates|topaxis|axisformat|tickinterval|includes|excludes"
    r"|todaymarker|weekday|weekend|title|acctitle|accdescr|accdescription|section|click|call|href)"
    r"(?!\w)|^\d{4}-\d{2}-\d{2}"
)
_LOOK_ALIKES = str.maketrans(
    {":": "∶", ";": "\u037e", "#": "♯", "%": "％", "<": "‹", ">": "›", "&": "＆"}
)
_ZERO_WIDTH_SPACE = "\u200b"


def gantt_label(text: object, max_chars: int | None = None) -> str:
    """One line of text that Mermaid's gantt parser and the HTML around it leave as it is."""
    line = " ".join(str(text).split())  # newlines and tabs end a gantt statement
    line = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in line).strip()
    if max_chars is not None and len(line) > max_chars:
        line = line[: max_chars - 1].rstrip() + "…"
    line = line.translate(_LOOK_ALIKES)
    if _STATEMENT.match(line):
        line = _ZERO_WIDTH_SPACE + line  # invisible, but no longer a keyword
    return line or SPACER_LABEL


def text_px(text: str, font_px: float = FONT_PX) -> float:
    """A generous estimate of the rendered width: wide (CJK) characters take a full em."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return font_px * (wide + 0.52 * (len(text) - wide))


def ms(seconds: float) -> int:
    return round(seconds * 1000)


@dataclass(frozen=True)
class Bar:
    kind: str  # step, wait, ready, spacer, or milestone
    label: str
    start: int  # ms
    end: int  # ms
    error: bool = False  # a milestone that ended the task badly

    def line(self) -> str:
        if self.kind == "milestone":
            tags = "crit, milestone" if self.error else "milestone"
        else:
            tags = TAGS[self.kind]
        return f"{self.label} :{tags}, {self.start}, {self.end - self.start}ms"


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


def trace_end_ms(trace: Mapping[str, Any]) -> int:
    """The latest instant the trace mentions (its elapsed time, unless something ran later)."""
    times = [trace.get("elapsed") or 0.0]
    for task in trace.get("tasks", []):
        times += [task.get("created") or 0.0, task.get("finished") or 0.0]
        times += [end for _, end in task.get("steps", []) + task.get("ready", [])]
        times += [wait["end"] for wait in task.get("waits", []) if wait.get("end") is not None]
    times += [p["time"] for p in trace.get("prints", [])]
    return ms(max(times))


def scale_for(trace: Mapping[str, Any]) -> Scale:
    span = max(trace_end_ms(trace), MIN_SPAN_MS)
    return Scale(px_per_ms=min(TIMELINE_PX / span, MAX_PX_PER_MS), span_ms=span)


def min_step_ms(trace: Mapping[str, Any]) -> int:
    """The width, in trace milliseconds, that a zero-width CPU step is drawn with."""
    return scale_for(trace).min_step_ms


def wait_label(on: object) -> str:
    """`sleep(3)` stays as it is; anything else is what the task awaits: `await Task-2`."""
    text = str(on)
    return text if text.startswith(("sleep(", "await ")) else f"await {text}"


def activity(task: Mapping[str, Any], end_ms: int) -> list[tuple[int, int, int, str, str]]:
    """(start, rank, end, kind, label) for every step, wait and ready span, in time order."""
    rank = {"ready": 0, "step": 1, "wait": 2}  # at one instant: ready, then run, then wait
    items = [(ms(a), rank["step"], ms(b), "step", STEP_LABEL) for a, b in task.get("steps", [])]
    items += [(ms(a), rank["ready"], ms(b), "ready", READY_LABEL) for a, b in task.get("ready", [])]
    for wait in task.get("waits", []):
        stop = end_ms if wait.get("end") is None else ms(wait["end"])
        items.append((ms(wait["start"]), rank["wait"], stop, "wait", wait_label(wait.get("on"))))
    return sorted(items)


def activity_bars(
    task: Mapping[str, Any], scale: Scale, end_ms: int, marks: Iterable[int] = ()
) -> list[Bar]:
    """The task's first row: bars that never overlap, so Mermaid keeps them on one row.

    A step is widened to the minimum width; what follows starts after it (and disappears if
    nothing is left of it); steps closer together than the minimum width are drawn as one bar.
    A step also ends after every mark (print) made at its very end: a milestone placed there
    would otherwise fit on this row and push the next bars onto another."""
    marked = set(marks)
    bars: list[Bar] = []
    cursor = 0
    for start, _, end, kind, label in activity(task, end_ms):
        if kind == "step" and end in marked:
            end += 1
        if kind == "step" and bars and bars[-1].kind == "step" and start < bars[-1].end:
            merged = Bar("step", STEP_LABEL, bars[-1].start, max(bars[-1].end, end))
            bars[-1] = merged
            cursor = merged.end
            continue
        start = max(start, cursor)
        if kind == "step":
            end = max(end, start + scale.min_step_ms)
        elif end <= start:
            continue  # a zero-width wait or ready span: nothing to draw
        bars.append(Bar(kind, gantt_label(label), start, end))
        cursor = end
    return bars


def milestone_bars(
    marks: Iterable[tuple[int, str, bool]], scale: Scale
) -> tuple[list[Bar], list[Bar]]:
    """Milestones, and after each an invisible spacer as long as its label.

    Mermaid's compact mode puts a bar on the first row where it fits; the spacer keeps the next
    milestone off that row while this one's label is in the way."""
    milestones, spacers = [], []
    for time, text, error in marks:
        label = gantt_label(text, MAX_PRINT_CHARS)
        # The label starts half a diamond plus 5 px right of the instant; keep a gap after it.
        room = scale.to_ms(BAR_HEIGHT / 2 + 5 + text_px(label) + 8)
        milestones.append(Bar("milestone", label, time, time, error))
        spacers.append(Bar("spacer", SPACER_LABEL, time, time + room))
    return milestones, spacers


def task_marks(
    task: Mapping[str, Any], prints: list[Mapping[str, Any]], end_ms: int
) -> list[tuple[int, str, bool]]:
    """(time, text, is_error) for what the task printed, and for how it ended if that was bad."""
    marks = [(ms(p["time"]), str(p["text"]), False) for p in prints]
    finished = end_ms if task.get("finished") is None else ms(task["finished"])
    if task.get("outcome") == "exception":
        marks.append((finished, str(task.get("exception") or "exception"), True))
    elif task.get("outcome") == "cancelled":
        marks.append((finished, "cancelled", True))
    return sorted(marks, key=lambda mark: mark[0])  # stable: prints keep their order


def section_title(task: Mapping[str, Any]) -> str:
    title = f"{task.get('name', '')} {task.get('coro') or ''}"
    return gantt_label(title, MAX_SECTION_CHARS)


@dataclass(frozen=True)
class Section:
    title: str
    bars: list[Bar]


def sections_for(trace: Mapping[str, Any], scale: Scale) -> list[Section]:
    end_ms = trace_end_ms(trace)
    prints = list(trace.get("prints", []))
    tasks = sorted(trace.get("tasks", []), key=lambda task: task.get("id", 0))
    names = {task.get("name") for task in tasks}
    sections = []
    for task in tasks:
        own = [p for p in prints if p.get("task") == task.get("name")]
        marks = task_marks(task, own, end_ms)
        milestones, spacers = milestone_bars(marks, scale)
        # Activity first: among bars that start together, Mermaid places the first declared first.
        bars = activity_bars(task, scale, end_ms, (time for time, _, _ in marks))
        bars += [bar for pair in zip(milestones, spacers, strict=True) for bar in pair]
        if not bars:  # a task that never ran: a hidden bar keeps its row (Mermaid drops empty ones)
            created = ms(task.get("created") or 0.0)
            bars = [Bar("spacer", SPACER_LABEL, created, created)]
        sections.append(Section(section_title(task), bars))
    stray = [p for p in prints if p.get("task") not in names]
    if stray:  # printed outside any task (before asyncio.run, say)
        milestones, spacers = milestone_bars(
            ((ms(p["time"]), p["text"], False) for p in stray), scale
        )
        bars = [bar for pair in zip(milestones, spacers, strict=True) for bar in pair]
        sections.append(Section(gantt_label("outside tasks"), bars))
    if sections:  # a hidden bar that starts the axis at 0 (declared first, it takes no row)
        sections[0] = Section(
            sections[0].title, [Bar("spacer", SPACER_LABEL, 0, 0), *sections[0].bars]
        )
    return sections


def tick_interval(scale: Scale) -> tuple[str, str]:
    """(tickInterval, axisFormat): the shortest interval that leaves room for its labels, in whole
    seconds when the trace lasts a few seconds ("1.500 s" is harder to read than "1 s")."""
    choices = [t for t in TICK_CHOICES_MS if scale.span_ms < 2000 or t % 1000 == 0]
    room = {True: TICK_MIN_PX, False: TICK_MIN_PX_FRACTION}
    step = next((t for t in choices if t * scale.px_per_ms >= room[t % 1000 == 0]), choices[-1])
    if step % 1000 == 0:
        return f"{step // 1000}second", "%-S s"
    return f"{step}millisecond", "%-S.%L s"


def front_matter(gantt: Mapping[str, Any], theme_css: str) -> list[str]:
    """YAML front matter; every value written as JSON (which YAML reads unchanged)."""
    lines = ["---", "config:", "  gantt:"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in sorted(gantt.items())]
    lines += [f"  themeCSS: {json.dumps(theme_css)}", "---"]
    return lines


def theme_css() -> str:
    css = THEME_CSS % {"axis": AXIS_FONT_PX}
    return " ".join(line.strip() for line in css.strip().splitlines())


def render_gantt(trace: Mapping[str, Any]) -> str:
    """Mermaid gantt source (without ``` fences) for a trace (engine/trace.py)."""
    scale = scale_for(trace)
    sections = sections_for(trace, scale)
    domain_end = max([scale.span_ms] + [bar.end for s in sections for bar in s.bars])
    left = round(min(max(max((text_px(s.title) for s in sections), default=0) + 24, 90), 280))
    # Mermaid moves a milestone's label to its left (over the diamond) when, by its own
    # reckoning, the instant + a whole diamond + the label passes width - 1.5 * leftPadding.
    # milestone_bars reserves the instant + half a diamond + 13 px + the estimated label within
    # the axis; this right padding covers the other half diamond and a font wider than estimated.
    labels = [text_px(bar.label) for s in sections for bar in s.bars if bar.kind == "milestone"]
    slack = math.ceil(LABEL_WIDTH_MARGIN * max(labels, default=0))
    right = math.ceil(left / 2) + BAR_HEIGHT // 2 - 13 + slack
    ticks, axis_format = tick_interval(scale)
    gantt = {
        "barGap": BAR_GAP,
        "barHeight": BAR_HEIGHT,
        "displayMode": "compact",
        "fontSize": FONT_PX,
        "leftPadding": left,
        "numberSectionStyles": 2,
        "rightPadding": right,
        "sectionFontSize": FONT_PX,
        "topPadding": TOP_PADDING,
        "useMaxWidth": False,
        "useWidth": left + math.ceil(domain_end * scale.px_per_ms) + right,
    }
    title = gantt_label(f"timeline of {trace.get('script') or 'a trace'}")
    lines = front_matter(gantt, theme_css())
    lines += [
        "gantt",
        f"    accTitle: {title}",
        "    dateFormat x",
        f"    axisFormat {axis_format}",
        f"    tickInterval {ticks}",
        "    todayMarker off",
        f"    %% CPU steps are drawn at least {scale.min_step_ms} ms ({MIN_STEP_PX} px) wide.",
    ]
    for section in sections:
        lines.append(f"    section {section.title}")
        lines += [f"        {bar.line()}" for bar in section.bars]
    return "\n".join(lines) + "\n"
