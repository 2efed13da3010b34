"""`lighthouse`: Lighthouse 12 (tools/lighthouse) on the home, chapter, largest section and
notebook pages, desktop and mobile, two runs each."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from asyncio_notes.devtools.bench.common import load_average, served_site
from asyncio_notes.devtools.chromium import (
    CHROMIUM_ARGS,
    system_chromium,
)
from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild.catalog import relative

LIGHTHOUSE_DIR = REPO / "tools" / "lighthouse"  # lighthouse pinned in package.json / package-lock


LIGHTHOUSE_CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


LIGHTHOUSE_TARGETS = {
    "desktop": {"performance": 98, "accessibility": 100, "best-practices": 100, "seo": 95},
    "mobile": {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 95},
}


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
