"""The chapter notebooks (notebooks.py): they run in a real Jupyter kernel and print exactly
the checked output, they are byte-for-byte reproducible, and the site renders them lightly.

The kernel test executes a generated notebook with nbclient and ipykernel as a reader's Jupyter
does: top-level `await` on the kernel's own running loop, on real time (the zh and en notebooks
hold the same code cells, so one language runs).
"""

from __future__ import annotations

import ast
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
from asyncio_notes.sitebuild import markdown_source as md
from asyncio_notes.sitebuild import parity
from asyncio_notes.sitebuild.catalog import example_files, expected_output, relative
from asyncio_notes.sitebuild.chapter_source import (
    NOTEBOOK_NAME,
    NotebookError,
    chapter_pages,
    parse_page,
    rewrite_links,
)
from asyncio_notes.sitebuild.notebook_code import notebook_code
from asyncio_notes.sitebuild.notebook_html import slim_notebook_html
from asyncio_notes.sitebuild.notebook_text import TEXT
from asyncio_notes.sitebuild.notebooks import (
    LANGS,
    METADATA_KEY,
    build_notebook,
    strip_output_comments,
    write_notebooks,
)

CHAPTERS = sorted({e.parent.name for e in example_files()})
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both languages generated once into a temporary directory: {lang: directory}."""
    out = tmp_path_factory.mktemp("notebooks")
    dirs = {}
    for lang in LANGS:
        written = write_notebooks(REPO / "docs" / lang, lang, out / lang)
        assert written, f"no notebook generated for {lang}"
        dirs[lang] = out / lang
    return dirs


def load(notebooks: dict[str, Path], lang: str, chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(notebooks[lang] / chapter / NOTEBOOK_NAME, as_version=4)


def example_of(cell: nbformat.NotebookNode) -> Path | None:
    name = cell.metadata.get(METADATA_KEY, {}).get("example")
    return REPO / name if name else None


def checked_output(example: Path) -> str:
    return "".join(f"{e.text}\n" for e in expected_output(example))


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


# -- asyncio.run(X) -> await X ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import asyncio\nasyncio.run(main())\n", "import asyncio\nawait main()\n"),
        ("import asyncio as aio\naio.run(main())\n", "import asyncio as aio\nawait main()\n"),
        ("from asyncio import run\nrun(main())\n", "from asyncio import run\nawait main()\n"),
        (
            "import asyncio\nif __name__ == '__main__':\n    asyncio.run(main())  # go\n",
            "import asyncio\nif __name__ == '__main__':\n    await main()  # go\n",
        ),
        (
            "import asyncio\nresult = asyncio.run(main(1, x=2))\n",
            "import asyncio\nresult = await main(1, x=2)\n",
        ),
        (
            "import asyncio\nprint(asyncio.run(main()).bit_length())\n",
            "import asyncio\nprint((await main()).bit_length())\n",
        ),
        (
            "import asyncio\nasyncio.run(a() if fast else b())\n",
            "import asyncio\nawait (a() if fast else b())\n",
        ),
        (  # a multi-line call; comments and strings mentioning asyncio.run stay as they are
            "import asyncio\n# asyncio.run(main()) below\nasyncio.run(\n    main(),\n)\n"
            'print("asyncio.run(x)")\n',
            'import asyncio\n# asyncio.run(main()) below\nawait main()\nprint("asyncio.run(x)")\n',
        ),
        (  # ast columns count UTF-8 bytes: non-ASCII text earlier on the line
            'import asyncio\nprint("协程"); asyncio.run(main())\n',
            'import asyncio\nprint("协程"); await main()\n',
        ),
        (  # another module's run() and a method named run are not asyncio.run
            "import subprocess\nsubprocess.run(['ls'])\nrunner.run(main())\n",
            "import subprocess\nsubprocess.run(['ls'])\nrunner.run(main())\n",
        ),
        (  # two calls, both rewritten
            "import asyncio\nasyncio.run(a())\nasyncio.run(b())\n",
            "import asyncio\nawait a()\nawait b()\n",
        ),
    ],
)
def test_asyncio_run_becomes_await(source: str, expected: str) -> None:
    cell = notebook_code(source)
    assert cell.runnable
    assert cell.code == expected
    compile(cell.code, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize(
    ("source", "reason", "details"),
    [
        (
            "import asyncio\nloop = asyncio.new_event_loop()\nloop.run_until_complete(main())\n",
            "reason_own_loop",
            ("new_event_loop", "run_until_complete"),
        ),
        ("import asyncio\nwith asyncio.Runner() as r:\n    r.run(main())\n", "reason_runner", ()),
        (
            "import asyncio\nimport uvloop\n"
            "asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())\nasyncio.run(main())\n",
            "reason_own_loop",
            ("set_event_loop_policy",),
        ),
        ("import asyncio\nasyncio.run(main(), debug=True)\n", "reason_run_args", ("debug=True",)),
        (
            "import asyncio\nasyncio.run(main(), loop_factory=f)\n",
            "reason_run_args",
            ("loop_factory=f",),
        ),
        ("import asyncio\ndef go():\n    asyncio.run(main())\ngo()\n", "reason_nested_run", ()),
        ("from asyncio import run\nstart = run\nstart(main())\n", "reason_nested_run", ()),
    ],
)
def test_code_that_needs_its_own_loop_is_not_rewritten(
    source: str, reason: str, details: tuple[str, ...]
) -> None:
    cell = notebook_code(source)
    assert not cell.runnable
    assert (cell.reason, cell.details) == (reason, details)
    assert cell.code == source


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


# -- the chapter's pages: headings, first paragraphs, links back --------------------------------


def _source_pages(docs_dir: Path, lang: str, chapter: str) -> list[parity.Page]:
    return [
        parity.Page(lang, Path(src), (docs_dir / src).read_text(encoding="utf-8"))
        for src in chapter_pages(docs_dir, chapter)
    ]


def _shown_examples(page: parity.Page) -> list[str]:
    return [
        t
        for t in parity.includes(page)
        if t.startswith("examples/") and ":" not in t and not t.endswith("/util.py")
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_sections_follow_the_chapter_pages_and_link_back_to_them(
    notebooks: dict[str, Path], lang: str
) -> None:
    for chapter in CHAPTERS:
        pages = _source_pages(REPO / "docs" / lang, lang, chapter)
        index, *section_pages = pages
        nb = load(notebooks, lang, chapter)
        sections = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("#")]
        title, *rest = sections
        assert title.source.startswith(f"# {md.headings(index.text)[0].title} · ")
        assert "](../)" in title.source, "no link to the chapter page"
        site = f"https://example.org/{lang}/"
        notebook_url = f"{site}{chapter}/notebook/"
        # (heading level in the notebook, text, id, URL of the section on its page)
        expected = []
        for page in pages:
            stem = page.path.with_suffix("").as_posix()
            page_url = f"{site}{stem.removesuffix('/index')}/"
            for number, heading in enumerate(md.headings(page.text)):
                if page is index and number == 0:
                    continue  # the title cell
                shift = 0 if page is index else 1  # a section page's H1 is a section: ##
                url = page_url if number == 0 else f"{page_url}#{heading.id}"
                expected.append((heading.level + shift, heading.title, heading.id, url))
        assert [c.id for c in rest] == [hid for _, _, hid, _ in expected]
        for cell, (level, text, _, url) in zip(rest, expected, strict=True):
            first_line = cell.source.splitlines()[0]
            assert first_line == f"{'#' * level} {text}"
            links = re.findall(r"\]\(([^)]+)\)", cell.source)
            assert urljoin(notebook_url, links[-1]) == url, cell.source
        assert section_pages or chapter != "ch02", "chapter 2 is split into pages"
        assert not [c for c in nb.cells if c.id == "unplaced-examples"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_notebook_holds_every_example_in_the_order_of_the_pages(
    notebooks: dict[str, Path], lang: str
) -> None:
    for chapter in CHAPTERS:
        pages = _source_pages(REPO / "docs" / lang, lang, chapter)
        page_order = [t for page in pages for t in _shown_examples(page)]
        assert sorted(page_order) == [relative(e) for e in example_files(chapter)]
        cell_order = [
            relative(e) for c in load(notebooks, lang, chapter).cells if (e := example_of(c))
        ]
        assert cell_order == page_order


@pytest.mark.parametrize("lang", LANGS)
def test_chapter_2_pages_follow_its_contents_list_and_the_nav(lang: str) -> None:
    pages = chapter_pages(REPO / "docs" / lang, "ch02")
    assert pages[0] == "ch02/index.md"
    assert {f"ch02/{p.name}" for p in (REPO / "docs" / lang / "ch02").glob("*.md")} == set(pages)
    assert len(pages) > 1
    config = (REPO / ("mkdocs.yml" if lang == "zh" else "mkdocs.en.yml")).read_text("utf-8")
    nav = re.findall(r"^\s*- (?:[^\n]+: )?(ch02/[\w./-]+\.md)\s*$", config, re.M)
    assert nav == pages


def test_parse_page_takes_heading_first_paragraph_and_includes() -> None:
    page = parse_page(
        "---\ndescription: x\n---\n\n# Title { #top }\n\nIntro line one\nline two.\n\n"
        "More intro.\n\n## First { #first }\n\n```console\n$ not prose\n```\n\n"
        "!!! note\n\n    Not prose either.\n\nThe first paragraph, see [the trace](../trace.md),\n"
        "[later](#second) and [docs](https://docs.python.org/3/).\n\nSecond paragraph.\n\n"
        '=== "Code"\n\n    ```python\n    --8<-- "examples/ch02/a.py"\n    ```\n\n'
        '```python\n--8<-- "examples/ch02/util.py:delay"\n```\n\n'
        "## Second { #second }\n\nThree ways:\n\n- one\n- two\n  continued\n\nAfter the list.\n\n"
        '=== "Code"\n\n    ```python\n    --8<-- "examples/ch02/b.py"\n    ```\n'
    )
    assert (page.title, page.id, page.intro) == ("Title", "top", "Intro line one\nline two.")
    first, second = page.sections
    assert (first.level, first.title, first.id, first.examples) == (
        2,
        "First",
        "first",
        ["examples/ch02/a.py"],
    )
    assert first.paragraph.startswith("The first paragraph, see")
    assert first.paragraph.endswith("[docs](https://docs.python.org/3/).")
    assert second.paragraph == "Three ways:\n\n- one\n- two\n  continued"
    assert second.examples == ["examples/ch02/b.py"]
    assert rewrite_links(first.paragraph, "ch02/index.md") == (
        "The first paragraph, see [the trace](../../trace/),\n"
        "[later](../#second) and [docs](https://docs.python.org/3/)."
    )
    # The same paragraph on a section page: its links are relative to that page.
    assert rewrite_links(first.paragraph, "ch02/coroutines.md") == (
        "The first paragraph, see [the trace](../../trace/),\n"
        "[later](../coroutines/#second) and [docs](https://docs.python.org/3/)."
    )
    assert rewrite_links("[t](tasks.md#x), [i](index.md)", "ch02/coroutines.md") == (
        "[t](../tasks/#x), [i](../)"
    )


def test_both_languages_have_a_notebook_for_every_chapter_in_the_nav(
    notebooks: dict[str, Path],
) -> None:
    for chapter in CHAPTERS:
        zh, en = load(notebooks, "zh", chapter), load(notebooks, "en", chapter)
        # The same examples and code in both; the prose in each language.
        assert [
            (c.cell_type, c.source) for c in zh.cells if example_of(c) and c.cell_type == "code"
        ] == [(c.cell_type, c.source) for c in en.cells if example_of(c) and c.cell_type == "code"]
        zh_prose = "".join(c.source for c in zh.cells if c.cell_type == "markdown")
        en_prose = "".join(c.source for c in en.cells if c.cell_type == "markdown")
        assert CJK.search(zh_prose) and not CJK.search(en_prose)
        for config in ("mkdocs.yml", "mkdocs.en.yml"):
            nav = (REPO / config).read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
            assert re.search(rf"^\s+- [^\n]+: {chapter}/{NOTEBOOK_NAME}$", nav, re.M), config


def test_a_page_including_a_missing_example_is_an_error() -> None:
    text = '# T { #t }\n\n## S { #s }\n\n--8<-- "examples/ch02/no_such_example.py"\n'
    with pytest.raises(NotebookError, match="no_such_example"):
        build_notebook("ch02", "en", [("ch02/index.md", text)])
    with pytest.raises(NotebookError, match=r"ch02/first\.md includes missing .*no_such_example"):
        build_notebook(
            "ch02", "en", [("ch02/index.md", "# I\n\n[First](first.md)\n"), ("ch02/first.md", text)]
        )


# -- a chapter's pages: which, in which order, and what the notebook takes from each ------------


def _docs(tmp_path: Path, pages: dict[str, str]) -> Path:
    """A docs directory holding chapter 2's pages {name: Markdown}."""
    docs = tmp_path / "docs"
    (docs / "ch02").mkdir(parents=True)
    for name, text in pages.items():
        (docs / "ch02" / name).write_text(text, encoding="utf-8")
    return docs


