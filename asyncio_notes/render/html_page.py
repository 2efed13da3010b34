"""One self-contained HTML page that draws a trace's timeline (`python3 -m asyncio_notes --html`):
the vendored Mermaid inlined, nothing fetched from anywhere, so it opens from a file.

Mermaid is vendored as code-split ES modules (asyncio_notes/devtools/vendor.py). The page holds
the modules a gantt chart needs (the main module's static imports and the gantt chunk's, found in
their import statements) as data: URLs in an import map; each relative import is rewritten to a
bare name that the map resolves, since a data: module has no URL its relative imports could
resolve against. Stdlib only.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from asyncio_notes.render.gantt import render_gantt
from asyncio_notes.render.timeline_text import text_timeline

MAIN = "mermaid.esm.min.mjs"
CHUNKS = Path("chunks") / "mermaid.esm.min"
# `from"./chunks/mermaid.esm.min/chunk-X.mjs"`, `import"./chunk-X.mjs"`, `import("./x.mjs")`.
_IMPORT = re.compile(
    r'(?P<how>\bfrom\s*|\bimport\s*|\bimport\s*\(\s*)"\./(?:chunks/mermaid\.esm\.min/)?(?P<name>[\w.-]+\.mjs)"'
)
_PREFIX = "mermaid-chunk/"


class MissingMermaid(RuntimeError):
    """The vendored Mermaid is not where it should be."""


def _static_imports(source: str) -> list[str]:
    return [m["name"] for m in _IMPORT.finditer(source) if "(" not in m["how"]]


def _rewritten(source: str) -> str:
    return _IMPORT.sub(lambda m: f'{m["how"]}"{_PREFIX}{m["name"]}"', source)


def _data_url(source: str) -> str:
    return "data:text/javascript;base64," + base64.b64encode(source.encode()).decode()


def mermaid_modules(vendor: Path) -> tuple[str, dict[str, str]]:
    """(the main module, rewritten; {bare name: data URL}) for every module a gantt chart needs."""
    main_file, chunks = vendor / MAIN, vendor / CHUNKS
    if not main_file.is_file():
        raise MissingMermaid(f"no vendored Mermaid at {main_file}")
    main = main_file.read_text(encoding="utf-8")
    gantt = sorted(p.name for p in chunks.glob("ganttDiagram-*.mjs"))
    wanted, seen = [*_static_imports(main), *gantt], set()
    imports = {}
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        source = (chunks / name).read_text(encoding="utf-8")
        wanted += _static_imports(source)
        imports[_PREFIX + name] = _data_url(_rewritten(source))
    return _rewritten(main), dict(sorted(imports.items()))


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%(title)s</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
.chart { overflow-x: auto; }
pre { background: #f5f5f5; padding: 0.75rem; overflow-x: auto; }
.error { color: #b71c1c; }
</style>
<script type="importmap">%(importmap)s</script>
</head>
<body>
<h1>%(title)s</h1>
%(notes)s<div class="chart" id="chart"><noscript>%(text)s</noscript></div>
%(error)s<pre id="source" hidden>%(source)s</pre>
<script type="module">
import mermaid from "mermaid";
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
const chart = document.getElementById("chart");
try {
  const { svg } = await mermaid.render("timeline", document.getElementById("source").textContent);
  chart.innerHTML = svg;
} catch (error) {
  chart.innerHTML = %(fallback)s;
  document.getElementById("dtimeline")?.remove();
}
</script>
</body>
</html>
"""


def html_page(
    trace: Mapping[str, Any], vendor: Path, notes: list[str], error: str | None = None
) -> str:
    """The page: the chart (the text timeline where scripts do not run or Mermaid fails),
    `notes` as paragraphs above it and the run's `error` (Python's own words) below."""
    main, imports = mermaid_modules(vendor)
    imports["mermaid"] = _data_url(main)  # its default export is Mermaid
    text = text_timeline(trace)
    return _PAGE % {
        "title": html.escape(f"Timeline of {trace.get('script') or 'a trace'}"),
        "importmap": json.dumps({"imports": imports}, separators=(",", ":")),
        "notes": "".join(f"<p>{html.escape(note)}</p>\n" for note in notes),
        "text": text,
        "error": f'<pre class="error">{html.escape(error)}</pre>\n' if error else "",
        "source": html.escape(render_gantt(trace), quote=False),
        "fallback": json.dumps(text),
    }
