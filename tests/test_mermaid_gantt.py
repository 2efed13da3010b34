"""asyncio_notes/render/gantt.py: what a trace becomes in the Mermaid gantt source, row by row."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import pytest

from asyncio_notes.render import gantt as mg
from asyncio_notes.render import timeline_labels as labels
from asyncio_notes.render.timeline_layout import BAR_HEIGHT, min_step_ms
from asyncio_notes.render.timeline_text import text_timeline

# A small trace in tracer.py's schema: main awaits a delay task; the delay prints twice; a third
# task is ready for 0.5 s before it runs, then raises. `order` numbers the steps as they ran.
TRACE = {
    "script": "examples/ch02/small.py",
    "python": "3.11",
    "clock": "virtual",
    "elapsed": 2.0,
    "tasks": [
        {
            "id": 1, "name": "Task-1", "coro": "main()", "parent": None,
            "created": 0.0, "finished": 2.0, "outcome": "result", "result": "None",
            "exception": None,
            "steps": [[0.0, 0.0], [2.0, 2.0]],
            "waits": [{"start": 0.0, "end": 2.0, "on": "Task-2"}],
            "ready": [[2.0, 2.0]], "order": [0, 4],
        },
        {
            "id": 2, "name": "Task-2", "coro": "delay(2)", "parent": "Task-1",
            "created": 0.0, "finished": 2.0, "outcome": "result", "result": "2",
            "exception": None,
            "steps": [[0.0, 0.0], [2.0, 2.0]],
            "waits": [{"start": 0.0, "end": 2.0, "on": "sleep(2)"}],
            "ready": [], "order": [1, 3],
        },
        {
            "id": 3, "name": "Task-3", "coro": "fail()", "parent": "Task-1",
            "created": 0.0, "finished": 0.5, "outcome": "exception", "result": None,
            "exception": "ValueError('no')",
            "steps": [[0.5, 0.5]], "waits": [], "ready": [[0.0, 0.5]], "order": [2],
        },
    ],
    "prints": [
        {"time": 0.0, "task": "Task-2", "text": "sleeping for 2 second(s)"},
        {"time": 2.0, "task": "Task-2", "text": "finished sleeping for 2 second(s), a long line"},
    ],
    "stderr": "",
}  # fmt: skip

LINE = re.compile(
    r"^ {8}(?P<label>.+) :(?P<tags>(?:(?:active|done|crit|milestone), )*)(?:(?P<id>cut\d+), )?"
    r"(?P<start>\d+), (?P<duration>\d+)ms$"
)


@dataclass
class Item:
    label: str
    tags: tuple[str, ...]
    start: int
    end: int
    order: int

    @property
    def kind(self) -> str:
        if "milestone" in self.tags:
            return "milestone"
        return {("done",): "step", ("active",): "wait", ("crit",): "ready"}.get(self.tags, "spacer")


def parse(source: str) -> dict[str, list[Item]]:
    """Section title -> its items, in the order declared."""
    sections: dict[str, list[Item]] = {}
    current = None
    order = 0
    for line in source.splitlines():
        if line.startswith("    section "):
            current = sections.setdefault(line.removeprefix("    section "), [])
        elif match := LINE.match(line):
            assert current is not None, f"task line outside a section: {line!r}"
            tags = tuple(t for t in match["tags"].split(", ") if t)
            start = int(match["start"])
            current.append(Item(match["label"], tags, start, start + int(match["duration"]), order))
            order += 1
    return sections


def mermaid_rows(items: list[Item]) -> dict[int, int]:
    """Mermaid's compact layout (ganttRenderer getMaxIntersections): item order -> row."""
    rows: list[int] = []
    placed = {}
    for item in sorted(items, key=lambda i: (i.start, i.order)):
        row = next((r for r, end in enumerate(rows) if item.start >= end), len(rows))
        if row == len(rows):
            rows.append(0)
        rows[row] = item.end
        placed[item.order] = row
    return placed


@pytest.fixture(scope="module")
def source() -> str:
    return mg.render_gantt(TRACE)


