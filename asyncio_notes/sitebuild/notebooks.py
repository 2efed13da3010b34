"""Every chapter as a Jupyter notebook, in each language, built from the same example files.

For chapter `chNN` and language `LANG` this writes `OUT/LANG/chNN/notebook.ipynb` (the MkDocs hook
serves it at `chNN/notebook/`): a title cell from the chapter's index.md, the helpers cell
(util.py, registered as the module `util`), then each section of the chapter's pages in reading
order (chapter_source.py) with a link back to it, followed by one cell per example it includes
(notebook_code.py), whose stored output is the checked `#>` transcript. Deterministic: fixed
cell ids, sorted keys, no timestamps, no version metadata. nbformat and the standard library;
the MkDocs side (serving the notebook, trimming its HTML) is mkdocs_hooks.py and notebook_html.py.
Usage: python -m asyncio_notes.sitebuild.notebooks [--out DIR]  (both languages)
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import posixpath
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urljoin

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from asyncio_notes.paths import EXAMPLES_DIR, GENERATED_DIR, REPO
from asyncio_notes.sitebuild.catalog import (
    HELPER_MODULES,
    chapter_dirs,
    example_files,
    expected_output,
    relative,
)
from asyncio_notes.sitebuild.chapter_source import (
    NOTEBOOK_NAME,
    ChapterPage,
    NotebookError,
    Section,
    chapter_pages,
    notebook_url,
    page_url,
    parse_page,
    rewrite_links,
)
from asyncio_notes.sitebuild.notebook_code import notebook_code
from asyncio_notes.sitebuild.notebook_text import TEXT
from asyncio_notes.sitebuild.tabs import fence_for

LANGS = ("zh", "en")
DOCS_DIR = REPO / "docs"
OUT_DIR = GENERATED_DIR / "notebooks"
METADATA_KEY = "asyncio_notes"  # cell metadata: which example file a cell comes from


def strip_output_comments(example: Path, source: str | None = None) -> str:
    """The example's source without its `#>` output lines and without trailing blank lines."""
    source = example.read_text(encoding="utf-8") if source is None else source
    drop = {e.lineno for e in expected_output(example)}
    lines = [line for n, line in enumerate(source.splitlines(), start=1) if n not in drop]
    return "\n".join(lines).rstrip() + "\n"


def transcript(example: Path) -> str:
    """What the checked run printed: the `#>` lines, one per printed line."""
    lines = [e.text for e in expected_output(example)]
    return "".join(f"{line}\n" for line in lines)


# ---------------------------------------------------------------------------------------------
# Building the notebook


def _helpers_cell_source(helper: Path, lang: str) -> str:
    """util.py without the snippet markers, then a few lines registering it as module `util`."""
    source = helper.read_text(encoding="utf-8")
    lines = [ln for ln in source.splitlines() if not re.match(r"^\s*#\s*-{1,}8<-{1,}", ln)]
    body = re.sub(r"\n{3,}", "\n\n\n", "\n".join(lines)).rstrip()
    tree = ast.parse(source)
    names = sorted(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and not node.name.startswith("_")
    )
    module = helper.stem
    register = [
        "",
        "",
        TEXT[lang]["helpers_comment"],
        "import sys",
        "import types",
        "",
        f'{module} = types.ModuleType("{module}")',
        *(f"{module}.{name} = {name}" for name in names),
        f'sys.modules["{module}"] = {module}',
    ]
    return body + "\n" + "\n".join(register)


def _cell_id(prefix: str, name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{prefix}{name}")[:64]


_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
    },
}


