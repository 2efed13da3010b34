"""The stepper's data: a trace's loop iterations (engine/iterations.py) as one step per handle the
loop ran, each with the whole state a reader sees at that moment, and the same story as text.

`step_data` runs in the build (sitebuild/generate.py writes steps.json) and in the browser
(browser.py, on the reader's run), so an unchanged example gives the same bytes in both
(`dumps_steps`). Each step holds its state in full (not a change from the one before), so the page
can jump to any step by reading one entry. States are language-neutral codes, which the page
(stepper.mjs) and `steps_text` word in the reader's language. Standard library only.
"""

from __future__ import annotations

import bisect
import json
from pathlib import Path
from typing import Any

from asyncio_notes.engine.trace import Handle, Ran, Trace
from asyncio_notes.render.fit import MAX_TASKS
from asyncio_notes.render.timeline_layout import Layout, scale_for, trace_end

LABELS = {
    "en": {
        "iteration": "Iteration {n}, at {t}",
        "empty": "empty",
        "none": "none",
        "then_ready": "then the ready queue",
        "then_timers": "then the timers",
        "wakes": "wakes",
        "runs": "{task} runs {coro}",
        "lines": "line {lines}",
        "waits": "waits on {on}",
        "finished": "finishes: {outcome}",
        "sep": ", ",
        "colon": ": ",
        "result": "result {value}",
        "cancelled": "cancelled",
        "raised": "raised {value}",
        "callback": "callback {name}",
        "eager": "(eager start)",
        "more": "{n} more",
        "cut": "{n} more handles not recorded",
        "error": "The run ended with an error:",
        "no_iterations": "The loop ran none of the program's handles.",
    },
    "zh": {
        "iteration": "第 {n} 轮循环，{t}",
        "empty": "空",
        "none": "无",
        "then_ready": "之后的就绪队列",
        "then_timers": "之后的定时器",
        "wakes": "唤醒",
        "runs": "{task} 运行 {coro}",
        "lines": "代码行 {lines}",
        "waits": "然后等待 {on}",
        "finished": "任务结束：{outcome}",
        "sep": "，",
        "colon": "：",
        "result": "结果 {value}",
        "cancelled": "已取消",
        "raised": "抛出 {value}",
        "callback": "回调 {name}",
        "eager": "（急切启动）",
        "more": "另有 {n} 个",
        "cut": "还有 {n} 个句柄没有记录",
        "error": "这次运行以错误结束：",
        "no_iterations": "事件循环没有运行程序的任何句柄。",
    },
}


def _handle(h: Handle) -> dict[str, Any]:
    """A queued handle or timer as the page shows it: a task step, a callback and what it wakes,
    or how many more were left out."""
    if "more" in h:
        return {"more": h["more"]}
    out: dict[str, Any] = {"task": h["task"]} if h.get("task") else {"callback": h["callback"]}
    if h.get("wakes"):
        out["wakes"] = h["wakes"]
    if "when" in h:
        out["when"] = h["when"]
    return out


def _innermost(frames: list[list[str | int]] | None) -> list[str | int] | None:
    return list(frames[-1]) if frames else None


