"""Renderers: turn a trace (or asyncio's own classes) into Mermaid diagram text. Stdlib only."""
