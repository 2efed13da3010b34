"""How this project starts Chromium and opens a page's diagram tabs (tests and `make bench`).

Debian's chromium in a container runs as root (no sandbox), without a GPU, with a small /dev/shm,
and must not phone home: the browser tests assert that pages request nothing from other hosts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def system_chromium() -> str | None:
    """The system's Chromium (Debian: `apt-get install chromium`), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright):  # playwright: playwright.sync_api.Playwright
    """Chromium for Playwright: its own build where `playwright install` put one, else the
    system's; None when there is neither."""
    own = playwright.chromium.executable_path
    executable = None if own and Path(own).exists() else system_chromium()
    if executable is None and not (own and Path(own).exists()):
        return None
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


# Marks the tab labels whose panel holds a diagram (data-qa-diagram-tab); returns how many.
_MARK_DIAGRAM_TABS = """() => {
  let n = 0
  for (const set of document.querySelectorAll(".tabbed-set")) {
    const labels = set.querySelectorAll(":scope > .tabbed-labels > label")
    const blocks = set.querySelectorAll(":scope > .tabbed-content > .tabbed-block")
    blocks.forEach((block, i) => {
      if (block.querySelector(".mermaid") && labels[i]) {
        labels[i].setAttribute("data-qa-diagram-tab", "")
        n++
      }
    })
  }
  return n
}"""


DIAGRAM_TAB = "[data-qa-diagram-tab]"


def mark_diagram_tabs(page) -> int:  # page: playwright.sync_api.Page
    """Mark the labels of the tabs whose panel holds a diagram (DIAGRAM_TAB); how many."""
    return page.evaluate(_MARK_DIAGRAM_TABS)


def open_diagram_tabs(page) -> int:
    """Click every tab whose panel holds a diagram (so that its Mermaid code loads), as a reader
    would; return how many there are."""
    tabs = mark_diagram_tabs(page)
    for i in range(tabs):
        label = page.locator(DIAGRAM_TAB).nth(i)
        if not label.evaluate("l => document.getElementById(l.htmlFor)?.checked"):
            label.click()
    return tabs
