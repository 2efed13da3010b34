"""The Step through tab in a real browser, on the built site, in both languages.

- Nothing of the stepper loads until its tab is shown; then its module, its styles and that
  example's steps only.
- Next step walks concurrent_tasks as the tasks page tells it: main's first step, the ready queue
  Task-2, Task-3, Task-4, three timers at 3 s, one iteration at 3 s that wakes all three, main
  finding them done; the keys, the slider and the small timeline move it too.
- After an edit (delay(3) -> delay(1)) and Run, the same story at 1 s.
- Every example, unmodified, gives in Pyodide exactly the build's steps.json.
- On a 390 px phone nothing in it scrolls sideways and no text is under 12 px; axe finds nothing
  serious in it, in light and dark.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator

import pytest

from asyncio_notes.devtools.test_pythons import VERSIONS, find_python
from asyncio_notes.engine.parent import trace_script
from asyncio_notes.paths import REPO
from asyncio_notes.render.steps import dumps_steps, step_data
from asyncio_notes.sitebuild.catalog import relative
from asyncio_notes.sitebuild.generate import example_out_dir
from tests.axe_check import COLOUR_RULES, NO_TRANSITIONS, axe_script, blocking, start_axe
from tests.browser_support import PHONE
from tests.test_runner_browser import RUN_ALL, RunnerPage, open_runner_page, runnable_examples

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

PATH = "examples/ch02/concurrent_tasks.py"
LABEL = {"zh": "逐步执行", "en": "Step through"}
NEXT = {"zh": "下一步", "en": "Next step"}
READY = {"zh": "就绪队列", "en": "Ready queue"}
TIMERS = {"zh": "定时器", "en": "Timers"}
SECONDS = {"zh": " 秒", "en": " s"}
RUNNING = {"zh": "运行中", "en": "running"}
DONE = {"zh": "完成，结果 {}", "en": "done, result {}"}
STEPPER_FILES = re.compile(r"/stepper\.(mjs|css)$|/assets/steps/")


@pytest.fixture(scope="module", params=["zh", "en"])
def runner_page(request, browser, site_server: str) -> Iterator[RunnerPage]:
    context = browser.new_context()
    yield open_runner_page(context, site_server, request.param)
    context.close()


class Stepper:
    def __init__(self, runner: RunnerPage) -> None:
        self.runner, self.lang = runner, runner.lang
        self.host = runner.example(PATH).locator(".stepper")

    def open(self) -> None:
        self.runner.example(PATH).locator(":scope > .tabbed-labels > label").nth(3).click()
        self.host.locator(".stepper-controls").wait_for()

    def list_items(self, which: str) -> list[str]:
        label = self.host.locator(".stepper-label", has_text=which)
        items = self.host.locator(f'ol[aria-labelledby="{label.get_attribute("id")}"] > li')
        return [t.strip() for t in items.all_text_contents()]

    def now(self) -> str:
        return self.host.locator(".stepper-now").text_content()

    def tasks(self) -> dict[str, str]:
        rows = self.host.locator("table.stepper-tasks tbody tr")
        return {
            r.locator("td").nth(0).text_content(): r.locator("td").nth(2).text_content()
            for r in rows.all()
        }

    def next(self) -> None:
        self.host.get_by_role("button", name=NEXT[self.lang], exact=True).click()

    def walk(self) -> list[dict]:
        """Every step from the first, through Next step: what the page shows at each."""
        self.host.locator(".stepper-slider").fill("0")
        seen = []
        while True:
            seen.append(
                {
                    "now": self.now(),
                    "what": self.host.locator(".stepper-what").text_content(),
                    "tasks": self.tasks(),
                    "ready": self.list_items(READY[self.lang]),
                    "timers": self.list_items(TIMERS[self.lang]),
                    "live": self.host.locator(".stepper-live").text_content(),
                }
            )
            button = self.host.get_by_role("button", name=NEXT[self.lang], exact=True)
            if button.get_attribute("aria-disabled") == "true":
                return seen
            button.click()


def check_the_story(stepper: Stepper, seconds: int) -> None:
    """concurrent_tasks as the tasks page tells it, its sleeps `seconds` long."""
    lang, at = stepper.lang, f"{seconds}.000{SECONDS[stepper.lang]}"
    seen = stepper.walk()
    iteration = [re.findall(r"\d+", s["now"])[2] for s in seen]  # step n of N · iteration i
    first = seen[0]
    assert first["tasks"]["Task-1"] == RUNNING[lang] and "Task-1" in first["what"]
    assert first["ready"] == ["Task-2", "Task-3", "Task-4"]
    # Each runs until its sleep, in one iteration: then three timers are pending, due at `at`.
    sleeping = seen[1:4]
    assert [s["tasks"][f"Task-{n}"] for n, s in zip((2, 3, 4), sleeping, strict=True)] == [
        RUNNING[lang]
    ] * 3
    assert len({iteration[k] for k in (1, 2, 3)}) == 1
    timers = seen[3]["timers"]
    assert len(timers) == 3 and all(t.startswith(at) for t in timers), timers
    assert [re.search(r"Task-\d", t).group() for t in timers] == ["Task-2", "Task-3", "Task-4"]
    # At `at`, one iteration runs the three timers' callbacks, each waking its task.
    waking = [k for k, s in enumerate(seen) if at in s["now"] and "_set_result" in s["what"]]
    assert len(waking) == 3 and len({iteration[k] for k in waking}) == 1
    assert seen[waking[-1]]["ready"] == ["Task-2", "Task-3", "Task-4"]
    # Then one iteration runs all three, and main finds them done.
    running = seen[waking[-1] + 1 : waking[-1] + 4]
    assert len({iteration[k] for k in range(waking[-1] + 1, waking[-1] + 4)}) == 1
    assert [s["what"].split()[0] for s in running] == ["Task-2", "Task-3", "Task-4"]
    last = seen[-1]
    assert last["what"].startswith("Task-1") and at in last["now"]
    done = DONE[lang].format(seconds)
    assert [last["tasks"][f"Task-{n}"] for n in (2, 3, 4)] == [done] * 3
    step, total = len(seen), len(seen)
    expected = f"{step}" if lang == "zh" else f"Step {step} of {total}, {at}: Task-1"
    assert expected in last["live"] and at in last["live"]


def test_nothing_loads_until_the_tab_is_shown_then_the_story_plays(
    runner_page: RunnerPage,
) -> None:
    assert [u for u in runner_page.before_asking if STEPPER_FILES.search(u)] == []
    stepper = Stepper(runner_page)
    stepper.open()
    loaded = [u for u in runner_page.requests if STEPPER_FILES.search(u)]
    assert any(u.endswith("/assets/steps/ch02/concurrent_tasks.json") for u in loaded), loaded
    assert all(u.endswith(("stepper.mjs", "stepper.css", ".json")) for u in loaded), loaded
    check_the_story(stepper, 3)
    # The keyboard, from a control: Home, End, and the arrows.
    stepper.host.get_by_role("button", name=NEXT[stepper.lang], exact=True).focus()
    page = runner_page.page
    page.keyboard.press("Home")
    assert re.search(r"\b1\b", stepper.now()) and "Task-1" in stepper.tasks()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert re.match(r"(Step 3 |第 3 步)", stepper.now())
    page.keyboard.press("ArrowLeft")
    assert re.match(r"(Step 2 |第 2 步)", stepper.now())
    page.keyboard.press("End")
    assert stepper.tasks()["Task-2"] == DONE[stepper.lang].format(3)
    # The small timeline: a click on Task-3's first bar is Task-3's first step; on Task-3's row
    # at 0 s, before Task-3 ran, main's first step; a drag to the right end, the last step.
    track = stepper.host.locator(".stepper-track").nth(2)
    track.locator(".stepper-bar").first.click()
    assert re.match(r"(Step 3 |第 3 步)", stepper.now())
    assert stepper.tasks()["Task-3"] == RUNNING[stepper.lang]
    track.click(position={"x": 1, "y": 4})
    assert re.match(r"(Step 1 |第 1 步)", stepper.now())
    box = track.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 4)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 1, box["y"] + 4, steps=5)
    page.mouse.up()
    assert stepper.tasks()["Task-1"] == DONE[stepper.lang].format("None")
    assert runner_page.foreign_requests() == [] and runner_page.errors == []


def test_after_a_run_it_steps_through_the_readers_run(runner_page: RunnerPage) -> None:
    example = runner_page.example(PATH)
    runner_page.open_editor(PATH)
    code = example.evaluate("set => set.querySelector('.highlight code').textContent")
    runner_page.edit(PATH, code.replace("delay(3)", "delay(1)").rstrip("\n"))
    result = runner_page.run(PATH)
    assert result["status"] == "result", result
    stepper = Stepper(runner_page)
    stepper.open()
    check_the_story(stepper, 1)
    # A run that fails: what ran up to the failure, and the error at the last step.
    runner_page.edit(
        PATH,
        "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n"
        "    raise ValueError('boom')\n\nasyncio.run(main())",
    )
    assert runner_page.run(PATH)["status"] == "result"
    stepper.open()
    error = stepper.host.locator(".stepper-error")
    assert error.is_hidden()
    stepper.host.locator(".stepper-slider").focus()
    runner_page.page.keyboard.press("End")
    assert error.is_visible() and "ValueError" in error.text_content()
    # Reset: the build's steps again.
    runner_page.show_code(PATH)
    example.get_by_role("button", name={"zh": "还原", "en": "Reset"}[runner_page.lang]).click()
    stepper.open()
    runner_page.page.wait_for_function(
        "host => host.querySelectorAll('.stepper-slider').length && "
        "host.querySelector('.stepper-slider').max === '10'",
        arg=stepper.host.element_handle(),
    )
    check_the_story(stepper, 3)


def _callbacks(data: dict) -> set[str]:
    handles = [h for s in data["steps"] for h in [s, *s["ready"], *s["timers"]]]
    return {h["callback"] for h in handles if h.get("callback")}


def _without(data: dict, names: set[str]) -> dict:
    """The step data without the handles of these callbacks."""
    kept = []
    for step in data["steps"]:
        if step.get("callback") in names:
            continue
        for key in ("ready", "timers"):
            step[key] = [h for h in step[key] if h.get("callback") not in names]
        kept.append(step)
    return {**data, "steps": kept}


def newer_asyncio_only(got: str, built: str) -> set[str]:
    """The browser runs Python 3.14, this build an older CPython: asyncio 3.14 schedules callbacks
    of its own that older versions do not (shield's `_clear_awaited_by_callback`, ...). When the
    two differ by those handles only, their names; else an empty set."""
    browser, build = json.loads(got), json.loads(built)
    extra = _callbacks(browser) - _callbacks(build)
    return extra if extra and _without(browser, extra) == build else set()


def steps_on_312(example) -> str | None:
    """As asyncio_312_expectation (test_runner_browser.py): asyncio changed in 3.12 (wait_for),
    so for a build older than 3.12, the steps a build on the newest CPython 3.12+ here writes
    (None if there is none)."""
    python = next((p for v in reversed(VERSIONS) if v >= "3.12" and (p := find_python(v))), None)
    if python is None:
        return None
    trace = trace_script(example, root=REPO, python=str(python))
    return dumps_steps(step_data(trace, example.parent))


def test_every_example_steps_as_in_the_build(runner_page: RunnerPage) -> None:
    """Byte for byte: the step data the page's Python makes equals the build's steps.json (built
    with CPython older than the browser's 3.14: up to callbacks only 3.14's asyncio has)."""
    runnable = runnable_examples()
    results = runner_page.page.evaluate(RUN_ALL, [[relative(e), None] for e in runnable])
    wrong, newer = [], []
    for example in runnable:
        got = results[relative(example)].get("steps")
        built = (example_out_dir(example) / "steps.json").read_text(encoding="utf-8")
        assert json.loads(built)["steps"], example  # real data, not empty
        if got == built:
            continue
        if sys.version_info < (3, 12):
            built = steps_on_312(example) or built
            if got == built:
                continue
        only = newer_asyncio_only(got, built) if got else set()
        if only:
            newer.append(f"{relative(example)}: {sorted(only)}")
        else:
            wrong.append(f"{relative(example)}: {str(got)[:300]}")
    assert len(runnable) > 10 and not wrong, "\n".join(wrong)
    assert len(newer) <= 2, newer  # the exception, not the rule


def test_fits_a_phone_and_has_no_serious_accessibility_problems(
    new_context, site_server: str
) -> None:
    for scheme in ("light", "dark"):
        page = new_context(viewport=PHONE, color_scheme=scheme).new_page()
        page.goto(site_server + "en/ch02/tasks/")
        example = page.locator(f'.tabbed-set[data-runner-example="{PATH}"]')
        example.locator(":scope > .tabbed-labels > label").nth(3).click()
        host = example.locator(".stepper")
        host.locator(".stepper-controls").wait_for()
        host.get_by_role("button", name="Next step", exact=True).click()
        host.get_by_role("button", name="Next step", exact=True).click()
        wide = host.evaluate(
            """host => [host, ...host.querySelectorAll('*')]
                 .filter(e => e.scrollWidth > e.clientWidth + 1 && !e.matches('.stepper-live')
                              && getComputedStyle(e).overflowX !== 'visible')
                 .map(e => e.className || e.tagName)"""
        )
        assert wide == [], wide  # (the live region is a visually hidden 1 px box)
        assert host.evaluate("host => host.scrollWidth <= host.clientWidth + 1")
        small = host.evaluate(
            """host => [...host.querySelectorAll('*')]
                 .filter(e => [...e.childNodes].some(
                     n => n.nodeType === 3 && n.textContent.trim()))
                 .filter(e => parseFloat(getComputedStyle(e).fontSize) < 12)
                 .map(e => e.className || e.tagName)"""
        )
        assert small == [], small
        if axe_script() is not None:
            page.add_style_tag(content=NO_TRANSITIONS)
            start_axe(page, {"include": [[".stepper"]]}, COLOUR_RULES if scheme == "dark" else None)
            problems = blocking(page, f"stepper ({scheme})")
            assert not problems, "\n".join(problems)