@pytest.fixture(scope="module")
def sections(source: str) -> dict[str, list[Item]]:
    return parse(source)


def of_kind(items: list[Item], kind: str) -> list[Item]:
    return [item for item in items if item.kind == kind]


def test_header_front_matter_and_time_axis(source: str) -> None:
    lines = source.splitlines()
    assert lines[0] == "---"
    assert '    displayMode: "compact"' in lines
    assert "    useMaxWidth: false" in lines  # scrolls sideways on a phone instead of shrinking
    body = lines[lines.index("gantt") :]
    assert "    dateFormat x" in body and "    todayMarker off" in body
    (axis,) = [line.split(" ", 5)[-1] for line in body if line.startswith("    axisFormat ")]
    assert set(re.findall(r"%-?.", axis)) <= {"%S", "%-S", "%L"}  # no %H/%M: time zones
    assert any(re.fullmatch(r"    tickInterval [1-9]\d*(second|millisecond)", x) for x in body)


def test_one_section_per_task_named_after_task_and_coroutine(sections: dict) -> None:
    assert list(sections) == ["Task-1 main()", "Task-2 delay(2)", "Task-3 fail()"]


def test_steps_are_green_bars_at_least_the_minimum_width(sections: dict) -> None:
    minimum = min_step_ms(TRACE)
    assert minimum > 0
    steps = of_kind(sections["Task-2 delay(2)"], "step")
    assert [s.start for s in steps] == [minimum, 2000]  # at 0 it ran after main's first step
    assert all(s.end - s.start >= minimum for s in steps)
    assert all(s.label == labels.STEP_LABEL for s in steps)


def test_steps_at_one_instant_are_drawn_one_after_another_in_the_order_they_ran(
    sections: dict,
) -> None:
    minimum = min_step_ms(TRACE)
    main = of_kind(sections["Task-1 main()"], "step")
    delay = of_kind(sections["Task-2 delay(2)"], "step")
    # At 0 main ran first; at 2 s the delay finished first, then main woke up.
    assert [(s.start, s.end) for s in main] == [(0, minimum), (2000 + minimum, 2000 + 2 * minimum)]
    assert [(s.start, s.end) for s in delay] == [(minimum, 2 * minimum), (2000, 2000 + minimum)]


def test_the_minimum_width_is_stated_in_the_source(source: str) -> None:
    assert f"at least {min_step_ms(TRACE)} ms" in source


def test_waits_are_labelled_with_what_they_await(sections: dict) -> None:
    (sleep,) = of_kind(sections["Task-2 delay(2)"], "wait")
    (await_task,) = of_kind(sections["Task-1 main()"], "wait")
    assert (sleep.label, await_task.label) == ("sleep(2)", "await Task-2")
    minimum = min_step_ms(TRACE)
    assert (sleep.start, sleep.end) == (2 * minimum, 2000)  # starts after the widened step


def test_ready_spans_are_distinct_and_zero_width_ones_vanish(sections: dict) -> None:
    (ready,) = of_kind(sections["Task-3 fail()"], "ready")
    # From after the steps that ran at 0 (it was created in one of them) until it ran.
    assert (ready.label, ready.start, ready.end) == ("ready", 2 * min_step_ms(TRACE), 500)
    assert not of_kind(sections["Task-1 main()"], "ready")  # [2.0, 2.0] has no width


def test_prints_are_milestones_labelled_with_the_text(sections: dict) -> None:
    first, last = of_kind(sections["Task-2 delay(2)"], "milestone")
    step, _ = of_kind(sections["Task-2 delay(2)"], "step")
    assert first.label == "sleeping for 2 second(s)" and first.start == first.end
    assert step.start <= first.start < step.end  # drawn on the step that printed it
    assert 2000 <= last.start < 2000 + min_step_ms(TRACE)
    assert last.label.endswith("…") and len(last.label) == labels.MAX_PRINT_CHARS
    assert "finished sleeping".startswith(last.label[:17])


