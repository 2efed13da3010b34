"""The in-page runner in a real browser, on the built site, in both languages.

- A page fetches nothing of the runner (runtime, editor, bundle) until the reader presses Run or
  clicks into the code; then only files of the site itself.
- Every example, unmodified, gives in Pyodide exactly the build's output.txt and timeline.md.
- A reader's edit (delay(3) -> delay(1)) runs, and the Output and Timeline tabs show that run;
  Copy copies the edited code; Reset brings the published example back.
- `while True: pass` is stopped on its line, a loop in C by the watchdog, Stop ends a run, and
  a runaway loop, a deadlock, an exception and too much output end with the engine's own
  messages; the page stays usable.
- After the examples' runs, every standard-library module loaded from the stdlib zip came from
  its precompiled .pyc (asyncio_notes/devtools/vendor.py), not from its source.

One page per language loads Pyodide once (module-scoped) for the tests of that language that a
worker runs. What the page's language changes (labels, messages) is checked in both; what it does
not (the worker, the engine and the bundle are the same files in both: tests/test_site.py) runs
on one page only, as each Pyodide start costs about 4 s of CPU.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from asyncio_notes.devtools import vendor
from asyncio_notes.devtools.test_pythons import VERSIONS, find_python
from asyncio_notes.engine.parent import trace_script
from asyncio_notes.engine.trace import printed_lines
from asyncio_notes.paths import REPO
from asyncio_notes.render.output import output_text, timeline_block
from asyncio_notes.sitebuild.catalog import example_files, relative
from asyncio_notes.sitebuild.generate import example_out_dir
from asyncio_notes.sitebuild.runner_bundle import browser_needs

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

PAGE = "ch02/tasks/"  # a section page: its first example is concurrent_tasks.py
RUNNER_FILES = re.compile(r"/vendor/(pyodide|editor)/|/runner(-worker)?\.mjs|/runner/bundle\.json")
RUN = {"zh": "运行", "en": "Run"}
STOP = {"zh": "停止", "en": "Stop"}
RESET = {"zh": "还原", "en": "Reset"}
DONE = {"zh": "完成", "en": "Done"}

# [path, source] pairs through the page's own runner module (the worker, Pyodide), one after
# another; a null source runs the published example. Returns {path: result}.
RUN_ALL = """async (runs) => {
  const script = document.querySelector("script[src*='runner-on-demand.js']")
  const runner = await import(new URL("runner.mjs", script.src).href)
  const results = {}
  for (const [path, source] of runs) results[path] = await runner.execute(path, source)
  return results
}"""


# Run through the page's runner as a reader's edit: what the worker's Python has loaded from the
# stdlib zip (on sys.path), and from which file. (Frozen modules, built into the interpreter, have
# their __file__ there too.)
LOADED_FROM_THE_ZIP = """import sys

archive = next(path for path in sys.path if path.endswith(".zip"))
for name, module in sorted(sys.modules.items()):
    file = getattr(module, "__file__", None) or ""
    frozen = getattr(module.__spec__, "origin", None) == "frozen"
    if file.startswith(archive + "/") and not frozen:
        print(name, "bytecode" if file.endswith(".pyc") else "source")
"""


def _url(site_server: str, lang: str, path: str = PAGE) -> str:
    return site_server + ("en/" if lang == "en" else "") + path


class RunnerPage:
    def __init__(self, page, lang: str, host: str) -> None:
        self.page, self.lang, self.host = page, lang, host
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.before_asking: list[str] = []  # set by open_runner_page
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def example(self, path: str):
        return self.page.locator(f'.tabbed-set[data-runner-example="{path}"]')

    def run(self, path: str, timeout: float = 60_000) -> dict:
        example = self.example(path)
        self.show_code(path)
        example.get_by_role("button", name=RUN[self.lang], exact=True).click()
        self.page.wait_for_function(
            "set => set.runnerResult !== undefined",
            arg=example.element_handle(),
            timeout=timeout,
        )
        result = example.evaluate("set => set.runnerResult")
        example.evaluate("set => { delete set.runnerResult }")
        return result

    def show_code(self, path: str) -> None:
        """Select the Code tab (content.tabs.link switches every example's tabs together)."""
        self.example(path).locator(":scope > .tabbed-labels > label").nth(0).click()

    def open_editor(self, path: str):
        self.show_code(path)
        example = self.example(path)
        if not example.locator(".cm-editor").count():
            example.locator(".highlight pre").first.click()
        editor = example.locator(".cm-content")
        editor.click()
        return editor

    def edit(self, path: str, source: str) -> None:
        self.open_editor(path)
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(source)

    def output_shown(self, path: str) -> str:
        panel = self.example(path).locator(":scope > .tabbed-content > .tabbed-block").nth(1)
        return panel.locator("pre > code").text_content()

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if urlparse(u).netloc != self.host]


