"""asyncio notes: the code behind the site.

engine/     the virtual clock and the tracer (stdlib only; runs on CPython 3.11+ and in Pyodide)
render/     trace -> Mermaid text (gantt timelines, the class diagram); stdlib only
sitebuild/  examples -> generated page material, notebooks, and the thin MkDocs glue
devtools/   commands for contributors: serve, new chapter, bench, vendoring, per-Python runs
browser.py  the in-page runner's Python side (in Pyodide): one example -> Output text and Timeline
cli.py      `python -m asyncio_notes FILE`: trace your own script

Dependencies point one way: devtools -> sitebuild -> render -> engine; browser.py and cli.py use
render and engine (sitebuild publishes browser.py's sources, it does not import it).
"""