def test_a_task_that_raised_ends_with_an_error_milestone(sections: dict) -> None:
    (error,) = of_kind(sections["Task-3 fail()"], "milestone")
    (step,) = of_kind(sections["Task-3 fail()"], "step")
    assert error.tags == ("crit", "milestone") and error.start == step.end - 1  # as it ended
    assert error.label == "ValueError('no')"


def test_activity_stays_on_the_first_row_and_milestones_below(sections: dict) -> None:
    for title, items in sections.items():
        rows = mermaid_rows(items)
        activity = [i for i in items if i.kind in {"step", "wait", "ready"}]
        assert {rows[i.order] for i in activity} <= {0}, title
        assert all(rows[i.order] > 0 for i in of_kind(items, "milestone")), title


def test_each_milestone_reserves_room_for_its_label(sections: dict) -> None:
    """A hidden spacer right after each milestone, on its row, as long as the label."""
    items = sections["Task-2 delay(2)"]
    rows = mermaid_rows(items)
    for milestone in of_kind(items, "milestone"):
        spacer = items[items.index(milestone) + 1]
        assert spacer.kind == "spacer" and spacer.start == milestone.start
        assert rows[spacer.order] == rows[milestone.order]
        assert spacer.end - spacer.start >= len(milestone.label) * 5  # ms at >= 100 px/s


def test_prints_at_one_instant_get_rows_of_their_own() -> None:
    trace = copy.deepcopy(TRACE)
    trace["prints"] = [{"time": 0.0, "task": "Task-2", "text": f"line {n}"} for n in range(3)]
    trace["prints"] += [{"time": 0.0, "task": "Task-1", "text": "main's"}]
    items = parse(mg.render_gantt(trace))["Task-2 delay(2)"]
    rows = mermaid_rows(items)
    assert sorted(rows[m.order] for m in of_kind(items, "milestone")) == [1, 2, 3]


def test_a_print_at_the_end_of_a_step_stays_off_the_activity_row() -> None:
    trace = copy.deepcopy(TRACE)
    task = trace["tasks"][1]
    # CPU work that prints as it finishes; nothing is recorded until the task is ready again.
    task["steps"] = [[0.0, 1.0], [2.0, 2.0]]
    task["waits"] = []
    task["ready"] = [[1.1, 2.0]]
    failing = trace["tasks"][2]  # runs after the CPU work, not in the middle of it
    failing.update(steps=[[1.5, 1.5]], ready=[[0.0, 1.5]], finished=1.5)
    trace["prints"] = [{"time": 1.0, "task": "Task-2", "text": "done"}]
    items = parse(mg.render_gantt(trace))["Task-2 delay(2)"]
    rows = mermaid_rows(items)
    assert [rows[i.order] for i in items if i.kind in {"step", "ready"}] == [0, 0, 0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: b; c # d", "a∶ b\u037e c ♯ d"),
        ("%% not a comment", "％％ not a comment"),
        ("<Task pending> & co", "‹Task pending› ＆ co"),
        ("two\nlines\tand\x00more", "two lines and more"),
        ("section 2", "\u200bsection 2"),
        ("Title: x", "\u200bTitle∶ x"),
        ("2024-01-01 was a Monday", "\u200b2024-01-01 was a Monday"),
        ("titles are fine", "titles are fine"),
        ("", labels.SPACER_LABEL),
    ],
)
def test_labels_are_sanitized(text: str, expected: str) -> None:
    assert labels.gantt_label(text) == expected


def test_no_label_in_the_output_carries_gantt_or_html_syntax() -> None:
    trace = copy.deepcopy(TRACE)
    trace["tasks"][0]["coro"] = "main(<x>: #1; 50%)"
    trace["prints"].append({"time": 0.0, "task": "Task-1", "text": "% <b>bold</b> & a: b; #c"})
    source = mg.render_gantt(trace)
    body = source[source.index("\ngantt\n") :]
    titles = [line.removeprefix("    section ") for line in body.splitlines() if "section" in line]
    labels = [item.label for items in parse(source).values() for item in items]
    for label in titles + labels:
        assert not set(label) & set(":;#<>&"), label
        assert not label.startswith("%"), label
    assert not set(body) & set("<>&")  # the fence is not HTML-escaped


