"""The chapter notebooks (notebooks.py): they run in a real Jupyter kernel and print exactly
the checked output, they are byte-for-byte reproducible, both languages hold the same code, and
the site serves each with its download.

The kernel test executes a generated notebook with nbclient and ipykernel as a reader's Jupyter
does: top-level `await` on the kernel's own running loop, on real time (the zh and en notebooks
hold the same code cells, so one language runs). The other notebook tests: test_notebook_code.py
(asyncio.run becomes await), test_chapter_source.py (what a notebook takes from the chapter's
pages), test_notebook_html.py (the rendered page).
"""

from __future__ import annotations

import asyncio
import copy
import gc
import gzip
import json
import re
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import nbformat
import pytest

from asyncio_notes.engine.loop import installed
from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild.catalog import example_files, relative
from asyncio_notes.sitebuild.chapter_source import (
    NOTEBOOK_NAME,
)
from asyncio_notes.sitebuild.notebook_text import TEXT
from asyncio_notes.sitebuild.notebooks import (
    LANGS,
    strip_output_comments,
    write_notebooks,
)
from tests.notebook_support import CHAPTERS, CJK, checked_output, example_of, load

# -- running in a real kernel -------------------------------------------------------------------

# A number with a fraction is a duration the example measured: on real time it comes out a little
# longer than the checked run's exact virtual one. Everything else must match exactly.
_DURATION = re.compile(r"\d+\.\d+")
TIME_SLACK = 1.0  # seconds a real run may add to a printed duration (a loaded 2-core machine)


def same_output(printed: str, checked: str) -> bool:
    """printed equals checked, except that measured durations may be up to TIME_SLACK longer."""
    if _DURATION.sub("#", printed) != _DURATION.sub("#", checked):
        return False
    pairs = zip(_DURATION.findall(printed), _DURATION.findall(checked), strict=True)
    return all(0 <= float(got) - float(want) <= TIME_SLACK for got, want in pairs)


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Run a copy of nb in a Jupyter kernel as a reader would: each cell on the kernel's own
    running loop (IPython's top-level await), on real time."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def _without_comments(source: str) -> str:
    """The helpers cell explains itself in the notebook's language."""
    return "\n".join(line for line in source.splitlines() if not line.startswith("# "))


def test_both_languages_have_the_same_code_cells(notebooks: dict[str, Path]) -> None:
    """So running one language's notebook runs the other's code too."""
    for chapter in CHAPTERS:
        zh, en = (load(notebooks, lang, chapter) for lang in LANGS)
        code = [
            [(_without_comments(c.source), c.outputs) for c in nb.cells if c.cell_type == "code"]
            for nb in (zh, en)
        ]
        assert code[0] == code[1], f"{chapter}: the zh and en notebooks run different code"


@pytest.mark.slow  # the examples sleep ~30 s of real time
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_code_cell_prints_the_checked_output_in_a_real_kernel(
    notebooks: dict[str, Path], chapter: str, tmp_path: Path
) -> None:
    nb = load(notebooks, "zh", chapter)
    ran = execute(nb, tmp_path)
    example_cells = 0
    for stored, cell in zip(nb.cells, ran.cells, strict=True):
        if cell.cell_type != "code":
            continue
        example = example_of(cell)
        assert all(o.output_type == "stream" and o.name == "stdout" for o in cell.outputs), (
            f"{cell.id}: unexpected output {cell.outputs}"
        )
        printed = "".join(o.text for o in cell.outputs)
        if example is None:  # the helpers cell defines things and prints nothing
            assert printed == "", f"{cell.id} printed {printed!r}"
            continue
        example_cells += 1
        assert same_output(printed, checked_output(example)), (
            f"{relative(example)} printed {printed!r}"
        )
        assert "".join(o.text for o in stored.outputs) == checked_output(example), cell.id
    assert example_cells, "no example cell ran"


@pytest.mark.parametrize(
    ("printed", "ok"),
    [
        ("finished main in 3.0021 second(s)\n", True),
        ("finished main in 2.9990 second(s)\n", False),  # shorter than the sleeps: wrong
        ("finished main in 4.5000 second(s)\n", False),  # far longer: not concurrent
        ("finished main in 3.0000 seconds\n", False),
    ],
)
def test_durations_may_only_run_a_little_longer(printed: str, ok: bool) -> None:
    assert same_output(printed, "finished main in 3.0000 second(s)\n") is ok


# -- determinism --------------------------------------------------------------------------------


def test_generating_twice_gives_identical_bytes(tmp_path: Path) -> None:
    for lang in LANGS:
        first = write_notebooks(REPO / "docs" / lang, lang, tmp_path / "a" / lang)
        second = write_notebooks(REPO / "docs" / lang, lang, tmp_path / "b" / lang)
        assert first == second
        for rel in first:
            a = (tmp_path / "a" / lang / rel).read_bytes()
            assert a == (tmp_path / "b" / lang / rel).read_bytes(), f"{lang}/{rel} differs"
            # An unchanged notebook is not rewritten (a live server would rebuild endlessly).
            before = (tmp_path / "a" / lang / rel).stat().st_mtime_ns
            write_notebooks(REPO / "docs" / lang, lang, tmp_path / "a" / lang)
            assert (tmp_path / "a" / lang / rel).stat().st_mtime_ns == before


def test_notebooks_carry_no_varying_metadata(notebooks: dict[str, Path]) -> None:
    for lang, directory in notebooks.items():
        for path in directory.rglob("*.ipynb"):
            text = path.read_text(encoding="utf-8")
            data = json.loads(text)
            assert text == json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
            assert "version" not in data["metadata"]["language_info"]  # no Python version
            assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), "a timestamp"
            ids = [c["id"] for c in data["cells"]]
            assert len(set(ids)) == len(ids)
            assert all(not c["metadata"].get("execution") for c in data["cells"]), lang


