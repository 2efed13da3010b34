"""Figures about the project's tooling, printed for people to read (no pass/fail).

    python -m asyncio_notes.devtools.bench              # every section (`make bench`; ~10 minutes)
    python -m asyncio_notes.devtools.bench trace site   # some sections

Sections:
  trace       tracing every chapter example under the virtual clock vs running it for real
  build       wall time of `make build` (the other site sections measure that build, served locally)
  site        gzip size of what a first visit loads, for every page (text and diagram budgets)
  lighthouse  Lighthouse 12 (tools/lighthouse), desktop and mobile, two runs each: home, chapter
              index, the chapter's largest section page and its notebook page
  fuzz        the clock's differential fuzz (devtools/clock_fuzz.py) on 400 more programs
  runner      the in-page runner: first Run (transfer, time to first output), a second run of
              every chapter example, and a first Run on another page (the runtime from cache)
  test        wall time of `make test` (whole suite) and `make check` (no browser tier)
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncio_notes.devtools import clock_fuzz
from asyncio_notes.devtools.chromium import (
    CHROMIUM_ARGS,
    launch,
    open_diagram_tabs,
    system_chromium,
)
from asyncio_notes.devtools.static_server import free_port, serve
from asyncio_notes.engine.parent import trace_script
from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild.catalog import example_files, relative


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_for_real(path: Path) -> None:
    subprocess.run([sys.executable, path.name], cwd=path.parent, capture_output=True, check=True)


def bench_trace() -> None:
    """Wall time of tracing every example (virtual clock) vs `python file.py` one after another."""
    paths = example_files("ch02")
    workers = os.cpu_count() or 1
    warm_up = timed(lambda: trace_script(paths[0]))  # starts the tracer's fork server
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"trace: {len(paths)} examples in examples/ch02, {workers} CPU(s), load {load:.1f}")
    print(f"  first trace, starting the fork server: {warm_up:.3f} s (not in the totals)")
    print(f"  {'example':36} {'real (s)':>9} {'traced (s)':>11} {'virtual (s)':>12}")
    real_total = traced_total = 0.0
    for path in paths:
        real = timed(lambda p=path: run_for_real(p))
        start = time.perf_counter()
        elapsed = trace_script(path)["elapsed"]
        traced = time.perf_counter() - start
        real_total += real
        traced_total += traced
        print(f"  {relative(path):36} {real:9.3f} {traced:11.3f} {elapsed:12.4f}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parallel = timed(lambda: list(pool.map(trace_script, paths)))
    rows = [
        ("real, one after another", real_total),
        ("traced, one after another", traced_total),
        (f"traced, {workers} at a time", parallel),
    ]
    for label, seconds in rows:
        print(f"  {label + ':':28} {seconds:7.2f} s   ratio {real_total / seconds:5.1f}x")


# --- The built site: build and test times, what a page weighs, Lighthouse ----------------------

LIGHTHOUSE_DIR = REPO / "tools" / "lighthouse"  # lighthouse pinned in package.json / package-lock
# Page weight budgets (KB after gzip) for everything a first visit transfers: HTML, CSS, JS,
# fonts, images and data. Diagram pages: every page with a diagram; text pages: every other page
# (found in the built site, so a new chapter is weighed without editing this file).
WEIGHT_BUDGET_KB = {"text": 90, "diagram": 300}
LIGHTHOUSE_CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
LIGHTHOUSE_TARGETS = {
    "desktop": {"performance": 98, "accessibility": 100, "best-practices": 100, "seo": 95},
    "mobile": {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 95},
}
# True once no diagram waits to be drawn; else scrolls to the first one showing (a loader may draw
# a diagram only when it is about to be seen).
DRAW_EVERY_DIAGRAM = """() => {
  const waiting = [...document.querySelectorAll("pre.mermaid")]
  if (!waiting.length) return true
  waiting.find(el => el.getClientRects().length > 0)?.scrollIntoView({block: "center"})
  return false
}"""


# The Mermaid diagram types on the page (the first word of each source, after any front matter).
DIAGRAM_TYPES = """() => [...new Set([...document.querySelectorAll("pre.mermaid")].map(pre =>
  pre.textContent.replace(/^\\s*---[\\s\\S]*?\\n---\\s*/, "").trim().split(/\\s/)[0]))].sort()"""


@dataclass
class ServedSite:
    root: Path
    url: str
    build_seconds: float


_served: ServedSite | None = None


def served_site() -> ServedSite:
    """Run `make build` once (for a free local port), serve a copy of site/ at that URL."""
    global _served
    if _served is None:
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        env = {**os.environ, "SITE_URL": url}
        start = time.perf_counter()
        proc = subprocess.run(["make", "build"], cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode:
            sys.exit(f"make build failed:\n{proc.stdout}{proc.stderr}")
        root = Path(tempfile.mkdtemp(prefix="asyncio-notes-bench-"))
        shutil.copytree(REPO / "site", root, dirs_exist_ok=True)  # site/ may be rebuilt meanwhile
        server = serve(root, port)  # gzip, as GitHub Pages sends it
        atexit.register(lambda: (server.shutdown(), shutil.rmtree(root, ignore_errors=True)))
        _served = ServedSite(root, url, seconds)
    return _served


def site_paths(root: Path) -> list[tuple[str, str]]:
    """(URL path, kind) of every page of the built site, both languages: "diagram" for a page
    with a Mermaid diagram, "text" for any other (the notebook pages included)."""
    found = []
    for file in sorted(root.rglob("index.html")):
        rel = file.relative_to(root).as_posix().removesuffix("index.html")
        kind = "diagram" if 'class="mermaid"' in file.read_text(encoding="utf-8") else "text"
        found.append((rel, kind))
    return sorted(found, key=lambda item: (item[1] != "text", item[0].startswith("en/"), item[0]))


def lighthouse_pages(root: Path) -> dict[str, str]:
    """Home, the first chapter's index, the section page with the most elements (the one
    Material takes longest to set up), and the chapter's notebook page, in Chinese. The issue's
    targets are for the home and chapter pages; the others are printed so that they are seen."""
    pages = {"home": "", "chapter": ""}
    chapters = sorted(d.name for d in root.glob("ch[0-9]*") if (d / "index.html").is_file())
    if chapters:
        pages["chapter"] = f"{chapters[0]}/"
        sections = [
            f for f in root.glob(f"{chapters[0]}/*/index.html") if f.parent.name != "notebook"
        ]
        if sections:
            largest = max(sections, key=lambda f: f.read_text(encoding="utf-8").count("<"))
            pages["section"] = largest.parent.relative_to(root).as_posix() + "/"
        if (root / chapters[0] / "notebook" / "index.html").is_file():
            pages["notebook"] = f"{chapters[0]}/notebook/"
    return pages


def load_average() -> str:
    return f"load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "load n/a"


def bench_build() -> None:
    """Wall time of `make build` (both languages, strict, examples traced or cached)."""
    site = served_site()
    pages = len(list(site.root.rglob("*.html")))
    print(f"build: make build {site.build_seconds:.1f} s ({pages} HTML pages, {load_average()})")


@contextlib.contextmanager
def chromium(heading: str) -> Iterator[Any]:
    """Print the section's heading; yield Chromium (Playwright's own, else the system's), or
    None when there is no Playwright or no Chromium (said under the heading)."""
    print(heading)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  skipped: Playwright is not installed")
        yield None
        return
    with sync_playwright() as playwright:
        browser = launch(playwright)
        if browser is None:
            print("  skipped: no Chromium")
            yield None
            return
        try:
            yield browser
        finally:
            browser.close()


def bench_site() -> None:
    """Bytes a first visit transfers, gzip-compressed as a web server would (level 6): what the
    browser actually requested for the page (and, on a diagram page, for every diagram)."""
    site = served_site()
    with chromium(f"site: gzip size of what a first visit loads ({load_average()})") as browser:
        if browser is None:
            return
        over = []
        for path, kind in site_paths(site.root):
            total = weigh_page(browser, site.url, path, kind)
            if total > WEIGHT_BUDGET_KB[kind]:
                over.append(f"/{path} ({total:.1f} KB)")
        for home, query in (("", "协程"), ("en/", "coroutine")):
            weigh_first_search(browser, site.url, home, query)
    budgets = ", ".join(f"{kind} {kb} KB" for kind, kb in WEIGHT_BUDGET_KB.items())
    print(f"  budgets: {budgets}; over: {', '.join(over) or 'none'}")


def resource_type(response) -> str:
    """The browser's resource type, except that scripts a worker imports (the search's lunr
    languages), reported as "other", count as scripts."""
    kind = response.request.resource_type
    if kind == "other" and response.url.split("?")[0].endswith((".js", ".mjs")):
        return "script"
    return kind


def weigh_page(browser, site_url: str, path: str, kind: str) -> float:
    """Print what the page transfers (by type, the largest files); return the budgeted KB."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(site_url + path, wait_until="load")
    page.wait_for_load_state("networkidle")
    on_load = len(responses)
    types = page.evaluate(DIAGRAM_TYPES) if kind == "diagram" else []
    if kind == "diagram":  # then every diagram: its tab shown, scrolled to until drawn
        open_diagram_tabs(page)
        page.wait_for_function(DRAW_EVERY_DIAGRAM, timeout=120_000, polling=300)
        page.wait_for_load_state("networkidle")
    weights = [  # (gzip KB, resource type, path), in request order
        (gzip_kb(r), resource_type(r), r.url.removeprefix(site_url)) for r in responses
    ]
    context.close()

    def budgeted(items: list) -> float:
        return sum(kb for kb, _, _ in items)

    budget = WEIGHT_BUDGET_KB[kind]
    total = budgeted(weights)
    verdict = "within" if total <= budget else "OVER"
    label = "with every diagram drawn" if kind == "diagram" else "first visit"
    print(f"  /{path:22} {kind:8} {total:6.1f} KB, {label} ({verdict} {budget} KB)")
    if kind == "diagram":
        print(
            f"  {'':23} on load, before any diagram is shown: {budgeted(weights[:on_load]):.1f} KB;"
            f" diagram types: {', '.join(types)} (each loads its own Mermaid code)"
        )
    by_type: dict[str, float] = {}
    for kb, kind_of, _ in weights:
        by_type[kind_of] = by_type.get(kind_of, 0) + kb
    parts = ", ".join(f"{t} {kb:.1f}" for t, kb in sorted(by_type.items()))
    print(f"  {'':23} by type (KB): {parts}")
    top = ", ".join(f"{u or '/'} {kb:.1f}" for kb, _, u in sorted(weights, reverse=True)[:4])
    print(f"  {'':23} largest (KB): {top}")
    return total