def test_the_same_trace_gives_the_same_text() -> None:
    shuffled = {key: copy.deepcopy(TRACE[key]) for key in reversed(list(TRACE))}
    shuffled["tasks"].reverse()  # tasks are ordered by id, whatever the list order
    assert mg.render_gantt(TRACE) == mg.render_gantt(copy.deepcopy(TRACE))
    assert mg.render_gantt(shuffled) == mg.render_gantt(TRACE)


def test_a_three_second_timeline_fits_the_desktop_content_column() -> None:
    """Material's content column is 688 px wide at 1280 px; wider charts scroll."""
    source = mg.render_gantt(TRACE | {"elapsed": 3.0})
    (width,) = re.findall(r"useWidth: (\d+)", source)
    assert 400 < int(width) <= 688


def test_steps_closer_than_the_minimum_width_follow_one_another() -> None:
    trace = copy.deepcopy(TRACE)
    task = trace["tasks"][1]  # a real clock: two short steps 1 ms apart, then the sleep
    task["steps"] = [[0.0, 0.001], [0.002, 0.003], [2.0, 2.0]]
    task["order"] = [1, 2, 4]
    trace["tasks"][0]["order"] = [0, 5]
    trace["tasks"][2]["order"] = [3]
    task["waits"] = [
        {"start": 0.001, "end": 0.002, "on": "sleep(0)"},
        {"start": 0.003, "end": 2.0, "on": "sleep(2)"},
    ]
    items = parse(mg.render_gantt(trace))["Task-2 delay(2)"]
    minimum = min_step_ms(trace)
    steps = of_kind(items, "step")
    assert [(s.start, s.end) for s in steps[:2]] == [
        (minimum, 2 * minimum),
        (2 * minimum, 3 * minimum),
    ]
    assert [w.label for w in of_kind(items, "wait")] == ["sleep(2)"]  # sleep(0) has no room


def test_a_cut_label_keeps_its_full_text_in_a_comment() -> None:
    """The raw source (what a reader without JavaScript sees) holds the whole text; the loader
    (overrides/assets/javascripts/mermaid-loader.mjs) reads it by the bar's id."""
    trace = copy.deepcopy(TRACE)
    trace["tasks"][2]["coro"] = "a_coroutine_with_a_long_name(1, 2, 3)"
    source = mg.render_gantt(trace)
    lines = source.splitlines()
    (cut,) = [line for line in lines if "finished sleeping" in line and ":milestone" in line]
    bar_id = cut.split(", ")[1]
    full = lines[lines.index(cut) + 1]
    assert full == f"        %% full {bar_id} finished sleeping for 2 second(s), a long line"
    assert "%% full section-2 Task-3 a_coroutine_with_a_long_name(1, 2, 3)" in source
    (whole,) = [line for line in lines if line.startswith("        sleeping for 2 second(s) :")]
    assert re.fullmatch(r" +\S.* :milestone, \d+, 0ms", whole)  # not cut: no id, no comment


@pytest.mark.parametrize("elapsed", [0.0, 0.5, 3.0, 12.0])
def test_milestone_labels_stay_right_of_their_diamonds(elapsed: float) -> None:
    """Replays Mermaid's test (ganttRenderer: `E + V + 1.5 * leftPadding > width` puts the label
    over the diamond, with E = the instant + a whole diamond), for a font 10% wider than text_px."""
    trace = copy.deepcopy(TRACE) | {"elapsed": elapsed}
    at_end = {"time": elapsed, "task": "Task-2", "text": "％ wide ＆ 宽字符 at the very end"}
    trace["prints"] = [*trace["prints"], at_end]
    source = mg.render_gantt(trace)
    left, right, width = (int(re.search(rf"{key}: (\d+)", source)[1]) for key in
                          ("leftPadding", "rightPadding", "useWidth"))  # fmt: skip
    items = [item for items in parse(source).values() for item in items]
    domain_end = max(item.end for item in items)
    axis = width - left - right
    for milestone in (item for item in items if item.kind == "milestone"):
        instant = round(milestone.start / domain_end * axis)
        label = labels.text_px(milestone.label) * 1.1
        assert instant + BAR_HEIGHT + label <= width - 1.5 * left, milestone.label


