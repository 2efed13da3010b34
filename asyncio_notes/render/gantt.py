"""Render a trace (engine/trace.py) as a Mermaid gantt timeline: the source text only.

timeline_layout.py decides where every bar goes; this writes the chart around them. Choices a
caption may need to state:
- The output repeats the minimum width of a CPU step (timeline_layout.MIN_STEP_PX) in a `%%`
  comment.
- A bar label that does not fit inside its bar is hidden (print labels always show). A label that
  was cut (timeline_labels.py) is followed by a `%% full KEY TEXT` comment, which the site's
  Mermaid loader shows on hover and focus. timeline_text.py says the same as a list, for readers
  without JavaScript.
- The axis counts seconds from the start of the trace (`dateFormat x`; `axisFormat` uses %S and %L,
  which the reader's time zone cannot shift). It wraps after 59 s.
- The chart has a fixed pixel width (`useMaxWidth: false`): on a phone it scrolls sideways instead
  of shrinking (overrides/assets/stylesheets/diagrams.css lets the diagram scroll).
- Colours and the font come from the project's own CSS variables (`--notes-timeline-*`, with
  fallbacks) through a `themeCSS` in the diagram's front matter; the site's stylesheet defines them.

The output depends only on the trace: the same trace, the same text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from asyncio_notes.render.timeline_labels import FONT_PX, MAX_SECTION_PX, gantt_label, text_px
from asyncio_notes.render.timeline_layout import (
    BAR_HEIGHT,
    MIN_STEP_PX,
    Bar,
    Scale,
    Section,
    scale_for,
    sections_for,
)

# Sizes in CSS pixels.
AXIS_FONT_PX = 13
BAR_GAP = 6
TOP_PADDING = 50  # the bottom axis is drawn at height - 50: less would put it across the last row
LABEL_WIDTH_MARGIN = 0.1  # a print label may render 10% wider than text_px() and stay in place
TICK_MIN_PX = 64  # room per axis label ("3 s")
TICK_MIN_PX_FRACTION = 100  # room per axis label with milliseconds ("0.250 s")
TICK_CHOICES_MS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500)
TICK_CHOICES_MS += (1000, 2000, 5000, 10000, 15000, 30000)

# Gantt tags, and so CSS classes (done0, active0, ...), by meaning. `active, crit` marks an
# invisible spacer that reserves room for a milestone's label so that labels never overlap.
TAGS = {"step": "done", "wait": "active", "ready": "crit", "spacer": "active, crit"}

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


def bar_line(bar: Bar, bar_id: str | None = None) -> str:
    """One task statement: `label :tags, start, durationms`."""
    if bar.kind == "milestone":
        tags = "crit, milestone" if bar.error else "milestone"
    else:
        tags = TAGS[bar.kind]
    if bar_id:
        tags += f", {bar_id}"
    return f"{bar.label} :{tags}, {bar.start}, {bar.end - bar.start}ms"


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
    widest = max((text_px(s.title) for s in sections), default=0)
    left = round(min(max(widest + 24, 90), MAX_SECTION_PX + 24))
    # Mermaid moves a milestone's label to its left (over the diamond) when, by its own
    # reckoning, the instant + a whole diamond + the label passes width - 1.5 * leftPadding.
    # milestone_bars reserves the instant + half a diamond + 13 px + the estimated label within
    # the axis; this right padding covers the other half diamond and a font wider than estimated.
    # Only a label that ends near the axis's end needs room beyond it (each milestone's spacer,
    # right after it, is as long as its label).
    needs = [
        (spacer.end - domain_end) * scale.px_per_ms + LABEL_WIDTH_MARGIN * text_px(bar.label)
        for s in sections
        for bar, spacer in zip(s.bars, s.bars[1:], strict=False)
        if bar.kind == "milestone" and spacer.kind == "spacer"
    ]
    slack = math.ceil(max([0.0, *needs]))
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
    lines += body_lines(sections)
    return "\n".join(lines) + "\n"


def body_lines(sections: list[Section]) -> list[str]:
    """The sections and their bars. A cut label is followed by a `%% full KEY TEXT` comment: the
    raw source (what a reader without JavaScript sees) holds the whole text, and the page's
    Mermaid loader shows it on hover and focus. KEY is the bar's id, or section-N."""
    lines = []
    cuts = 0
    for n, section in enumerate(sections):
        lines.append(f"    section {section.title}")
        if section.full_title and section.full_title != section.title:
            lines.append(f"    %% full section-{n} {section.full_title}")
        for bar in section.bars:
            if bar.full is None:
                lines.append(f"        {bar_line(bar)}")
                continue
            cuts += 1
            lines.append(f"        {bar_line(bar, f'cut{cuts}')}")
            lines.append(f"        %% full cut{cuts} {bar.full}")
    return lines