def _fails_inside_a_running_loop(example: Path) -> bool:
    """Run the example's own code from inside a running event loop (as a notebook cell would)."""
    code = compile(example.read_text(encoding="utf-8"), str(example), "exec")

    async def inside() -> None:
        exec(code, {"__name__": "__main__"})

    sys.path.insert(0, str(example.parent))
    try:
        with installed(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "coroutine was never awaited"
            try:
                asyncio.run(inside())
            except RuntimeError:
                return True
            finally:
                gc.collect()  # the never-awaited coroutines warn here, not later
    finally:
        sys.path.remove(str(example.parent))
    return False


@pytest.mark.parametrize("lang", LANGS)
def test_examples_that_cannot_run_in_a_loop_get_an_explanation_instead(
    notebooks: dict[str, Path], lang: str
) -> None:
    for chapter in CHAPTERS:
        nb = load(notebooks, lang, chapter)
        cells = {relative(e): c for c in nb.cells if (e := example_of(c))}
        assert sorted(cells) == [relative(e) for e in example_files(chapter)]
        explained = [name for name, c in cells.items() if c.cell_type == "markdown"]
        assert explained, "expected some examples that need a loop of their own"
        for name, cell in cells.items():
            if cell.cell_type == "code":
                continue  # the kernel test shows these run
            example = REPO / name
            assert _fails_inside_a_running_loop(example), f"{name} would run in a notebook"
            text = cell.source
            assert f"$ python {name}\n" in text
            assert strip_output_comments(example).rstrip() in text  # the code, without #>
            assert checked_output(example).rstrip("\n") in text
            marker = "不能在 Notebook 里运行" if lang == "zh" else "cannot run in a notebook"
            assert marker in text
            if lang == "en":
                assert not CJK.search(text)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert "asyncio.run(" not in cell.source
                assert "#>" not in cell.source


def test_both_languages_say_the_same_things() -> None:
    assert TEXT["zh"].keys() == TEXT["en"].keys()
    for key in TEXT["en"]:
        fields = lambda s: sorted(re.findall(r"\{(\w+)\}", s))  # noqa: E731
        assert fields(TEXT["zh"][key]) == fields(TEXT["en"][key]), key


# -- the built site (shares the session's strict build of both languages) -----------------------


def anchors(html: str) -> list[dict[str, str]]:
    """The attributes of every <a> in a page (in any attribute order)."""
    found: list[dict[str, str]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                found.append({k: v or "" for k, v in attrs})

    Parser().feed(html)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_site_has_each_notebook_page_with_its_download(built_site, lang: str) -> None:
    root = built_site.root if lang == "zh" else built_site.root / "en"
    other = "en" if lang == "zh" else "zh"
    prefix = {"zh": "", "en": "en/"}
    for chapter in CHAPTERS:
        page = root / chapter / "notebook" / "index.html"
        html = page.read_text(encoding="utf-8")
        links = anchors(html)
        downloads = [a for a in links if "download" in a]
        assert len(downloads) == 1, "no download link"
        copied = page.parent / downloads[0]["href"]
        generated = REPO / "build" / "generated" / "notebooks" / lang / chapter / NOTEBOOK_NAME
        assert copied.read_bytes() == generated.read_bytes()
        assert downloads[0]["download"] == f"asyncio-notes-{chapter}-{lang}.ipynb"
        # In the nav (seen from the chapter page), and the switcher leads to the other language's.
        chapter_links = anchors((root / chapter / "index.html").read_text(encoding="utf-8"))
        assert any(a.get("href") == "notebook/" for a in chapter_links)
        switch = [a["href"] for a in links if a.get("hreflang") == other and "href" in a]
        assert switch, "no language switcher link"
        url = f"{built_site.url}{prefix[lang]}{chapter}/notebook/"
        expected = f"{built_site.url}{prefix[other]}{chapter}/notebook/"
        assert urljoin(url, switch[0]) == expected
        # Table of contents entries point at headings that exist; no JupyterLab CSS inlined.
        ids = set(re.findall(r'\sid="([^"]+)"', html))
        toc = [
            a["href"][1:]
            for a in links
            if "md-nav__link" in a.get("class", "") and a.get("href", "").startswith("#")
        ]
        assert toc and set(toc) <= ids, set(toc) - ids
        assert "<style" not in html
        assert len(gzip.compress(page.read_bytes())) < 40_000


OWN_LOOP_WITH_FENCES = '''\
import asyncio

TEXT = """
```
<script>alert(1)</script>
"""


async def main():
    print(TEXT)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
'''


@pytest.mark.parametrize("lang", LANGS)
def test_an_explained_example_stays_text_whatever_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    from markdown_it import MarkdownIt

    from asyncio_notes.sitebuild import notebooks

    example = tmp_path / "examples" / "ch09" / "fences.py"
    example.parent.mkdir(parents=True)
    printed = ["", "```", "<script>alert(1)</script>", "", ""]
    example.write_text(
        OWN_LOOP_WITH_FENCES + "".join(f"#> {line}".rstrip() + "\n" for line in printed),
        encoding="utf-8",
    )
    monkeypatch.setattr(notebooks, "REPO", tmp_path)
    cell = notebooks._example_cell("examples/ch09/fences.py", lang)
    assert cell.cell_type == "markdown"
    fences = [t for t in MarkdownIt("commonmark").parse(cell.source) if t.type == "fence"]
    assert [t.info for t in fences] == ["console", "python", "text"]
    assert fences[1].content == OWN_LOOP_WITH_FENCES.rstrip() + "\n"
    assert "<script>" in fences[2].content
    html = MarkdownIt("commonmark").render(cell.source)
    assert "<script>" not in html