def test_the_timeline_names_only_the_project_css_variables_and_the_site_defines_them() -> None:
    """The renderer knows nothing of the theme: diagrams.css maps Material's variables to ours."""
    from asyncio_notes.paths import REPO
    from asyncio_notes.render.gantt import THEME_CSS

    named = set(re.findall(r"var\((--[\w-]+)", THEME_CSS))
    assert named and all(name.startswith("--notes-timeline-") for name in named), named
    css = (REPO / "overrides/assets/stylesheets/diagrams.css").read_text(encoding="utf-8")
    defined = set(re.findall(r"(--notes-timeline-[\w-]+)\s*:", css))
    assert named <= defined, f"not defined in diagrams.css: {sorted(named - defined)}"


def test_the_text_version_lists_each_task_with_full_labels() -> None:
    trace = copy.deepcopy(TRACE)
    trace["prints"].append({"time": 0.0, "task": "Task-1", "text": "<b> & a: b"})
    text = text_timeline(trace)
    assert text.startswith('<ul class="timeline-text"><li>Task-1 main(): ')
    assert text.count("<li>") == 3
    assert "0 s “&lt;b&gt; &amp; a: b” · 0 s await Task-2" in text  # escaped, not look-alikes
    assert "2 s “finished sleeping for 2 second(s), a long line”" in text
    assert "<li>Task-3 fail(): 0.5 s ValueError(&#x27;no&#x27;)</li>" in text


def test_a_print_label_is_cut_by_the_room_it_has_not_by_a_count() -> None:
    """Early in a long chart a print has the chart's width to its right: it keeps its words.
    At the end it keeps what a MAX_PRINT_CHARS label would take (the chart does not widen)."""
    text = "a print with rather more than twenty-four characters"
    task = {
        "id": 1, "name": "Task-1", "coro": "main()", "parent": None, "created": 0.0,
        "finished": 3.0, "outcome": "result", "result": None, "exception": None,
        "steps": [[0.0, 0.0], [3.0, 3.0]], "waits": [{"start": 0.0, "end": 3.0, "on": "sleep(3)"}],
        "ready": [],
    }  # fmt: skip
    trace = {
        "script": "x.py", "elapsed": 3.0, "tasks": [task],
        "prints": [{"time": 0.0, "task": "Task-1", "text": text},
                   {"time": 3.0, "task": "Task-1", "text": text}],
    }  # fmt: skip
    source = mg.render_gantt(trace)
    assert f"        {text} :milestone," in source
    cut = re.findall(r"^        (.*) :milestone, cut\d+, ", source, re.M)
    assert len(cut) == 1 and len(cut[0]) <= labels.MAX_PRINT_CHARS + 1


def test_a_rows_title_is_cut_by_the_room_the_chart_gives_titles() -> None:
    def titled(coro: str) -> str:
        task = {
            "id": 1, "name": "Task-1", "coro": coro, "parent": None, "created": 0.0,
            "finished": 1.0, "outcome": "result", "result": None, "exception": None,
            "steps": [[0.0, 0.0], [1.0, 1.0]],
            "waits": [{"start": 0.0, "end": 1.0, "on": "sleep(1)"}], "ready": [],
        }  # fmt: skip
        trace = {"script": "x.py", "elapsed": 1.0, "tasks": [task], "prints": []}
        return re.search(r"^    section (.*)$", mg.render_gantt(trace), re.M)[1]

    assert titled("fetch_page('https://x.org')") == "Task-1 fetch_page('https∶//x.org')"  # 34
    long = titled("fetch_page('https://example.org/a/rather/long/path/to/a/page')")
    assert long.endswith("…") and labels.text_px(long) <= labels.MAX_SECTION_PX
    assert len(long) > labels.MAX_SECTION_CHARS