def open_runner_page(context, site_server: str, lang: str) -> RunnerPage:
    """The page, loaded and scrolled through as a reader would, before anything is asked of it
    (what it fetched by then: RunnerPage.before_asking)."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    runner = RunnerPage(page, lang, urlparse(site_server).netloc)
    page.goto(_url(site_server, lang))
    page.wait_for_load_state("networkidle")
    page.mouse.wheel(0, 2000)
    page.wait_for_timeout(300)
    runner.before_asking = list(runner.requests)
    return runner


@pytest.fixture(scope="module")
def runner_page(request, browser, site_server: str) -> Iterator[RunnerPage]:
    """One page per language (request.param, and worker) for the tests below: Python loads once
    there."""
    context = browser.new_context()
    yield open_runner_page(context, site_server, request.param)
    context.close()


# The page's language, for the tests that take the runner_page fixture.
IN_BOTH = pytest.mark.parametrize("runner_page", ["zh", "en"], indirect=True)
IN_ENGLISH = pytest.mark.parametrize("runner_page", ["en"], indirect=True)
IN_CHINESE = pytest.mark.parametrize("runner_page", ["zh"], indirect=True)


@IN_BOTH
def test_nothing_of_the_runner_loads_before_the_reader_asks(runner_page: RunnerPage) -> None:
    """The page, opened and scrolled, had fetched no byte of the runtime or the editor; a click
    into the code makes it an editor (if no test on this page has done so yet)."""
    page = runner_page.page
    assert page.locator(".tabbed-set[data-runner-example]").count() >= 2
    assert len(runner_page.before_asking) > 5  # the page's own files: the record works
    assert [u for u in runner_page.before_asking if RUNNER_FILES.search(u)] == []
    example = runner_page.example("examples/ch02/concurrent_tasks.py")
    runner_page.show_code("examples/ch02/concurrent_tasks.py")
    if not example.locator(".cm-editor").count():
        example.locator(".highlight pre").first.click()
    example.locator(".cm-editor").wait_for()
    assert example.locator(".cm-content[contenteditable=true]").is_visible()
    assert any("/vendor/editor/" in u for u in runner_page.requests)
    assert runner_page.foreign_requests() == []


@IN_BOTH
def test_a_readers_edit_runs_and_redraws_output_and_timeline(runner_page: RunnerPage) -> None:
    path = "examples/ch02/concurrent_tasks.py"
    example = runner_page.example(path)
    runner_page.open_editor(path)
    edited = example.evaluate("set => set.querySelector('.highlight code').textContent")
    assert "delay(3)" in edited  # Copy still copies the published code: nothing edited yet
    runner_page.edit(path, edited.replace("delay(3)", "delay(1)").rstrip("\n"))
    copied = example.evaluate("set => set.querySelector('.highlight code').textContent")
    assert "delay(1)" in copied and "delay(3)" not in copied  # what Material's Copy copies
    result = runner_page.run(path)
    assert result["status"] == "result", result
    shown = runner_page.output_shown(path)
    assert "finished main in 1.0000 second(s)" in shown and shown == result["output"]
    assert round(result["elapsed"], 3) == 1.0  # CPU cost adds microseconds
    # The tasks wake at 1 s (3 s in the published run); their steps are laid one after another.
    running = [
        int(t) for t in re.findall(r"running :done, (\d+), \d+ms$", result["timeline"], re.M)
    ]
    assert 1000 in running and max(running) < 1200, result["timeline"]
    timeline = example.locator(":scope > .tabbed-content > .tabbed-block").nth(2)
    example.locator(":scope > .tabbed-labels > label").nth(2).click()
    assert timeline.locator("div.mermaid svg").count() == 1
    example.locator(":scope > .tabbed-labels > label").nth(0).click()
    example.get_by_role("button", name=RESET[runner_page.lang]).click()
    out = example_out_dir(example_files()[0].parent / "concurrent_tasks.py")
    assert runner_page.output_shown(path) == (out / "output.txt").read_text(encoding="utf-8")
    assert "delay(3)" in example.locator(".cm-content").text_content()
    # The build's timeline is back, still drawn (its SVG is in a closed shadow root: no svg query).
    example.locator(":scope > .tabbed-labels > label").nth(2).click()
    drawn = timeline.locator("div.mermaid")
    drawn.wait_for()
    assert drawn.count() == 1 and drawn.bounding_box()["height"] > 20
    assert timeline.locator(".runner-diagram").count() == 0


def asyncio_312_expectation(example, built: list[str]) -> list[str]:
    """asyncio changed in 3.12 (wait_for no longer wraps its coroutine in a task, so a timeout
    wakes the caller once, not twice): a site built on 3.11 shows that, and the browser's 3.14
    does not. For a build older than 3.12, what the page would show built on the newest CPython
    3.12+ found here (which the deploy workflow uses); the browser must equal that."""
    if sys.version_info >= (3, 12):
        return built
    python = next((p for v in reversed(VERSIONS) if v >= "3.12" and (p := find_python(v))), None)
    if python is None:
        pytest.skip(f"{relative(example)} differs on 3.11; no CPython 3.12+ here to compare")
    trace = trace_script(example, root=REPO, python=str(python))
    return [
        output_text(relative(example), printed_lines(trace), trace["stderr"]),
        timeline_block(trace),
    ]


def runnable_examples() -> list:
    """Every example the browser can run (runner_bundle.browser_needs finds nothing missing)."""
    return [e for e in example_files() if not browser_needs(e.read_text(encoding="utf-8"))]


@IN_ENGLISH
def test_every_example_equals_the_build(runner_page: RunnerPage) -> None:
    """Byte for byte: the Output text and the Timeline block (its Mermaid source)."""
    runnable = runnable_examples()
    page_example = "examples/ch02/task_model.py"  # also through the page's own button
    result = runner_page.run(page_example)
    out = example_out_dir(example_files()[0].parent / "task_model.py")
    assert runner_page.output_shown(page_example) == (out / "output.txt").read_text("utf-8")
    assert result["timeline"] == (out / "timeline.md").read_text("utf-8")
    results = runner_page.page.evaluate(RUN_ALL, [[relative(e), None] for e in runnable])
    wrong = []
    for example in runnable:
        got, out = results[relative(example)], example_out_dir(example)
        built = [(out / name).read_text(encoding="utf-8") for name in ("output.txt", "timeline.md")]
        if [got.get("output"), got.get("timeline")] != built:
            built = asyncio_312_expectation(example, built)
        if got.get("output") != built[0]:
            wrong.append(f"{relative(example)} output:\n{got.get('output') or got}")
        if got.get("timeline") != built[1]:
            wrong.append(f"{relative(example)} timeline")
    assert not wrong, "\n".join(wrong)
    assert runner_page.foreign_requests() == [] and runner_page.errors == []


@IN_ENGLISH
def test_the_standard_library_is_loaded_from_bytecode(runner_page: RunnerPage) -> None:
    """After every example has run (again, if this worker ran the test above: a second run takes
    milliseconds), no module of the stdlib zip was compiled from its source in the browser: the
    vendored zip has a .pyc for each (vendor.json)."""
    path = "examples/ch02/task_model.py"
    runs = [[relative(e), None] for e in runnable_examples()]
    result = runner_page.page.evaluate(RUN_ALL, [*runs, [path, LOADED_FROM_THE_ZIP]])[path]
    assert result["type"] == "result", result
    loaded = dict(line.split() for line in result["output"].splitlines()[1:])
    assert len(loaded) > 50, result["output"]
    from_source = sorted(name for name, kind in loaded.items() if kind == "source")
    assert not from_source, (
        "compiled from source in the browser, not precompiled in the vendored stdlib zip "
        f"(re-run `python -m asyncio_notes.devtools.vendor pyodide`): {from_source}"
    )


@IN_ENGLISH
def test_the_runtime_is_kept_for_later_pages(runner_page: RunnerPage) -> None:
    """Cache Storage, named after the pinned version and the stdlib zip's digest (the zip is
    derived from the package's), holds the interpreter and the stdlib."""
    assert runner_page.run("examples/ch02/task_model.py")["status"] == "result"
    cached = runner_page.page.evaluate(
        """async () => {
          const names = await caches.keys()
          const files = []
          for (const name of names)
            for (const request of await (await caches.open(name)).keys()) files.push(request.url)
          return {names, files}
        }"""
    )
    pyodide = vendor.PACKAGES["pyodide"]
    digest = json.loads(pyodide.manifest.read_text("utf-8"))["sha256"]["python_stdlib.zip"]
    assert cached["names"] == [f"asyncio-notes-pyodide-{pyodide.version}-{digest[:12]}"]
    names = {url.rsplit("/", 1)[1] for url in cached["files"]}
    assert {"pyodide.asm.wasm", "python_stdlib.zip"} <= names