class _Tasks:
    """What each task is doing, carried from step to step."""

    def __init__(self, trace: Trace) -> None:
        # The tasks shown: the first MAX_TASKS, as the Timeline of a big run (render/fit.py).
        self.shown = trace["tasks"][:MAX_TASKS]
        self.by_name = {t["name"]: t for t in trace["tasks"]}
        self.last: dict[str, Ran] = {}  # each task's latest step
        self.done: dict[str, list[Any]] = {}

    def _finished(self, name: str) -> list[Any]:
        task = self.by_name[name]
        if task["outcome"] == "cancelled":
            return ["cancelled"]
        if task["outcome"] == "exception":
            return ["raised", task["exception"]]
        return ["done", task["result"]]

    def ran(self, entry: Ran) -> None:
        name = entry.get("task")
        if name:
            self.last[name] = entry
            if entry.get("outcome"):
                self.done[name] = self._finished(name)

    def states(
        self, running: str | None, entry: Ran, until: float
    ) -> tuple[list[Any], list[list[Any]]]:
        """Each task's state after `entry` ran (None: not created yet), and where each
        suspended task waits: [file, line, task]."""
        ready = {h.get("task") for h in entry.get("ready", []) if h.get("task")}
        # A sleep's timer wakes its task: pending, or already moved to the ready queue.
        waking = {
            name: h["when"]
            for h in [*entry.get("timers", []), *entry.get("ready", [])]
            if "when" in h
            for name in h.get("wakes", [])
        }
        states: list[Any] = []
        marks: list[list[Any]] = []
        for task in self.shown:
            name = task["name"]
            if name in self.done:
                states.append(self.done[name])
                continue
            if task["created"] > until and name != running and name not in self.last:
                states.append(None)
                continue
            last = self.last.get(name)
            if name == running:
                state: list[Any] = ["running"]
            elif name in ready or last is None:
                state = ["ready"]
            elif name in waking and str(last.get("awaits") or "").startswith("sleep("):
                state = ["sleeping", waking[name]]
            else:
                state = ["waiting", last.get("awaits") or "?"]
            states.append(state)
            where = _innermost(last.get("suspended")) if last else None
            if where and name != running:
                marks.append([*where, name])
        return states, marks


def _placer(trace: Trace) -> Any:
    """Where the Timeline draws each step (timeline_layout: chart milliseconds), so the stepper's
    small timeline has the same bars and its cursor stands where the Timeline would have it."""
    ordered = sorted(trace["tasks"], key=lambda t: t["id"])
    layout = Layout(ordered, scale_for(trace), trace_end(trace))
    index = {t["name"]: n for n, t in enumerate(ordered)}
    seen: dict[str, int] = {}

    def place(entry: Ran) -> list[int]:
        name = entry.get("task")
        if name in index:
            si = seen[name] = seen.get(name, -1) + 1
            key = (index[name], si)
            if key in layout.of_step:
                return [layout.step_start(*key), layout.step_end(*key)]
        x = layout.at(entry["time"])
        return [x, x]

    return place, layout.end_x


def step_data(trace: Trace, folder: Path, error: str | None = None) -> dict[str, Any]:
    """The stepper's data for one traced run of a script in `folder`. `error`: the message of a
    run that failed (its last step shows it)."""
    tasks = _Tasks(trace)
    place, span = _placer(trace)
    entries = [(i, e) for i, it in enumerate(trace["iterations"]) for e in it["ran"]]
    prints = [(p["time"], line) for p in trace["prints"] for line in p["text"].split("\n")]
    printed_at = [t for t, _ in prints]  # in the order printed: by time
    files: set[str] = set()
    steps: list[dict[str, Any]] = []
    for k, (i, entry) in enumerate(entries):
        until = entries[k + 1][1]["time"] if k + 1 < len(entries) else float("inf")
        tasks.ran(entry)
        name = entry.get("task")
        step: dict[str, Any] = {"i": i, "t": entry["time"], "x": place(entry)}
        if name:
            step["task"] = name
            start, stop = _innermost(entry.get("resumed")), _innermost(entry.get("suspended"))
            step["from"], step["at"] = start, stop or start
            step["awaits"] = entry.get("awaits")
            if entry.get("outcome"):
                step["outcome"] = entry["outcome"]
            if entry.get("eager"):
                step["eager"] = True
            for frames in (entry.get("resumed") or [], entry.get("suspended") or []):
                files.update(str(f[0]) for f in frames)
        else:
            step["callback"] = entry.get("callback")
            step["wakes"] = entry.get("wakes", [])
        step["states"], step["marks"] = tasks.states(name, entry, until)
        files.update(str(m[0]) for m in step["marks"])
        step["ready"] = [_handle(h) for h in entry.get("ready", [])]
        step["timers"] = [_handle(h) for h in entry.get("timers", [])]
        step["out"] = bisect.bisect_left(printed_at, until)
        steps.append(step)
    script = Path(trace["script"]).name
    # [name, text] pairs, the script first (JSON objects are written with their keys sorted).
    sources = [
        [name, (folder / name).read_text(encoding="utf-8")]
        for name in sorted(files | {script}, key=lambda f: (f != script, f))
        if (folder / name).is_file()
    ]
    return {
        "script": trace["script"],
        "files": sources,
        "tasks": [{"name": t["name"], "coro": t["coro"]} for t in tasks.shown],
        "more_tasks": len(trace["tasks"]) - len(tasks.shown),
        "iterations": [it["time"] for it in trace["iterations"]],
        "span": span,
        "steps": steps,
        "output": [line for _, line in prints],
        "cut": trace.get("iterations_cut", 0),
        "error": error,
    }