def _parsed_pages(
    chapter: str, lang: str, pages: Sequence[tuple[str, str]]
) -> list[tuple[str, ChapterPage]]:
    """Each page parsed, checked: the index includes no example before its first section, and
    every example a page includes exists."""
    if not pages:
        raise NotebookError(f"{chapter}: no pages to build the notebook from")
    parsed: list[tuple[str, ChapterPage]] = []
    for page_src, page_text in pages:
        try:
            parsed.append((page_src, parse_page(page_text)))
        except NotebookError as exc:
            raise NotebookError(f"docs/{lang}/{page_src}: {exc}") from None
    index_src, index = parsed[0]
    if index.intro_examples:
        raise NotebookError(
            f"docs/{lang}/{index_src}: {index.intro_examples[0]} is included before the first "
            "section heading"
        )
    known = {relative(p) for p in example_files(chapter)}
    for page_src, page in parsed:
        unknown = [e for e in page.examples if e not in known]
        if unknown:
            raise NotebookError(f"docs/{lang}/{page_src} includes missing examples: {unknown}")
    return parsed


def _sections(
    parsed: list[tuple[str, ChapterPage]], link, unplaced: list[str], lang: str
) -> list[tuple[str, Section, str | None]]:
    """(page it comes from, section at its notebook heading level, link to it or None)."""
    (index_src, index), *section_pages = parsed
    sections = [(index_src, s, link(index_src, s.id)) for s in index.sections]
    for page_src, page in section_pages:
        # The page's H1 (with its intro and the examples before its first H2) is a section of
        # the chapter; its own sections go one level deeper.
        top = Section(2, page.title, page.id, page.intro, page.intro_examples)
        sections.append((page_src, top, link(page_src)))
        for s in page.sections:
            deeper = Section(min(s.level + 1, 6), s.title, s.id, s.paragraph, s.examples)
            sections.append((page_src, deeper, link(page_src, s.id)))
    if unplaced:
        unplaced_section = Section(2, TEXT[lang]["unplaced"], "unplaced-examples", "", unplaced)
        sections.append((index_src, unplaced_section, None))
    return sections


def _example_cell(example_path: str, lang: str) -> nbformat.NotebookNode:
    """The example as code with its checked output, or why it cannot run in a notebook."""
    text = TEXT[lang]
    example = REPO / example_path
    source = strip_output_comments(example)
    code = notebook_code(source)
    meta = {METADATA_KEY: {"example": example_path}}
    if code.runnable:
        cell = new_code_cell(f"# {example_path}\n{code.code.rstrip()}", metadata=meta)
        output = transcript(example)
        if output:
            cell.outputs = [new_output("stream", name="stdout", text=output)]
        return cell
    details = text["and"].join(f"`{d}`" for d in code.details)
    body = text["cannot_run"].format(
        path=example_path,
        reason=text[str(code.reason)].format(details=details),
        code=source.rstrip(),
        output=transcript(example).rstrip("\n"),
        # Longer than any backtick run inside: the example stays text (sitebuild/tabs.py).
        fence=fence_for(source),
        output_fence=fence_for(transcript(example)),
    )
    return new_markdown_cell(body, metadata=meta)