def test_an_example_the_browser_cannot_run_says_why(new_context, site_server: str) -> None:
    """The note comes from data-needs (runner_bundle.browser_needs, found in the source); no
    chapter example needs threads yet, so the page is served with one that does."""
    page = new_context().new_page()
    url = _url(site_server, "en")
    needs = '{"examples/ch02/concurrent_tasks.py": {"threads": ["to_thread"]}}'

    def with_needs(route) -> None:
        html = route.fetch().text()
        html = html.replace('data-needs="{}"', f"data-needs='{needs}'")
        route.fulfill(body=html, content_type="text/html")

    page.route(url, with_needs)
    page.goto(url)
    bar = page.locator(
        '.tabbed-set[data-runner-example="examples/ch02/concurrent_tasks.py"] .runner-bar'
    )
    assert "threads (to_thread)" in bar.locator(".runner-note").text_content()
    assert page.locator(".runner-note").count() == 1


ENDINGS = {
    "runaway": ("while True:\n        await asyncio.sleep(1)", "virtual time limit"),
    "deadlock": ("await asyncio.get_running_loop().create_future()", "deadlocked"),
    "exception": ("raise ValueError('boom')", "ValueError: boom"),
    "output": ("while True:\n        print('x' * 100)", "limit of 200000 characters"),
    # It awaits: the engine's diagnosis, not the watchdog's "never awaits" (issue 22).
    "spin": ("while True:\n        await asyncio.sleep(0)", "never lets virtual time pass"),
}


