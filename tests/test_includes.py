"""Pages include only files under examples/ and build/generated/ (sitebuild/includes.py).

Every refusal names the page and line, the path, and what to do; a file that exists is never
reported as missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild.includes import include_problems


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "examples" / "ch02").mkdir(parents=True)
    (tmp_path / "build" / "generated" / "ch02" / "x").mkdir(parents=True)
    (tmp_path / "examples" / "ch02" / "x.py").write_text(
        "# --8<-- [start:part]\nprint(1)\n# --8<-- [end:part]\n", encoding="utf-8"
    )
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[remote]\n", encoding="utf-8")
    return tmp_path


def problems(root: Path, target: str) -> list[str]:
    page = f'# T\n\n```python\n--8<-- "{target}"\n```\n'
    return include_problems("docs/en/p.md", page, root=root)


def test_files_under_examples_and_generated_may_be_included(root: Path) -> None:
    (root / "build" / "generated" / "ch02" / "x" / "out.txt").write_text("1\n", encoding="utf-8")
    assert problems(root, "examples/ch02/x.py") == []
    assert problems(root, "examples/ch02/x.py:part") == []
    assert problems(root, "build/generated/ch02/x/out.txt") == []


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (".git/config", "pages may include only files under examples/ and build/generated/"),
        ("/etc/passwd", "an absolute path"),
        ("examples/../.git/config", "'..' leaves the folder"),
        ("examples/ch02/x.py:nosuch", "has no section 'nosuch'"),
        ("examples/ch02/gone.py", "does not exist; create the file or correct the path"),
    ],
)
def test_anything_else_is_refused_with_page_line_and_what_to_do(
    root: Path, target: str, says: str
) -> None:
    (found,) = problems(root, target)
    assert found.startswith(f"docs/en/p.md:4: includes '{target}': "), found
    assert says in found
    if target != "examples/ch02/gone.py":
        assert "does not exist" not in found and "could not be found" not in found


@pytest.mark.parametrize("outside", ["/etc/passwd", "/proc/self/environ", "../secret.txt"])
def test_a_link_out_of_examples_is_refused(root: Path, outside: str) -> None:
    if outside.startswith(".."):
        (root.parent / "secret.txt").write_text("secret\n", encoding="utf-8")
        outside = str(root.parent / "secret.txt")
    (root / "examples" / "ch02" / "leak.txt").symlink_to(outside)
    (found,) = problems(root, "examples/ch02/leak.txt")
    assert "docs/en/p.md:4:" in found and "is a link to" in found
    assert "put the file itself there" in found


def test_nested_includes_are_checked_and_name_the_chain(root: Path) -> None:
    snippet = root / "build" / "generated" / "ch02" / "x" / "tabs.en.md"
    snippet.write_text('```python\n--8<-- "examples/ch02/x.py"\n```\n', encoding="utf-8")
    assert problems(root, "build/generated/ch02/x/tabs.en.md") == []
    snippet.write_text('x\n--8<-- ".git/config"\n', encoding="utf-8")
    (found,) = problems(root, "build/generated/ch02/x/tabs.en.md")
    assert found.startswith("build/generated/ch02/x/tabs.en.md:2 (included from docs/en/p.md)")


def test_an_include_line_inside_an_example_or_its_output_is_content(root: Path) -> None:
    """pymdownx shows it as text (safe_snippets.py), so it is not refused as an include."""
    out = root / "build" / "generated" / "ch02" / "x" / "output.txt"
    out.write_text('$ python x.py\n--8<-- ".git/config"\n', encoding="utf-8")
    (root / "examples" / "ch02" / "x.py").write_text('s = """\n--8<-- ".git/config"\n"""\n')
    assert problems(root, "build/generated/ch02/x/output.txt") == []
    assert problems(root, "examples/ch02/x.py") == []


def test_block_form_and_unreadable_include_lines_are_checked(root: Path) -> None:
    page = '# T\n\n--8<--\nexamples/ch02/x.py\n.git/config\n--8<--\n\n--8<-- "a\n'
    found = include_problems("docs/en/p.md", page, root=root)
    assert found[0].startswith("docs/en/p.md:5: includes '.git/config'")
    assert found[1].startswith("docs/en/p.md:8: ") and "cannot be checked" in found[1]
    assert len(found) == 2


# MkDocs' own build with another docs_dir; its errors are logged, as the `mkdocs` command does.
BUILD_WITH_DOCS_DIR = """
import logging
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException

logging.basicConfig(level=logging.WARNING, format="%(levelname)s - %(message)s")
docs, site = sys.argv[1], sys.argv[2]
config = load_config("mkdocs.yml", docs_dir=docs, site_dir=site, nav=[{"Bad": "index.md"}])
try:
    build(config)
except MkDocsException as exc:
    sys.exit(f"build failed: {exc}")
"""


PAGE = '---\ndescription: x\n---\n# Bad { #bad }\n\n```yaml\n--8<-- "TARGET"\n```\n'


def build_docs(tmp_path: Path, pages: dict[str, str]) -> subprocess.CompletedProcess[str]:
    docs = tmp_path / "docs"
    for name, text in pages.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-c", BUILD_WITH_DOCS_DIR, str(docs), str(tmp_path / "site")],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow  # a MkDocs build
def test_the_build_refuses_an_include_outside_with_page_and_line(tmp_path: Path) -> None:
    proc = build_docs(tmp_path, {"index.md": PAGE.replace("TARGET", "mkdocs.yml")})
    assert proc.returncode != 0
    assert "index.md:7: includes 'mkdocs.yml': pages may include only" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "site" / "index.html").exists()


@pytest.mark.slow  # a MkDocs build
def test_a_chapter_page_include_error_names_the_page_and_line(tmp_path: Path) -> None:
    """Chapter pages feed the notebook builder, which read them first and failed without a line."""
    bad = PAGE.replace("TARGET", "examples/ch02/no_such.py")
    proc = build_docs(
        tmp_path,
        {"index.md": PAGE.replace("TARGET", "examples/ch02/util.py"), "ch02/index.md": bad},
    )
    assert proc.returncode != 0
    assert "ch02/index.md:7: includes 'examples/ch02/no_such.py'" in proc.stderr, proc.stderr
    assert "create the file or correct the path" in proc.stderr


@pytest.mark.slow  # a MkDocs build
def test_a_missing_include_names_page_line_and_fix(tmp_path: Path) -> None:
    proc = build_docs(tmp_path, {"index.md": PAGE.replace("TARGET", "examples/ch02/no_such.py")})
    assert proc.returncode != 0
    assert "index.md:7: includes 'examples/ch02/no_such.py'" in proc.stderr, proc.stderr
    assert "create the file or correct the path" in proc.stderr


@pytest.mark.parametrize(
    "page",
    [
        "\f--8<--\n--8<--\n.git/config\n--8<--\n",  # a form feed: no marker for pymdownx
        "\v--8<--\n--8<--\n.git/config\n--8<--\n",
        "-8<-\n\f.git/config\n-8<-\n",
        'x\r--8<-- ".git/config"\n',  # a lone CR ends a line for Markdown
    ],
)
def test_includes_are_read_as_pymdownx_reads_them(root: Path, page: str) -> None:
    found = include_problems("docs/en/p.md", page, root=root)
    assert any("'.git/config'" in f and "pages may include only files under" in f for f in found)


@pytest.mark.slow  # a MkDocs build
@pytest.mark.parametrize("linked", ["page", "folder"])
def test_a_link_in_docs_leading_out_of_it_is_refused(tmp_path: Path, linked: str) -> None:
    secret = tmp_path / "outside" / "secret.md"
    secret.parent.mkdir()
    secret.write_text("# Secret { #secret }\n\nSECRET\n", encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    if linked == "page":
        (docs / "leak.md").symlink_to(secret)
    else:
        (docs / "leak").symlink_to(secret.parent, target_is_directory=True)
    proc = build_docs(tmp_path, {"index.md": "---\ndescription: x\n---\n# Home { #home }\n"})
    assert proc.returncode != 0
    assert "is a link to" in proc.stderr and "outside" in proc.stderr, proc.stderr
    site = tmp_path / "site"
    published = [p.read_text(errors="replace") for p in site.rglob("*") if p.is_file()]
    assert not any("SECRET" in text for text in published)
