"""One thing at a time: a vertical line through any timeline crosses at most one green bar.

Checked on the timeline of every example, as the build writes it, and on random traces from a
seeded generator (the same 300 traces on every run). Each green (running) bar is also at least the
minimum width, and each task's activity stays on its own first row.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from asyncio_notes.render import gantt as mg
from asyncio_notes.sitebuild import generate
from asyncio_notes.sitebuild.catalog import example_files
from tests.test_mermaid_gantt import Item, mermaid_rows, of_kind, parse


def overlapping_steps(source: str) -> list[tuple[str, Item, str, Item]]:
    """Pairs of green bars, in any rows, that share some instant."""
    steps = sorted(
        (
            (title, item)
            for title, items in parse(source).items()
            for item in of_kind(items, "step")
        ),
        key=lambda pair: (pair[1].start, pair[1].end),
    )
    return [
        (*steps[i - 1], *steps[i])
        for i in range(1, len(steps))
        if steps[i][1].start < steps[i - 1][1].end
    ]


def check_layout(source: str) -> None:
    assert not overlapping_steps(source)
    minimum = int(re.search(r"drawn at least (\d+) ms", source)[1])
    for title, items in parse(source).items():
        assert all(s.end - s.start >= minimum for s in of_kind(items, "step")), title
        rows = mermaid_rows(items)
        activity = [i for i in items if i.kind in {"step", "wait", "ready"}]
        assert {rows[i.order] for i in activity} <= {0}, title


@pytest.fixture(scope="module")
def timelines() -> dict[str, str]:
    """Every example's timeline.md, as the build writes it (cached when nothing changed)."""
    generate.generate_all()
    return {
        example.stem: (generate.example_out_dir(example) / "timeline.md").read_text(
            encoding="utf-8"
        )
        for example in example_files()
    }


@pytest.mark.parametrize("name", [p.stem for p in example_files()])
def test_every_generated_timeline_runs_one_thing_at_a_time(name: str, timelines: dict) -> None:
    check_layout(timelines[name])


def test_the_check_sees_overlapping_bars() -> None:
    bar = "    section {}\n        running :done, {}, 10ms\n"
    source = bar.format("a", 0) + bar.format("b", 9)
    assert overlapping_steps(source)
    assert not overlapping_steps(source.replace("9, 10ms", "10, 10ms"))  # touching is fine


def random_trace(rng: random.Random) -> dict[str, Any]:
    """A trace as the tracer could record it: steps one at a time in one thread, often at the
    same instant, some nested (an eager task's first step), with waits, ready spans and prints;
    sometimes without `order` (then steps are ordered by time)."""
    tasks = [
        {
            "id": n, "name": f"Task-{n}", "coro": f"work({n})", "parent": None, "created": 0.0,
            "finished": None, "outcome": "pending", "result": None, "exception": None,
            "steps": [], "waits": [], "ready": [], "order": [],
        }
        for n in range(1, rng.randint(1, 6) + 1)
    ]  # fmt: skip
    prints: list[dict[str, Any]] = []
    now, order = 0.0, 0

    def run(task: dict[str, Any], start: float, end: float) -> None:
        nonlocal order
        if task["waits"]:
            task["waits"][-1]["end"] = start
        if rng.random() < 0.5:
            since = task["steps"][-1][1] if task["steps"] else task["created"]
            task["ready"].append([rng.uniform(since, start), start])
        task["steps"].append([start, end])
        task["order"].append(order)
        order += 1
        for _ in range(rng.choice([0, 0, 1, 3])):
            prints.append({"time": rng.uniform(start, end), "task": task["name"], "text": "x" * 30})
        task["waits"].append({"start": end, "end": None, "on": "sleep(1)"})

    for _ in range(rng.randint(1, 25)):
        now += rng.choice([0.0, 0.0, 1e-6, 0.001, 0.1, 1.0])
        task = rng.choice(tasks)
        duration = rng.choice([0.0, 0.0, 1e-6, 0.002, 0.5])
        nested = [t for t in tasks if t is not task and not t["steps"]]
        if duration and nested and rng.random() < 0.3:  # an eager task starts inside this step
            task["order"].append(None)  # placeholder: the outer step is numbered first
            outer_order = order
            order += 1
            child = rng.choice(nested)
            run(child, now + duration / 3, now + duration / 2)
            task["order"].pop()
            saved, order = order, outer_order
            run(task, now, now + duration)
            order = saved
        else:
            run(task, now, now + duration)
        now += duration
    prints.sort(key=lambda p: p["time"])
    for task in tasks:
        if task["steps"] and rng.random() < 0.7:
            task["waits"].pop()
            task["finished"] = task["steps"][-1][1]
            task["outcome"] = rng.choice(["result", "exception", "cancelled"])
        if rng.random() < 0.3:
            del task["order"]
    return {"script": "random.py", "elapsed": now, "tasks": tasks, "prints": prints}


@pytest.mark.parametrize("seed", range(300))
def test_random_traces_run_one_thing_at_a_time(seed: int) -> None:
    check_layout(mg.render_gantt(random_trace(random.Random(seed))))
