"""`stepper`: the Step through tab: each example's step data (gzip), the time from a click on the
tab to the stepper drawn, and the time one step takes (click to the redrawn view, in the page)."""

from __future__ import annotations

import gzip
import re
import statistics

from asyncio_notes.devtools.bench.common import chromium, load_average, served_site

# Stepping only reads recorded data: one step must fit in a frame.
STEP_MS = 16

# In the page: open the example's Step through tab; then press Next step through every step.
# Returns [ms to open, [ms per step]]: each step timed to the end of the layout it causes.
_OPEN_AND_STEP = """async (path) => {
  const set = document.querySelector(`.tabbed-set[data-runner-example="${path}"]`)
  const host = set.querySelector(".stepper")
  const labels = set.querySelectorAll(":scope > .tabbed-labels > label")
  const start = performance.now()
  labels[labels.length - 1].click()
  while (!host.querySelector(".stepper-controls")) await new Promise(requestAnimationFrame)
  host.offsetHeight
  const open = performance.now() - start
  const next = host.querySelectorAll(".stepper-controls button")[4]
  const steps = []
  while (next.getAttribute("aria-disabled") !== "true") {
    const t = performance.now()
    next.click()
    host.offsetHeight
    steps.push(performance.now() - t)
  }
  return [open, steps]
}"""


def _pages(root) -> dict[str, str]:
    """{example path: the English page (relative URL) that shows it}."""
    found: dict[str, str] = {}
    for page in sorted((root / "en").rglob("index.html")):
        html = page.read_text(encoding="utf-8")
        for path in re.findall(r'class="stepper" data-example="([^"]+)"', html):
            found.setdefault(path, page.parent.relative_to(root).as_posix() + "/")
    return found


def bench_stepper() -> None:
    site = served_site()
    with chromium(f"stepper: the Step through tab, served locally ({load_average()})") as browser:
        if browser is None:
            return
        print(
            f"  {'example':36} {'data KB':>8} {'open ms':>8} {'steps':>6} "
            f"{'ms/step':>8} {'max ms':>7}"
        )
        over = []
        for path, url in _pages(site.root).items():
            chapter, name = re.match(r"examples/(ch\d\d)/(\w+)\.py$", path).groups()
            data = (site.root / "en" / "assets" / "steps" / chapter / f"{name}.json").read_bytes()
            kb = len(gzip.compress(data, compresslevel=6)) / 1024
            context = browser.new_context()  # a first visit: nothing cached, no tab remembered
            page = context.new_page()
            page.goto(site.url + url, wait_until="load")
            open_ms, steps = page.evaluate(_OPEN_AND_STEP, path)
            context.close()
            mean = statistics.mean(steps) if steps else 0.0
            worst = max(steps, default=0.0)
            if worst > STEP_MS:
                over.append(path)
            print(
                f"  {path:36} {kb:8.1f} {open_ms:8.0f} {len(steps) + 1:6} {mean:8.2f} {worst:7.2f}"
            )
        print(
            f"  one step within {STEP_MS} ms (a frame): "
            f"{'all' if not over else 'OVER for ' + ', '.join(over)}; opening fetches "
            "stepper.mjs, its styles and the example's data (a first visit: nothing cached)"
        )
