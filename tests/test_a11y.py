"""Accessibility: axe-core finds no serious or critical violation on any page, in either scheme.

axe only checks what is rendered. Content tabs (Code / Output / Timeline) hide all panels but
one, so before axe runs every panel is shown at once (a style that only changes `display`; a panel
looks the same whichever tab shows it), and the diagrams are drawn. The search dialog is checked
with results showing and none under the pointer. Transitions are switched off while axe looks.
The fixes this relies on are in overrides/assets/stylesheets/extra.css and
overrides/partials/search.html.

The light and dark pages are checked side by side (two contexts, axe started in both before
waiting for either): axe's colour-contrast check is most of the time, and it is CPU-bound.
"""

from __future__ import annotations

import pytest

from tests.conftest import BuiltSite
from tests.test_browser import DESKTOP, SitePage, Watch, site_pages, visit, wait_for_diagrams

axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]

BLOCKING = ("serious", "critical")
SCHEMES = ("light", "dark")
SHOW_ALL_TAB_PANELS = ".tabbed-set > .tabbed-content > .tabbed-block { display: block !important }"
# axe must see settled colours, not a frame of a 0.25 s colour transition.
NO_TRANSITIONS = (
    "*, *::before, *::after { transition: none !important; animation: none !important }"
)
START_AXE = """context => {
  window.__axeResults = axe.run(context || document, {resultTypes: ["violations"]})
    .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => ({
      target: n.target, summary: n.failureSummary}))})))
}"""


@pytest.fixture(scope="module")
def axe_script() -> str:
    return axe_module.Axe().axe_script


@pytest.fixture(scope="module")
def pages(built_site: BuiltSite) -> list[SitePage]:
    return site_pages(built_site)


def start_axe(page, axe_script: str, context: dict | None = None) -> None:
    page.evaluate(axe_script)
    page.evaluate(START_AXE, context)


def blocking(page, where: str) -> list[str]:
    found = []
    for violation in page.evaluate("window.__axeResults"):
        if violation["impact"] not in BLOCKING:
            continue
        nodes = violation["nodes"]
        sample = "; ".join(
            f"{n['target']} {(n['summary'] or '').splitlines()[-1].strip()}" for n in nodes[:3]
        )
        found.append(
            f"{where}: {violation['impact']} {violation['id']} on {len(nodes)} element(s): {sample}"
        )
    return found


def test_no_serious_accessibility_violations(
    site_server: str, pages: list[SitePage], new_context, axe_script: str
) -> None:
    tabs = {}
    for scheme in SCHEMES:
        page = new_context(viewport=DESKTOP, color_scheme=scheme).new_page()
        watch = Watch(site_server)
        watch.attach(page)
        tabs[scheme] = (page, watch)
    problems = []
    for info in pages:
        for scheme, (page, watch) in tabs.items():
            visit(page, site_server, info.path, watch)
            page.add_style_tag(content=SHOW_ALL_TAB_PANELS + NO_TRANSITIONS)
            problems += [
                f"/{info.path} ({scheme}): {p}" for p in wait_for_diagrams(page, info.diagrams)
            ]
            start_axe(page, axe_script)
        for scheme, (page, _) in tabs.items():
            problems += blocking(page, f"/{info.path} ({scheme})")
    for home in ("", "en/"):
        for page, watch in tabs.values():
            visit(page, site_server, home, watch)
            box = page.locator(".md-search__input")
            box.click()
            box.fill("asyncio")
            box.press("End")
            page.locator(".md-search-result__item").first.wait_for(timeout=20_000)
            page.add_style_tag(content=NO_TRANSITIONS)
            page.mouse.move(DESKTOP["width"] - 1, DESKTOP["height"] - 1)  # no result hovered
            start_axe(page, axe_script, {"include": [[".md-search"]]})
        for scheme, (page, _) in tabs.items():
            problems += blocking(page, f"/{home} search dialog ({scheme})")
    assert not problems, "\n".join(problems)