def _example_tabs(name: str) -> str:
    return f'=== "Code"\n\n    ```python\n    --8<-- "examples/ch02/{name}.py"\n    ```\n'


def test_a_page_the_index_does_not_link_to_is_an_error(tmp_path: Path) -> None:
    docs = _docs(
        tmp_path,
        {
            "index.md": "# Chapter { #chapter }\n\nIntro.\n\n- [First](first.md): one.\n",
            "first.md": f"# First {{ #first }}\n\nIntro.\n\n{_example_tabs('async_await')}",
            "forgotten.md": f"# Forgotten {{ #forgotten }}\n\n{_example_tabs('sequential')}",
        },
    )
    message = r"forgotten\.md is not linked from .*ch02/index\.md.*contents list in index\.md"
    with pytest.raises(NotebookError, match=message):
        chapter_pages(docs, "ch02")
    with pytest.raises(NotebookError, match=message):
        write_notebooks(docs, "en", tmp_path / "out")
    assert not (tmp_path / "out" / "ch02" / NOTEBOOK_NAME).exists()


def test_a_link_to_a_missing_page_is_an_error(tmp_path: Path) -> None:
    docs = _docs(tmp_path, {"index.md": "# Chapter\n\n- [Gone](gone.md#x): not there.\n"})
    with pytest.raises(NotebookError, match=r"index\.md links to .*ch02/gone\.md, which does not"):
        chapter_pages(docs, "ch02")


