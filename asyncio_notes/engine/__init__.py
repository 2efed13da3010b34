"""The engine: a virtual clock for asyncio and a tracer that records which task runs when.

Standard library only, and nothing from MkDocs or the site, so readers and the browser
(Pyodide) can run it alone.
"""