def dumps_steps(data: dict[str, Any]) -> str:
    """The published form: compact, keys sorted, so equal data is equal bytes everywhere."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# -- the step log (no-JS readers, the terminal)


def seconds(t: float) -> str:
    return f"{t:.3f} s"


def _outcome(state: list[Any] | None, text: dict[str, str]) -> str:
    if not state:
        return ""
    kind = "result" if state[0] == "done" else state[0]
    return text.get(kind, kind).format(value=state[1] if len(state) > 1 else "")


def _queue(handles: list[dict[str, Any]], text: dict[str, str]) -> str:
    shown = []
    for h in handles:
        if "more" in h:
            shown.append(text["more"].format(n=h["more"]))
            continue
        label = h["task"] if "task" in h else h["callback"]
        if h.get("wakes"):
            label += f" ({text['wakes']} {', '.join(h['wakes'])})"
        if "when" in h:
            label = f"{seconds(h['when'])} {label}"
        shown.append(label)
    return ", ".join(shown) if shown else text["empty"]


def _where(place: list[Any] | None) -> str:
    return f"{place[0]}:{place[1]}" if place else "?"


def steps_text(data: dict[str, Any], lang: str = "en") -> str:
    """One block per loop iteration: its time, what ran (and from which line to which), and the
    ready queue and timers after its last handle."""
    text = LABELS[lang]
    coro = {t["name"]: t["coro"] for t in data["tasks"]}
    index = {t["name"]: n for n, t in enumerate(data["tasks"])}
    blocks: list[str] = []
    by_iteration: dict[int, list[dict[str, Any]]] = {}
    for step in data["steps"]:
        by_iteration.setdefault(step["i"], []).append(step)
    for i, steps in by_iteration.items():
        lines = [text["iteration"].format(n=i + 1, t=seconds(data["iterations"][i]))]
        for step in steps:
            if "task" in step:
                name = step["task"]
                what = text["runs"].format(task=name, coro=coro.get(name, "?"))
                span = _where(step["from"])
                if step["at"] != step["from"]:
                    span += f" → {_where(step['at'])}"
                what += text["sep"] + text["lines"].format(lines=span)
                if step.get("eager"):
                    what += f" {text['eager']}"
                if step.get("outcome"):
                    what += text["sep"] + text["finished"].format(
                        outcome=_outcome(step["states"][index[name]], text)
                    )
                elif step.get("awaits"):
                    what += text["sep"] + text["waits"].format(on=step["awaits"])
            else:
                what = text["callback"].format(name=step["callback"])
                if step["wakes"]:
                    what += f"{text['sep']}{text['wakes']} {', '.join(step['wakes'])}"
            lines.append(f"  {seconds(step['t'])}  {what}")
        last = steps[-1]
        lines.append(f"  {text['then_ready']}{text['colon']}{_queue(last['ready'], text)}")
        timers = _queue(last["timers"], text) if last["timers"] else text["none"]
        lines.append(f"  {text['then_timers']}{text['colon']}{timers}")
        blocks.append("\n".join(lines))
    if not blocks:
        blocks.append(text["no_iterations"])
    if data["cut"]:
        blocks.append(text["cut"].format(n=data["cut"]))
    if data["error"]:
        blocks.append(f"{text['error']}\n{data['error']}")
    return "\n\n".join(blocks) + "\n"