def build_notebook(
    chapter: str, lang: str, pages: Sequence[tuple[str, str]], site_url: str | None = None
) -> nbformat.NotebookNode:
    """The notebook of one chapter in one language.

    pages: (page_src, Markdown) of the chapter's pages in reading order, its index.md first, e.g.
    [('ch02/index.md', ...), ('ch02/coroutines.md', ...)] (see `chapter_pages`).
    site_url: the site's address in this language; links to its pages are then absolute, and work
    in a downloaded notebook. Without it they are relative to the notebook's page on the site, and
    the notebook says where else to read.
    """
    text = TEXT[lang]
    parsed = _parsed_pages(chapter, lang, pages)
    index_src, index = parsed[0]
    chapter_dir = EXAMPLES_DIR / chapter
    here = notebook_url(index_src)

    def link(page_src: str, anchor: str | None = None) -> str:
        """The URL of a page (or a section on it): absolute, or relative to the notebook page."""
        if site_url:
            url = urljoin(site_url.rstrip("/") + "/", page_url(page_src))
        else:
            url = posixpath.relpath(page_url(page_src) or ".", here.rstrip("/")) + "/"
        return url + (f"#{anchor}" if anchor else "")

    placed = {e for _, page in parsed for e in page.examples}
    unplaced = sorted({relative(p) for p in example_files(chapter)} - placed)
    cells = []
    ids: set[str] = set()

    def add(cell: nbformat.NotebookNode, cell_id: str, page_src: str) -> None:
        if cell_id in ids:
            raise NotebookError(f"docs/{lang}/{page_src}: two notebook cells would be '{cell_id}'")
        ids.add(cell_id)
        cell.id = cell_id
        cells.append(cell)

    intro = [f"# {text['title'].format(title=index.title)}"]
    if index.intro:
        intro.append(rewrite_links(index.intro, index_src, site_url))
    intro.append(text["about"].format(page=link(index_src), examples=f"examples/{chapter}/"))
    if not site_url:
        intro.append(text["relative"].format(docs=f"docs/{lang}/{chapter}/"))
    add(new_markdown_cell("\n\n".join(intro)), index.id or "title", index_src)
    helpers = sorted(chapter_dir / name for name in HELPER_MODULES if (chapter_dir / name).exists())
    for helper in helpers:
        about = new_markdown_cell(text["helpers"].format(path=relative(helper)))
        add(about, _cell_id("about-", helper.stem), index_src)
        code = new_code_cell(_helpers_cell_source(helper, lang))
        add(code, _cell_id("helpers-", helper.stem), index_src)
    for number, (page_src, section, url) in enumerate(
        _sections(parsed, link, unplaced, lang), start=1
    ):
        parts = [f"{'#' * section.level} {section.title}"]
        if section.paragraph:
            parts.append(rewrite_links(section.paragraph, page_src, site_url))
        if url is not None:
            parts.append(text["section_link"].format(url=url))
        add(new_markdown_cell("\n\n".join(parts)), section.id or f"section-{number}", page_src)
        for example_path in section.examples:
            cell = _example_cell(example_path, lang)
            add(cell, _cell_id("example-", Path(example_path).stem), page_src)
    for count, cell in enumerate((c for c in cells if c.cell_type == "code"), start=1):
        cell.execution_count = count
    nb = new_notebook(cells=cells)
    nb.metadata = copy.deepcopy(_METADATA)
    nbformat.validate(nb)
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """Stable text: nbformat's own layout (sorted keys, indent 1), UTF-8, final newline."""
    return nbformat.writes(nb, version=4).rstrip("\n") + "\n"


def chapters() -> list[str]:
    return [d.name for d in chapter_dirs()]


def write_notebooks(
    docs_dir: Path, lang: str, out_dir: Path, site_url: str | None = None
) -> list[Path]:
    """Write `out_dir/chNN/notebook.ipynb` for every chapter whose index.md exists in docs_dir,
    from all the chapter's pages (`chapter_pages`), linking to the site at `site_url` if given.

    A file is rewritten only when its content changes; stale notebooks are removed. Returns the
    notebooks, relative to out_dir.
    """
    written = []
    for chapter in chapters():
        index = docs_dir / chapter / "index.md"
        if not index.exists():
            continue
        try:
            pages = [
                (src, (docs_dir / src).read_text(encoding="utf-8"))
                for src in chapter_pages(docs_dir, chapter)
            ]
            nb = build_notebook(chapter, lang, pages, site_url)
        except (NotebookError, SyntaxError) as exc:
            raise NotebookError(f"notebook for {relative(index.parent)}/: {exc}") from None
        rel = Path(chapter) / NOTEBOOK_NAME
        target = out_dir / rel
        content = dumps(nb)
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Atomically: the other language's build (or a live server) may be reading it.
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temporary.write_text(content, encoding="utf-8", newline="\n")
            os.replace(temporary, target)
        written.append(rel)
    if out_dir.exists():
        for stale in out_dir.rglob("*.ipynb"):
            if stale.relative_to(out_dir) not in written:
                stale.unlink()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"default: {relative(OUT_DIR)}")
    args = parser.parse_args()
    try:
        for lang in LANGS:
            for rel in write_notebooks(DOCS_DIR / lang, lang, args.out / lang):
                print(relative(args.out / lang / rel))
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
