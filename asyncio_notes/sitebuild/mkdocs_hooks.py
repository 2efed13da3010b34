"""MkDocs glue, kept thin: generate page material before a build, and place the English site.

Notebooks: notebooks.py writes each chapter's notebook into
build/generated/notebooks/<lang>/ (never into docs/); on_files adds it to the site as
chNN/notebook.ipynb before mkdocs-jupyter turns .ipynb files into pages, and on_page_content
trims the HTML that mkdocs-jupyter renders.

The in-page runner: on_pre_build writes its bundle (runner_bundle.py), which on_files adds to the
site, and hands the page template what each example needs that a browser lacks.

The stepper: on_files publishes each example's steps.json (generate.py) at
assets/steps/chNN/NAME.json, which stepper.mjs fetches when its tab is opened.

Listed under `hooks:` in mkdocs.yml (and so inherited by mkdocs.en.yml).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from asyncio_notes.sitebuild import lock
from asyncio_notes.sitebuild.catalog import relative
from asyncio_notes.sitebuild.generate import OUT_DIR as GENERATED_DIR
from asyncio_notes.sitebuild.generate import GenerationError, generate_all
from asyncio_notes.sitebuild.includes import include_problems, outside_links
from asyncio_notes.sitebuild.notebook_html import slim_notebook_html, toc_tree
from asyncio_notes.sitebuild.notebooks import OUT_DIR as NOTEBOOKS_DIR
from asyncio_notes.sitebuild.notebooks import NotebookError, write_notebooks
from asyncio_notes.sitebuild.parity import Page as SourcePage
from asyncio_notes.sitebuild.parity import description
from asyncio_notes.sitebuild.runner_bundle import OUT_DIR as RUNNER_DIR
from asyncio_notes.sitebuild.runner_bundle import SITE_PATH as RUNNER_BUNDLE
from asyncio_notes.sitebuild.runner_bundle import write_bundle


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # mkdocs.en.yml inherits the Chinese site's URL; the English site lives under en/.
    url = config.site_url
    if config.extra.get("lang_key") == "en" and url and not url.rstrip("/").endswith("/en"):
        config.site_url = url.rstrip("/") + "/en/"
    return config


_holding_lock = False


def on_pre_build(config: MkDocsConfig) -> None:
    # One build at a time per checkout, from here to the last file written (lock.py).
    global _holding_lock
    if _holding_lock:  # a build interrupted (Ctrl-C) before on_post_build, in this process
        lock.release()
    lock.acquire()
    _holding_lock = True
    try:
        generate_all()
    except GenerationError as exc:
        raise PluginError(str(exc)) from None
    # overrides/main.html puts it on the runner's script: shown next to the Run buttons.
    config.extra["runner_needs"] = write_bundle()["needs"]


@event_priority(-100)  # after every plugin has written its files
def on_post_build(config: MkDocsConfig) -> None:
    _release_lock()


def on_build_error(error: Exception) -> None:
    _release_lock()


def _release_lock() -> None:
    global _holding_lock
    if _holding_lock:
        _holding_lock = False
        lock.release()


@event_priority(50)  # before mkdocs-jupyter's on_files (priority 0) turns .ipynb files into pages
def on_files(files: Files, config: MkDocsConfig) -> Files:
    # Before the notebook builder (which reads includes too) and pymdownx.snippets (which would
    # publish any file, or fail without the page's line): every include of every page, checked.
    docs_dir = Path(config.docs_dir)
    problems = outside_links(
        docs_dir,
        [
            Path(f.abs_src_path)
            for f in files
            if f.abs_src_path and Path(f.abs_src_path).is_relative_to(docs_dir)
        ],
    )
    problems += [
        problem
        for file in files
        if file.abs_src_path and file.src_uri.endswith(".md")
        for problem in include_problems(
            relative(Path(file.abs_src_path)), Path(file.abs_src_path).read_text(encoding="utf-8")
        )
    ]
    if problems:
        raise PluginError("\n".join(problems))
    lang = config.theme["language"]
    src_dir = NOTEBOOKS_DIR / lang
    try:
        notebooks = write_notebooks(Path(config.docs_dir), lang, src_dir, config.site_url)
    except NotebookError as exc:
        raise PluginError(str(exc)) from None
    for rel in notebooks:
        if files.get_file_from_path(rel.as_posix()):
            raise PluginError(f"{rel.as_posix()} is generated; remove it from {config.docs_dir}")
        files.append(File(rel.as_posix(), str(src_dir), config.site_dir, config.use_directory_urls))
    files.append(File(RUNNER_BUNDLE, str(RUNNER_DIR), config.site_dir, config.use_directory_urls))
    for steps in sorted(GENERATED_DIR.glob("ch[0-9][0-9]/*/steps.json")):
        uri = f"assets/steps/{steps.parent.parent.name}/{steps.parent.name}.json"
        files.append(File.generated(config, uri, abs_src_path=str(steps)))
    return files


def _notebook_description(page: Page, config: MkDocsConfig) -> str:
    """A notebook page is described by its chapter page's front matter `description:`."""
    chapter = Path(config.docs_dir) / Path(page.file.src_uri).parent / "index.md"
    lang = config.extra.get("lang_key", "zh")
    summary = description(SourcePage(lang, Path("index.md"), chapter.read_text(encoding="utf-8")))
    prefix = "Jupyter notebook：" if lang == "zh" else "Jupyter notebook: "
    return prefix + (summary or page.title or "")


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    html, headings = slim_notebook_html(html)
    page.meta.setdefault("description", _notebook_description(page, config))
    page.toc = get_toc(toc_tree(headings))
    page.meta["template"] = "notebook.html"  # overrides/notebook.html: stylesheet, download link
    # The notebook repeats the chapter's pages word for word: in the index it would double every
    # result and the index's size (what a reader downloads on first searching).
    page.meta["search"] = {"exclude": True}
    return html