def gzip_kb(response) -> float:
    """A response's body in KB after gzip (level 6, as a web server would send it)."""
    try:
        body = response.body()
    except Exception:  # a redirect or an aborted request has no body
        return 0.0
    return len(gzip.compress(body, compresslevel=6)) / 1024 if body else 0.0


def weigh_first_search(browser, site_url: str, home: str, query: str) -> None:
    """What opening search the first time downloads (the index, the worker and its languages,
    held back at page load by overrides/assets/javascripts/search-on-demand.js)."""
    page = browser.new_page()
    page.goto(site_url + home, wait_until="load")
    page.wait_for_load_state("networkidle")
    responses = []
    page.on("response", lambda response: responses.append(response))
    box = page.locator(".md-search__input")
    box.click()
    box.fill(query)
    box.press("End")
    page.locator(".md-search-result__item").first.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    files = ", ".join(r.url.removeprefix(site_url) for r in responses)
    kb = sum(map(gzip_kb, responses))
    print(f"  /{home:22} first search for {query}: {kb:.1f} KB more ({files})")
    page.close()


def ensure_lighthouse() -> Path | None:
    cli = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.exists():
        if not shutil.which("npm"):
            return None
        print(f"  installing the pinned Lighthouse: npm ci --prefix {relative(LIGHTHOUSE_DIR)}")
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(LIGHTHOUSE_DIR)],
            check=True,
            capture_output=True,
        )
    return cli