@IN_ENGLISH
def test_runs_that_cannot_finish_end_with_a_message(runner_page: RunnerPage) -> None:
    path = "examples/ch02/task_model.py"
    for name, (body, message) in ENDINGS.items():
        runner_page.edit(
            path, f"import asyncio\n\nasync def main():\n    {body}\n\nasyncio.run(main())"
        )
        started = time.monotonic()
        result = runner_page.run(path, timeout=10_000)
        assert time.monotonic() - started < 10, name
        assert result["status"] == "result" and message in runner_page.output_shown(path), name


@IN_CHINESE  # its labels and message are checked in Chinese
def test_a_busy_loop_is_stopped_and_the_page_stays_usable(runner_page: RunnerPage) -> None:
    page, path = runner_page.page, "examples/ch02/task_model.py"
    example = runner_page.example(path)
    assert runner_page.run(path)["status"] == "result"  # a warm worker, whichever tests ran here
    runner_page.edit(path, "while True:\n    pass")
    # Stopped in the worker, on the reader's line, with Python's traceback; the page answers
    # meanwhile.
    started = time.monotonic()
    example.get_by_role("button", name=RUN["zh"], exact=True).click()
    example.locator(":scope > .tabbed-labels > label").nth(1).click(timeout=2000)
    assert page.evaluate("1 + 1") == 2
    page.wait_for_function("set => set.runnerResult?.status", arg=example.element_handle())
    assert time.monotonic() - started < 10
    result = example.evaluate("set => set.runnerResult")
    assert result["status"] == "result" and result["kind"] == "stuck", result
    shown = runner_page.output_shown(path)
    assert 'File "examples/ch02/task_model.py", line 2, in <module>' in shown
    assert "never awaits" in shown and "asyncio_notes" not in shown
    assert example.locator(".cm-line.runner-error-line").text_content() == "    pass"
    assert example.locator(".runner-status").text_content().startswith("第 2 行：已停止")
    # A loop in C (no line of Python runs): the page's watchdog.
    example.locator(":scope > .tabbed-labels > label").nth(0).click()
    example.evaluate("set => { delete set.runnerResult }")
    runner_page.edit(path, "sum(range(10 ** 15))")
    started = time.monotonic()
    example.get_by_role("button", name=RUN["zh"], exact=True).click()
    page.wait_for_function(
        "set => set.runnerResult?.status === 'watchdog'", arg=example.element_handle()
    )
    assert time.monotonic() - started < 10
    assert "while True: pass" in runner_page.output_shown(path)
    example.locator(":scope > .tabbed-labels > label").nth(0).click()
    # Stop, pressed while a fresh worker loads Python or the loop spins.
    example.evaluate("set => { delete set.runnerResult }")
    example.get_by_role("button", name=RUN["zh"], exact=True).click()
    page.wait_for_timeout(1000)
    example.get_by_role("button", name=STOP["zh"]).click()
    page.wait_for_function(
        "set => set.runnerResult?.status === 'stopped'", arg=example.element_handle()
    )
    assert "已停止" in runner_page.output_shown(path)
    # A new worker serves the next run.
    example.get_by_role("button", name=RESET["zh"]).click()
    assert runner_page.run(path)["status"] == "result"


