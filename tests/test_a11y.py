"""Accessibility: axe-core finds no serious or critical violation, in either scheme.

Every page is checked during the page pass of tests/test_browser.py (the page is already loaded
and its diagrams drawn there); this module checks the search dialog, with results showing and
none under the pointer.
"""

from __future__ import annotations

import pytest

from tests.axe_check import COLOUR_RULES, NO_TRANSITIONS, axe_script, blocking, start_axe
from tests.browser_support import DESKTOP, Watch, visit

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.mark.parametrize("home", ["", "en/"])
def test_search_dialog_has_no_serious_accessibility_violations(
    site_server: str, tab, home: str
) -> None:
    """Every rule in the light scheme, then the colour rules in the dark one (the palette
    switched while the dialog stays open)."""
    if axe_script() is None:
        pytest.skip("axe-playwright-python is not installed")
    page = tab  # light
    watch = Watch(site_server)
    watch.attach(page)
    visit(page, site_server, home, watch)
    box = page.locator(".md-search__input")
    box.click()
    box.fill("asyncio")
    box.press("End")
    page.locator(".md-search-result__item").first.wait_for(timeout=20_000)
    page.add_style_tag(content=NO_TRANSITIONS)
    page.mouse.move(DESKTOP["width"] - 1, DESKTOP["height"] - 1)  # no result hovered
    dialog = {"include": [[".md-search"]]}
    start_axe(page, dialog)
    problems = blocking(page, f"/{home} search dialog (light)")
    # The dialog covers the header's toggle: switch the palette the way the toggle does.
    page.evaluate("document.querySelector('label[for=__palette_1]').click()")
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'")
    assert page.locator(".md-search-result__item").first.is_visible()
    start_axe(page, dialog, COLOUR_RULES)
    problems += blocking(page, f"/{home} search dialog (dark)") + watch.problems
    assert not problems, "\n".join(problems)
