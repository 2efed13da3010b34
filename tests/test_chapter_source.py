"""chapter_source.py: which pages make a chapter, in which order, and what its notebook takes
from each (headings, first paragraphs, examples, links rewritten to point back)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import nbformat
import pytest

from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild import markdown_source as md
from asyncio_notes.sitebuild import parity
from asyncio_notes.sitebuild.catalog import example_files, relative
from asyncio_notes.sitebuild.chapter_source import (
    NOTEBOOK_NAME,
    NotebookError,
    chapter_pages,
    parse_page,
    rewrite_links,
)
from asyncio_notes.sitebuild.notebook_text import TEXT
from asyncio_notes.sitebuild.notebooks import (
    LANGS,
    build_notebook,
    write_notebooks,
)
from tests.notebook_support import CHAPTERS, CJK, example_of, load

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
    # With the site's address (a downloaded notebook): absolute links.
    site = "https://example.org/notes/en/"
    assert rewrite_links("[t](tasks.md#x), [i](index.md)", "ch02/coroutines.md", site) == (
        "[t](https://example.org/notes/en/ch02/tasks/#x), [i](https://example.org/notes/en/ch02/)"
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_downloaded_notebook_links_to_the_site_or_says_where_to_read(lang: str) -> None:
    pages = [
        ("ch02/index.md", "# Chapter { #chapter }\n\n[A](a.md)\n"),
        (
            "ch02/a.md",
            '# A { #a }\n\n## One { #one }\n\nText.\n\n--8<-- "examples/ch02/sequential.py"\n',
        ),
    ]
    site = "https://example.org/notes/"
    linked = "\n".join(c.source for c in build_notebook("ch02", lang, pages, site).cells)
    assert f"]({site}ch02/a/#one)" in linked and f"]({site}ch02/)" in linked
    assert "](../" not in linked and f"docs/{lang}/ch02/" not in linked
    relative_links = "\n".join(c.source for c in build_notebook("ch02", lang, pages).cells)
    assert "](../a/#one)" in relative_links
    assert f"`docs/{lang}/ch02/`" in relative_links  # where else to read


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


@pytest.fixture
def two_page_notebook(tmp_path: Path) -> nbformat.NotebookNode:
    """Chapter 2 as an index and two section pages, each with examples and links."""
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
    return nbformat.read(out / "ch02" / NOTEBOOK_NAME, as_version=4)


def test_a_section_page_becomes_sections_of_the_notebook_with_its_links_rewritten(
    two_page_notebook: nbformat.NotebookNode,
) -> None:
    nb = two_page_notebook
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


def test_each_pages_examples_follow_its_own_headings(
    two_page_notebook: nbformat.NotebookNode,
) -> None:
    """The examples a page shows before its first H2 come under its title."""
    nb = two_page_notebook
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
