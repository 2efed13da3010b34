"""`runner`: the in-page runner: the first Run (transfer, time to first output), a second run
of every chapter example, and a first Run on another page (the runtime from cache)."""

from __future__ import annotations

import time

from asyncio_notes.devtools.bench.common import chromium, load_average, served_site
from asyncio_notes.devtools.bench.pages import gzip_kb
from asyncio_notes.sitebuild.catalog import example_files, relative

# Targets of the in-page runner (issue 12), in milliseconds.
RUNNER_FIRST_OUTPUT_MS = 5000


RUNNER_SECOND_RUN_MS = 150


# Every example through the page's own runner module; [path, ms in the worker, ms round trip].
_RUN_EVERY_EXAMPLE = """async (paths) => {
  const script = document.querySelector("script[src*='runner-on-demand.js']")
  const runner = await import(new URL("runner.mjs", script.src).href)
  const times = []
  for (const path of paths) {
    const start = performance.now()
    const result = await runner.execute(path, null)
    times.push([path, result.ms, performance.now() - start])
  }
  return times
}"""


def _first_run(page, site_url: str, path: str) -> tuple[float, list]:
    """Open the page, press the first Run; return (ms to its output, responses after the click)."""
    page.goto(site_url + path, wait_until="load")
    page.wait_for_load_state("networkidle")
    responses: list = []
    page.on("response", lambda response: responses.append(response))
    example = page.locator(".tabbed-set[data-runner-example]").first
    start = time.perf_counter()
    example.locator(".runner-run").click()
    page.wait_for_function("set => set.runnerResult", arg=example.element_handle(), timeout=120_000)
    startup = example.evaluate("set => set.runnerResult.startup")
    print(
        f"  {'':2}worker start-up: Pyodide loaded in {startup['loadMs']:.0f} ms, the runner "
        f"imported in {startup['importMs']:.0f} ms"
    )
    return (time.perf_counter() - start) * 1000, responses


def bench_runner() -> None:
    """The in-page runner (Pyodide in a worker), on the chapter's section pages."""
    site = served_site()
    with chromium(f"runner: the in-page runner, served locally ({load_average()})") as browser:
        if browser is None:
            return
        context = browser.new_context()
        page = context.new_page()
        first_ms, responses = _first_run(page, site.url, "ch02/tasks/")
        page.wait_for_load_state("networkidle")
        kb = sum(map(gzip_kb, responses))
        verdict = "within" if first_ms <= RUNNER_FIRST_OUTPUT_MS else "OVER"
        print(
            f"  first Run on /ch02/tasks/: output after {first_ms:.0f} ms ({verdict} target "
            f"{RUNNER_FIRST_OUTPUT_MS} ms), {kb:.0f} KB gzip transferred"
        )
        top = sorted(((gzip_kb(r), r.url.removeprefix(site.url)) for r in responses), reverse=True)
        print(f"  {'':2}largest (KB): {', '.join(f'{u} {k:.0f}' for k, u in top[:5])}")
        paths = [relative(p) for p in example_files("ch02")]
        page.evaluate(_RUN_EVERY_EXAMPLE, paths)  # first runs: imports, caches
        times = page.evaluate(_RUN_EVERY_EXAMPLE, paths)
        print(
            f"  second run of every ch02 example (worker ms / round trip ms; target "
            f"< {RUNNER_SECOND_RUN_MS} ms):"
        )
        for path, worker_ms, total_ms in times:
            mark = "" if total_ms < RUNNER_SECOND_RUN_MS else "  OVER"
            print(f"    {path:40} {worker_ms:7.0f} {total_ms:7.0f}{mark}")
        other = context.new_page()
        page.close()
        again_ms, responses = _first_run(other, site.url, "ch02/coroutines/")
        wire = sum(max(0, r.request.sizes()["responseBodySize"]) for r in responses) / 1024
        print(
            f"  first Run on another page (/ch02/coroutines/, same visit): output after "
            f"{again_ms:.0f} ms, {wire:.0f} KB over the wire ({len(responses)} responses, "
            f"the runtime from the worker's Cache Storage)"
        )
