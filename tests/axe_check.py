"""axe-core in a page already open in the browser: start it, then read what it found.

axe only checks what is rendered. Content tabs (Code / Output / Timeline) hide all panels but
one, so before axe runs every panel is shown at once (a style that only changes `display`; a panel
looks the same whichever tab shows it). Transitions are switched off while axe looks. The fixes
the pages rely on are in overrides/assets/stylesheets/extra.css and overrides/partials/search.html.
"""

from __future__ import annotations

import functools

BLOCKING = ("serious", "critical")
SHOW_ALL_TAB_PANELS = ".tabbed-set > .tabbed-content > .tabbed-block { display: block !important }"
# axe must see settled colours, not a frame of a 0.25 s colour transition.
NO_TRANSITIONS = (
    "*, *::before, *::after { transition: none !important; animation: none !important }"
)
# The rules whose result depends on the colour scheme: the only ones worth a second run in the
# other scheme (color-contrast is also the one that costs most).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
_START_AXE = """([context, rules, skip]) => {
  const options = {resultTypes: ["violations"], ...(rules ? {runOnly: rules} : {})}
  if (skip) options.rules = Object.fromEntries(skip.map(id => [id, {enabled: false}]))
  window.__axeResults = axe.run(context || document, options)
    .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => ({
      target: n.target, summary: n.failureSummary}))})))
}"""


# Two frames: the resize observers of the panels just shown (Material gives a code block that
# scrolls sideways its tab stop from one) have reported, as they have by the time a reader looks.
NEXT_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def show_every_panel(page) -> None:
    """Show every tab panel at once, without transitions, and let the page react to it."""
    page.add_style_tag(content=SHOW_ALL_TAB_PANELS + NO_TRANSITIONS)
    page.evaluate(NEXT_FRAMES)


@functools.cache
def axe_script() -> str | None:
    """axe-core's source (bundled by axe-playwright-python), or None when it is not installed."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        return None
    return Axe().axe_script


def start_axe(
    page,
    context: dict | None = None,
    rules: list[str] | None = None,
    skip: list[str] | None = None,
) -> None:
    """Start axe on the page (or the part `context` names; only `rules`, or all but `skip`, if
    given) without waiting for it. The script is injected once per document."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_script())
    page.evaluate(_START_AXE, [context, rules, skip])


def blocking(page, where: str) -> list[str]:
    """The serious and critical violations axe found on the page, once it has finished."""
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
