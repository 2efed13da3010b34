"""notebook_html.py: the notebook page as the site serves it, slimmed from mkdocs-jupyter's HTML:
nothing from other hosts, light, keyboard-friendly, headings with the chapter pages' ids."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import nbformat
import pytest

from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild.chapter_source import (
    NOTEBOOK_NAME,
)
from asyncio_notes.sitebuild.notebook_html import slim_notebook_html
from tests.notebook_support import CHAPTERS

# -- the rendered page --------------------------------------------------------------------------

THIRD_PARTY = re.compile(r"""https?://(?!www\.w3\.org/)[^\s"'`)<>]+""")


@pytest.fixture(scope="module")
def rendered(notebooks: dict[str, Path]) -> tuple[str, str]:
    """(raw, slimmed) HTML of the zh ch02 notebook as mkdocs-jupyter renders it for the site."""
    from mkdocs_jupyter import convert

    raw = convert.nb2html(
        str(notebooks["zh"] / CHAPTERS[0] / NOTEBOOK_NAME),
        no_prompt=True,
        highlight_extra_classes="highlight",
        custom_mathjax_url="",
    )
    return raw, slim_notebook_html(raw)[0]


@pytest.mark.slow  # mkdocs-jupyter renders the notebook
def test_rendered_notebook_loads_nothing_from_other_hosts(rendered: tuple[str, str]) -> None:
    raw, slim = rendered
    assert THIRD_PARTY.findall(" ".join(re.findall(r"<script.*?</script>", raw, re.S)))
    for tag in re.findall(r"<(?:script|link|style)\b.*?(?:</script>|</style>|>)", slim, re.S):
        assert not THIRD_PARTY.search(tag), tag[:200]
        assert not re.search(r"""\bsrc\s*=|import\s*\(""", tag), tag[:200]
    assert "<style" not in slim
    assert "<clipboard-copy" in slim and "<script>" in slim  # the copy button still works


@pytest.mark.slow  # mkdocs-jupyter renders the notebook
def test_rendered_notebook_is_light(rendered: tuple[str, str]) -> None:
    raw, slim = rendered
    raw_gz, slim_gz = len(gzip.compress(raw.encode())), len(gzip.compress(slim.encode()))
    assert slim_gz < raw_gz / 4, (raw_gz, slim_gz)
    css = REPO / "overrides" / "assets" / "stylesheets" / "notebook.css"
    assert len(css.read_bytes()) < 5_000


@pytest.mark.slow  # mkdocs-jupyter renders the notebook
def test_rendered_code_blocks_can_be_focused(rendered: tuple[str, str]) -> None:
    """They scroll sideways; axe (tests/test_a11y.py) wants keyboard access to them."""
    raw, slim = rendered
    assert "<pre>" in raw
    assert "<pre>" not in slim and '<pre tabindex="0">' in slim


@pytest.mark.slow  # mkdocs-jupyter renders the notebook
def test_rendered_headings_get_the_chapter_page_ids(notebooks: dict[str, Path]) -> None:
    from mkdocs_jupyter import convert

    path = notebooks["zh"] / CHAPTERS[0] / NOTEBOOK_NAME
    slim, headings = slim_notebook_html(convert.nb2html(str(path)))
    nb = nbformat.read(path, as_version=4)
    ids = [c.id for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("#")]
    assert [h.id for h in headings] == ids
    for h in headings:
        assert f'<h{h.level} id="{h.id}">' in slim
        assert f'<a class="headerlink" href="#{h.id}">' in slim
        assert h.name and "<" not in h.name