def test_pages_come_in_the_order_of_their_first_link_from_the_index(tmp_path: Path) -> None:
    docs = _docs(
        tmp_path,
        {
            "index.md": (
                "# Chapter\n\nSee [b](./b.md#later) first, [the trace](../trace.md), "
                "[the site](https://example.org/a.md) and [this page](index.md).\n\n"
                "```markdown\n[not a link](c.md)\n```\n\n"
                "- [A](a.md)\n- [B again](b.md)\n- [C](c.md)\n\n"
                "The [notebook](notebook.ipynb).\n"
            ),
            "a.md": "# A\n",
            "b.md": "# B\n",
            "c.md": "# C\n",
        },
    )
    assert chapter_pages(docs, "ch02") == ["ch02/index.md", "ch02/b.md", "ch02/a.md", "ch02/c.md"]


def test_a_section_page_becomes_sections_of_the_notebook_with_its_links_rewritten(
    tmp_path: Path,
) -> None:
    docs = _docs(
        tmp_path,
        {
            "index.md": (
                "---\ndescription: d\n---\n\n# Chapter { #chapter }\n\nThe intro.\n\n"
                "- [First](first.md): one.\n- [Second](second.md): two.\n"
            ),
            "first.md": (
                "---\ndescription: d\n---\n\n# First page { #first-page }\n\n"
                "Starts here, goes on in [the next page](second.md#deep), see [below](#sub), "
                "[the trace](../trace.md) and [the chapter](index.md).\n\n"
                f"{_example_tabs('async_await')}\n"
                "## Sub { #sub }\n\nBack to [the top](#first-page).\n\n"
                f"{_example_tabs('sequential')}\n"
                "### Deeper { #deeper }\n\nText.\n"
            ),
            "second.md": (
                "# Second page { #second-page }\n\nIntro.\n\n## Deep { #deep }\n\n"
                f"Deep text.\n\n{_example_tabs('concurrent_tasks')}"
            ),
        },
    )
    out = tmp_path / "out"
    assert write_notebooks(docs, "en", out) == [Path("ch02") / NOTEBOOK_NAME]
    nb = nbformat.read(out / "ch02" / NOTEBOOK_NAME, as_version=4)
    headed = {c.id: c.source for c in nb.cells if c.cell_type == "markdown" and c.source[0] == "#"}
    assert list(headed) == [
        "chapter",
        "first-page",
        "sub",
        "deeper",
        "second-page",
        "deep",
        "unplaced-examples",
    ]
    assert [s.splitlines()[0] for s in headed.values()] == [
        "# Chapter · notebook",
        "## First page",
        "### Sub",
        "#### Deeper",
        "## Second page",
        "### Deep",
        f"## {TEXT['en']['unplaced']}",
    ]
    notebook_url = "https://example.org/en/ch02/notebook/"

    def targets(source: str) -> list[str]:
        return [urljoin(notebook_url, t) for t in re.findall(r"\]\(([^)]+)\)", source)]

    site = "https://example.org/en/"
    assert targets(headed["first-page"]) == [
        f"{site}ch02/second/#deep",
        f"{site}ch02/first/#sub",
        f"{site}trace/",
        f"{site}ch02/",
        f"{site}ch02/first/",  # the section link: the page itself
    ]
    assert targets(headed["sub"]) == [f"{site}ch02/first/#first-page", f"{site}ch02/first/#sub"]
    assert targets(headed["deep"]) == [f"{site}ch02/second/#deep"]
    assert targets(headed["chapter"])[-1] == f"{site}ch02/"
    # Each page's examples under its own headings: the ones before its first H2 under its title.
    order = [(c.id, relative(e)) for c in nb.cells if (e := example_of(c))]
    assert order[:3] == [
        ("example-async_await", "examples/ch02/async_await.py"),
        ("example-sequential", "examples/ch02/sequential.py"),
        ("example-concurrent_tasks", "examples/ch02/concurrent_tasks.py"),
    ]
    ids = [c.id for c in nb.cells]
    assert ids.index("first-page") < ids.index("example-async_await") < ids.index("sub")
    assert ids.index("sub") < ids.index("example-sequential") < ids.index("deeper")
    # Every other example is still in the notebook, after the pages.
    assert sorted(e for _, e in order) == [relative(e) for e in example_files("ch02")]
    assert ids.index("unplaced-examples") < ids.index(order[3][0])