# Issue 22: the reader's mistakes in their own words, results beside the code, every example.

MISTAKES = {
    # name: (source, the status sentence in (zh, en), what the Output shows, the line marked)
    "syntax": (
        "import asyncio\n\nasync def main():\n    print('hi'\n\nasyncio.run(main())",
        (
            "SyntaxError: '(' was never closed（第 4 行）",
            "SyntaxError: '(' was never closed (line 4)",
        ),
        "SyntaxError: '(' was never closed",
        "    print('hi'",
    ),
    "exception": (
        "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n"
        "    raise ValueError('boom')\n\nasyncio.run(main())",
        ("第 5 行：ValueError: boom", "Line 5: ValueError: boom"),
        'File "examples/ch02/task_model.py", line 5, in main',
        "    raise ValueError('boom')",
    ),
}


@IN_BOTH
def test_a_readers_mistake_is_shown_in_their_own_words(runner_page: RunnerPage) -> None:
    """Python's own message and the reader's frames only; one short status sentence; the line
    marked in the editor; the results under the code; never the previous run's timeline."""
    path = "examples/ch02/task_model.py"
    example = runner_page.example(path)
    lang = 0 if runner_page.lang == "zh" else 1
    for name, (source, status, shown, line) in MISTAKES.items():
        assert runner_page.run(path)["status"] == "result"  # a chart to be replaced
        runner_page.edit(path, source)
        result = runner_page.run(path)
        assert result["status"] == "result" and result["kind"] == name, result
        status = example.locator(".runner-status").text_content()
        assert status.startswith(MISTAKES[name][1][lang]), status
        assert "\n" not in status and len(status) < 80, status
        output = runner_page.output_shown(path)
        assert shown in output and "asyncio_notes" not in output and "PythonError" not in output
        assert example.locator(".cm-line.runner-error-line").text_content() == line
        # Beside the code, without a tab switch: the same output, and the timeline (or why none).
        results = example.locator(".runner-results")
        assert results.is_visible() and results.locator("pre").text_content() == output
        timeline = example.locator(":scope > .tabbed-content > .tabbed-block").nth(2)
        if name == "syntax":
            assert results.locator("svg").count() == 0
            assert timeline.locator(".runner-diagram svg").count() == 0
            assert timeline.locator(".runner-timeline-note").count() == 1
        else:  # drawn up to the failure, the error marked on main's row
            assert results.locator("div.mermaid svg").count() == 1
            assert "ValueError('boom') :crit, milestone" in result["timeline"]
    example.get_by_role("button", name=RESET[runner_page.lang]).click()
    assert example.locator(".runner-results").is_hidden()
    assert example.locator(".cm-line.runner-error-line").count() == 0


