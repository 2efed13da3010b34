"""`site`: the gzip size of what a first visit loads, for every page, against its budget."""

from __future__ import annotations

import gzip
from pathlib import Path

from asyncio_notes.devtools.bench.common import chromium, load_average, served_site
from asyncio_notes.devtools.chromium import (
    open_diagram_tabs,
)

# Page weight budgets (KB after gzip) for everything a first visit transfers: HTML, CSS, JS,
# fonts, images and data. Diagram pages: every page with a diagram; text pages: every other page
# (found in the built site, so a new chapter is weighed without editing this file).
WEIGHT_BUDGET_KB = {"text": 90, "diagram": 300}


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


def site_paths(root: Path) -> list[tuple[str, str]]:
    """(URL path, kind) of every page of the built site, both languages: "diagram" for a page
    with a Mermaid diagram, "text" for any other (the notebook pages included)."""
    found = []
    for file in sorted(root.rglob("index.html")):
        rel = file.relative_to(root).as_posix().removesuffix("index.html")
        kind = "diagram" if 'class="mermaid"' in file.read_text(encoding="utf-8") else "text"
        found.append((rel, kind))
    return sorted(found, key=lambda item: (item[1] != "text", item[0].startswith("en/"), item[0]))


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