def test_a_section_id_used_on_two_pages_is_an_error_naming_the_page() -> None:
    pages = [
        ("ch02/index.md", "# Chapter\n\n- [A](a.md)\n- [B](b.md)\n"),
        ("ch02/a.md", "# A { #a }\n\n## Same { #same }\n\nText.\n"),
        ("ch02/b.md", "# B { #b }\n\n## Same { #same }\n\nText.\n"),
    ]
    with pytest.raises(NotebookError, match=r"ch02/b\.md: two notebook cells would be 'same'"):
        build_notebook("ch02", "en", pages)


def test_a_single_page_chapter_still_makes_a_notebook(tmp_path: Path) -> None:
    """A chapter as new_chapter.py scaffolds it: index.md only, sections on it."""
    docs = _docs(
        tmp_path,
        {
            "index.md": (
                "---\ndescription: d\n---\n\n# Chapter { #chapter }\n\nIntro, see [later](#two)."
                f"\n\n## One {{ #one }}\n\nFirst.\n\n{_example_tabs('async_await')}\n"
                f"## Two {{ #two }}\n\nSecond.\n\n{_example_tabs('sequential')}"
            ),
        },
    )
    assert chapter_pages(docs, "ch02") == ["ch02/index.md"]
    out = tmp_path / "out"
    write_notebooks(docs, "zh", out)
    nb = nbformat.read(out / "ch02" / NOTEBOOK_NAME, as_version=4)
    headed = {c.id: c.source for c in nb.cells if c.cell_type == "markdown" and c.source[0] == "#"}
    assert list(headed) == ["chapter", "one", "two", "unplaced-examples"]
    assert "see [later](../#two)" in headed["chapter"]
    assert headed["one"].startswith("## One\n\nFirst.\n\n")
    assert headed["one"].endswith("](../#one)")
    examples = [relative(e) for c in nb.cells if (e := example_of(c))]
    assert examples[:2] == ["examples/ch02/async_await.py", "examples/ch02/sequential.py"]


def test_an_example_before_the_first_section_of_the_index_is_an_error() -> None:
    text = f"# Chapter\n\nIntro.\n\n{_example_tabs('async_await')}\n## S {{ #s }}\n\nText.\n"
    with pytest.raises(NotebookError, match=r"index\.md: .*async_await\.py is included before"):
        build_notebook("ch02", "en", [("ch02/index.md", text)])


def test_both_languages_say_the_same_things() -> None:
    assert TEXT["zh"].keys() == TEXT["en"].keys()
    for key in TEXT["en"]:
        fields = lambda s: sorted(re.findall(r"\{(\w+)\}", s))  # noqa: E731
        assert fields(TEXT["zh"][key]) == fields(TEXT["en"][key]), key


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