@IN_ENGLISH
def test_many_tasks_and_much_output_stay_readable(runner_page: RunnerPage) -> None:
    """10,000 tasks: a summary chart and a sentence saying so, never Mermaid's error box, never
    "never awaits"; 5,000 lines: the first 1,000 shown, in a panel of its own height."""
    path = "examples/ch02/task_model.py"
    example = runner_page.example(path)
    runner_page.edit(
        path,
        "import asyncio\n\nasync def work(i):\n    await asyncio.sleep(0.01 * (i % 7))\n\n"
        "async def main():\n    await asyncio.gather(*(work(i) for i in range(10_000)))\n"
        "    print('done')\n\nasyncio.run(main())",
    )
    result = runner_page.run(path)
    assert result["status"] == "result", result
    assert result["kind"] in (None, "busy"), (
        result
    )  # busy: stopped with what ran, on a slow machine
    assert "never awaits" not in example.locator(".runner-status").text_content()
    note = example.locator(".runner-results .runner-timeline-note").first.text_content()
    assert "10001 tasks" in note and "the first 40 tasks" in note, note
    assert example.locator(".runner-results div.mermaid svg").count() == 1
    page_text = runner_page.page.locator("body").text_content()
    assert "Syntax error in text" not in page_text and "Maximum text size" not in page_text
    runner_page.edit(path, "for i in range(5000):\n    print(i)")
    result = runner_page.run(path)
    assert result["lines"] == 5000 and result["output"].count("\n") == 1002
    status = example.locator(".runner-status").text_content()
    assert "The Output shows the first 1000 of 5000 lines." in status, status
    shown = example.locator(".runner-results pre > code")
    box = shown.bounding_box()
    assert box["height"] < 600 and shown.evaluate("e => e.scrollHeight > e.clientHeight")
    example.get_by_role("button", name=RESET["en"]).click()


def test_every_example_on_the_site_has_a_run_button(new_context, site_server: str) -> None:
    """In both languages, on every chapter page: every example's Code tab has Run, or says
    why it cannot run in the browser."""
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    seen = set()
    for lang in ("zh", "en"):
        for md in sorted((REPO / "docs" / lang / "ch02").glob("*.md")):
            slug = "" if md.stem == "index" else f"{md.stem}/"
            page.goto(_url(site_server, lang, f"ch02/{slug}"))
            for title in page.locator(".tabbed-set .highlight .filename").all_text_contents():
                if not re.fullmatch(r"examples/ch\d\d/\w+\.py", title.strip()):
                    continue
                example = page.locator(f'.tabbed-set[data-runner-example="{title.strip()}"]')
                bar = example.locator(".runner-bar")
                assert (
                    bar.locator(".runner-run").count() == 1 or bar.locator(".runner-note").count()
                ), title
                seen.add((lang, title.strip()))
    expected = {(lang, relative(e)) for lang in ("zh", "en") for e in example_files()}
    assert expected <= seen, sorted(expected - seen)


def test_the_clis_html_page_draws_the_timeline_from_a_file(new_context, tmp_path) -> None:
    """`python3 -m asyncio_notes --html`, opened from disk: the chart is drawn by the inlined
    Mermaid, with no request beyond the file itself and its data: modules."""
    import subprocess

    command = [sys.executable, "-m", "asyncio_notes", "--html", "examples/ch02/task_model.py"]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    page_file = tmp_path / "timeline.html"
    page_file.write_text(proc.stdout, encoding="utf-8")
    page = new_context().new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.locator("#chart svg").wait_for(timeout=30_000)
    assert page.locator("#chart svg text.sectionTitle").count() >= 2
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []


LONG_PRINT = """import asyncio


async def main():
    await asyncio.sleep(1)
    print("a line long enough to be cut short on the chart")


asyncio.run(main())"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_on_a_phone_the_runs_timeline_keeps_its_width(new_context, site_server, lang) -> None:
    """At 390 px with touch: no "Esc then Tab" hint, the redrawn chart keeps its pixel width
    (it scrolls sideways instead of shrinking), and tapping a cut label shows its whole text."""
    from tests.browser_support import PHONE

    context = new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    runner = RunnerPage(page, lang, urlparse(site_server).netloc)
    page.goto(_url(site_server, lang))
    path = "examples/ch02/concurrent_tasks.py"
    example = runner.example(path)
    example.locator(".highlight pre").first.tap()
    example.locator(".cm-content").wait_for()
    assert example.locator(".runner-hint").count() == 0
    runner.edit(path, LONG_PRINT)
    assert runner.run(path)["status"] == "result"
    chart = example.locator(".runner-results .runner-diagram div.mermaid")
    svg = chart.locator("svg")
    drawn = svg.evaluate("s => [s.getBoundingClientRect().width, s.width.baseVal.value]")
    assert drawn[0] >= drawn[1] - 1 and drawn[1] > 390, drawn  # its own width, not the column's
    assert chart.evaluate("c => c.scrollWidth > c.clientWidth")
    label = svg.locator(".notes-cut").first
    whole = svg.locator(".notes-full").first
    assert whole.evaluate("e => getComputedStyle(e).display") == "none"
    label.scroll_into_view_if_needed()
    label.tap()
    assert whole.evaluate("e => getComputedStyle(e).display") != "none"
    assert whole.text_content() == "a line long enough to be cut short on the chart"


# Tags a bar (a running step: `done`) in the row of the task titled `title`, for a click.
TAG_BAR = """([svg, title]) => {
  const label = [...svg.querySelectorAll("text.sectionTitle")].find(t => t.textContent === title)
  const y = Number(label.getAttribute("y"))
  const middle = r => Number(r.getAttribute("y")) + Number(r.getAttribute("height")) / 2
  const bar = [...svg.querySelectorAll("rect.task")]
    .find(r => /\\bdone\\d/.test(r.getAttribute("class")) && Math.abs(middle(r) - y) < 20)
  bar.setAttribute("data-qa", "bar")
}"""


@IN_ENGLISH
def test_a_bar_marks_its_tasks_lines_and_old_output_is_marked(runner_page: RunnerPage) -> None:
    path = "examples/ch02/concurrent_tasks.py"
    example = runner_page.example(path)
    runner_page.show_code(path)
    reset = example.get_by_role("button", name=RESET["en"])
    if reset.count():  # another test here ran it before
        reset.click()
    assert runner_page.run(path)["status"] == "result"
    svg = example.locator(".runner-results svg")
    marked = example.locator(".cm-line.runner-bar-line")
    # Task-3 runs the second delay(3): the line that created it.
    svg.evaluate(f"svg => ({TAG_BAR})([svg, 'Task-3 delay(3)'])")
    svg.locator("[data-qa=bar]").click()
    assert marked.all_text_contents() == ["    sleep_again = asyncio.create_task(delay(3))"]
    # Task-1 runs main(), defined here: its whole `async def` block.
    svg.locator("[data-qa=bar]").evaluate("e => e.removeAttribute('data-qa')")
    svg.evaluate(f"svg => ({TAG_BAR})([svg, 'Task-1 main()'])")
    svg.locator("[data-qa=bar]").click()
    lines = marked.all_text_contents()
    assert lines[0] == "async def main() -> None:" and lines[-1] == "    await sleep_once_more"
    # Not edited: the #> comments are this file's own output. Edited: marked as the file's.
    recorded = example.locator(".cm-line.runner-recorded")
    assert recorded.count() == 0
    runner_page.open_editor(path)
    runner_page.page.keyboard.press("Control+End")
    runner_page.page.keyboard.insert_text("\n# mine")
    assert recorded.count() == 8
    note = recorded.first.get_attribute("data-note")
    assert note and "published file" in note
    example.get_by_role("button", name=RESET["en"]).click()
    assert recorded.count() == 0 and marked.count() == 0