def run_lighthouse(cli: Path, url: str, form_factor: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [
            "node",
            str(cli),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={out}",
            f"--only-categories={','.join(LIGHTHOUSE_CATEGORIES)}",
            f"--chrome-flags=--headless=new {' '.join(CHROMIUM_ARGS)}",
        ]
        if form_factor == "desktop":
            command.append("--preset=desktop")
        env = {**os.environ, "CHROME_PATH": system_chromium() or ""}
        proc = subprocess.run(command, env=env, capture_output=True, text=True)
        if proc.returncode or not out.exists():
            raise RuntimeError(f"lighthouse failed:\n{proc.stdout}{proc.stderr}")
        return json.loads(out.read_text(encoding="utf-8"))


def lighthouse_misses(report: dict) -> list[str]:
    """The audits that cost points, for the categories below 100."""
    misses = []
    for name in LIGHTHOUSE_CATEGORIES:
        category = report["categories"][name]
        if category["score"] is not None and category["score"] >= 1:
            continue
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                value = audit.get("displayValue", "")
                misses.append(f"{name}: {ref['id']} {audit['score']:.2f} {value}".rstrip())
    return misses


def bench_lighthouse() -> None:
    """Lighthouse 12 scores, desktop and mobile, two runs each (mobile moves between runs)."""
    if not system_chromium():
        print("lighthouse: skipped, no system chromium (CHROME_PATH)")
        return
    cli = ensure_lighthouse()
    if cli is None:
        print("lighthouse: skipped, npm is not installed")
        return
    site = served_site()
    print(f"lighthouse: {', '.join(LIGHTHOUSE_CATEGORIES)} ({load_average()})")
    for name, path in lighthouse_pages(site.root).items():
        for form_factor, targets in LIGHTHOUSE_TARGETS.items():
            runs = []
            misses: set[str] = set()
            for _ in range(2):
                report = run_lighthouse(cli, site.url + path, form_factor)
                runs.append([round(report["categories"][c]["score"] * 100) for c in targets])
                misses.update(lighthouse_misses(report))
            scores = "  ".join("/".join(str(run[i]) for run in runs) for i in range(len(targets)))
            low = [c for i, c in enumerate(targets) if min(run[i] for run in runs) < targets[c]]
            verdict = "targets met" if not low else "BELOW target: " + ", ".join(low)
            print(f"  {name:8} /{path:18} {form_factor:8} {scores}   ({verdict})")
            for miss in sorted(misses):
                print(f"  {'':38} - {miss}")
    goals = "; ".join(
        f"{ff} " + " ".join(f"{c} {t}" for c, t in targets.items())
        for ff, targets in LIGHTHOUSE_TARGETS.items()
    )
    print(f"  scores: run 1/run 2 per category, in the order above; targets: {goals}")


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


def bench_fuzz() -> None:
    """More programs than `make test` runs, from another seed each day."""
    seed, count = int(time.strftime("%Y%m%d")), 400
    start = time.perf_counter()
    failures = clock_fuzz.run(seed, count)
    seconds = time.perf_counter() - start
    print(
        f"fuzz: {count - len(failures)}/{count} programs agree, virtual vs real clock "
        f"(seed {seed}, {seconds:.1f} s, {load_average()})"
    )
    for failure in failures:
        print(f"  {failure}".replace("\n", "\n  "))


def bench_test() -> None:
    """Wall time of `make test` (the whole suite) and `make check` (without the browser tier)."""
    for target, budget in (("test", 150), ("check", 30)):
        start = time.perf_counter()
        proc = subprocess.run(["make", target], cwd=REPO, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        lines = proc.stdout.strip().splitlines() or ["(no output)"]
        verdict = "within" if seconds <= budget and not proc.returncode else "OVER"
        print(
            f"test: make {target} {seconds:.1f} s ({verdict} {budget} s, {load_average()}): "
            f"{lines[-1].strip('= ')}"
        )
        for line in lines:
            if line.startswith(("FAILED", "ERROR")):
                print(f"  {line}")


SECTIONS: dict[str, Callable[[], None]] = {
    "trace": bench_trace,
    "build": bench_build,
    "site": bench_site,
    "lighthouse": bench_lighthouse,
    "fuzz": bench_fuzz,
    "runner": bench_runner,
    "test": bench_test,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print figures about the project's tooling.")
    parser.add_argument(
        "sections",
        nargs="*",
        help=f"any of: {', '.join(SECTIONS)} (default: all)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    for name in args.sections or list(SECTIONS):
        SECTIONS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
