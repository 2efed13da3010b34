"""One reading of a docs page's structure (sitebuild/markdown_source.py), shared by parity.py and
notebooks.py: if a rule here breaks, both the checks and the notebooks go wrong together."""

from __future__ import annotations

from asyncio_notes.sitebuild import markdown_source as md

PAGE = """\
---
description: "# not a heading"
---
# Title { #top }

````markdown
```python
## Shown, not a heading { #shown }
```
````

~~~console
```
## Also shown { #also-shown }
~~~

## Section { .wide #section }

```python title="examples/ch02/util.py"
--8<-- "examples/ch02/util.py:delay"
```

    ;--8<-- "examples/escaped.py"
--8<-- "examples/ch02/sequential.py"
"""


def test_front_matter_is_skipped_and_lines_keep_their_file_numbers() -> None:
    lines = md.lines(PAGE)
    assert lines[0] == md.Line(4, "# Title { #top }")
    assert md.front_matter(PAGE) == {"description": "# not a heading"}


def test_a_page_without_front_matter_starts_at_line_one() -> None:
    text = "# Title { #t }\n\n---\n\ntext\n---\n"  # rules, not front matter
    assert [line.number for line in md.lines(text)] == [1, 2, 3, 4, 5, 6]
    assert md.front_matter(text) == {}
    assert md.headings(text)[0].line == 1
    # An opening `---` never closed is not front matter either.
    assert md.lines("---\n# T\n")[0] == md.Line(1, "---")


def test_a_longer_fence_shows_shorter_ones_and_tildes_are_fences_too() -> None:
    kinds = {line.number: (line.fence, line.code) for line in md.lines(PAGE)}
    assert kinds[6] == (True, False)  # ````markdown opens
    assert kinds[7] == kinds[8] == kinds[9] == (False, True)  # ``` lines inside it are code
    assert kinds[10] == (True, False)  # ```` closes
    assert kinds[12] == (True, False)  # ~~~console opens
    assert kinds[13] == kinds[14] == (False, True)  # ``` does not close a ~~~ block
    assert kinds[15] == (True, False)
    assert kinds[17] == (False, False)


def test_a_fence_with_an_info_string_does_not_close_a_block() -> None:
    text = "```\n```python\n# in code\n```\n# Heading { #h }\n"
    assert [h.id for h in md.headings(text)] == ["h"]
    assert [(line.fence, line.code) for line in md.lines(text)][:4] == [
        (True, False),
        (False, True),
        (False, True),
        (True, False),
    ]


def test_headings_outside_code_only_with_their_explicit_ids() -> None:
    found = [(h.line, h.level, h.title, h.id) for h in md.headings(PAGE)]
    assert found == [(4, 1, "Title", "top"), (17, 2, "Section", "section")]
    assert md.headings(PAGE)[1].text == "Section { .wide #section }"
    assert md.headings("## Loose\n")[0].id is None
    assert md.headings("## Two { #a #b }\n")[0].id == "b"  # as attr_list: the last id wins


def test_snippet_includes_with_sections_and_their_line_numbers() -> None:
    assert md.snippets(PAGE) == [
        (20, "examples/ch02/util.py:delay"),  # inside a fence: snippets run before Markdown
        (24, "examples/ch02/sequential.py"),  # the escaped `;--8<--` includes nothing
    ]
    assert md.include_path("examples/ch02/util.py:delay") == "examples/ch02/util.py"
    assert md.include_path("examples/ch02/util.py") == "examples/ch02/util.py"


def test_code_blocks_are_the_outer_ones_with_their_language() -> None:
    blocks = md.code_blocks(PAGE)
    assert [(b.line, b.lang) for b in blocks] == [(6, "markdown"), (12, "console"), (19, "python")]
    assert [line.number for line in blocks[0].body] == [7, 8, 9]
    assert [line.text for line in blocks[2].body] == ['--8<-- "examples/ch02/util.py:delay"']


TABBED = """\
# Page { #page }

=== "Code"

    ```python title="a.py"
    --8<-- "examples/ch02/a.py"
    ```

    ## Inside a tab, not a section { #no }

=== "Output"

    text

Contents:

- [Tasks](tasks.md) and more
- see [`the loop`](event-loop.md#x)

After.
"""


def test_content_tabs_hold_markdown_whose_fences_are_code() -> None:
    kinds = {line.number: (line.fence, line.code) for line in md.lines(TABBED)}
    assert kinds[5] == (True, False) and kinds[6] == (False, True) and kinds[7] == (True, False)
    assert [h.id for h in md.headings(TABBED)] == ["page"]  # a tab's heading is not the page's
    assert [b.kind for b in md.top_blocks(TABBED)] == [
        "heading",
        "tab",
        "tab",
        "paragraph",
        "bullet_list",
        "paragraph",
    ]
    assert md.top_blocks(TABBED)[1].first == 3 and md.top_blocks(TABBED)[1].last == 9


def test_links_know_a_contents_list_entry() -> None:
    found = [(link.line, link.href, link.text, link.in_list_item) for link in md.links(TABBED)]
    assert found == [
        (17, "tasks.md", "Tasks", True),
        (18, "event-loop.md#x", "the loop", False),
    ]
