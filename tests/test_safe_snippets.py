"""What an example holds or prints reaches the page as text, and only files under examples/ and
build/generated/ reach it at all (sitebuild/tabs.py, sitebuild/safe_snippets.py).

The pages are rendered here with the Markdown extensions of mkdocs.yml, from a page that
includes an example's generated tabs snippet, as the site build does.
"""

from __future__ import annotations

import html as html_module
import os
import re
from pathlib import Path

import markdown
import pytest
import yaml
from pymdownx.snippets import SnippetMissingError

from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild.tabs import tabs_snippet

HOSTILE = [
    "```",
    "<script>alert(1)</script>",
    "````````",
    '--8<-- "build/generated/secret.txt"',
    '    ;--8<-- "x"',
    "--8<--",
    "build/generated/secret.txt",
    "--8<--",
    "# --8<-- [start:part]",
]


def _extensions() -> tuple[list, dict]:
    """mkdocs.yml's markdown_extensions, without the ones that need MkDocs' own YAML tags."""
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config = yaml.load(text, Loader=_Loader)  # our own file; its tags become None
    names, configs = [], {}
    for entry in config["markdown_extensions"]:
        name, options = next(iter(entry.items())) if isinstance(entry, dict) else (entry, {})
        options = {
            k: v for k, v in (options or {}).items() if k not in ("slugify", "custom_fences")
        }
        names.append(name)
        configs[name] = options
    return names, configs


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda *_: None)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)


def render(root: Path, page: str) -> str:
    names, configs = _extensions()
    cwd = os.getcwd()
    os.chdir(root)  # base_path "." as the build runs it, from the repository root
    try:
        return markdown.markdown(page, extensions=names, extension_configs=configs)
    finally:
        os.chdir(cwd)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    example = tmp_path / "examples" / "ch09" / "evil.py"
    example.parent.mkdir(parents=True)
    example.write_text("\n".join(["s = '''", *HOSTILE, "'''", "print(s)", ""]), encoding="utf-8")
    out = tmp_path / "build" / "generated" / "ch09" / "evil"
    out.mkdir(parents=True)
    (out / "output.txt").write_text("\n".join(["$ python x.py", *HOSTILE, ""]), encoding="utf-8")
    (out / "timeline.md").write_text("timeline\n", encoding="utf-8")
    (out / "en").mkdir()  # the step log quotes source lines and printed text
    (out / "en" / "steps.txt").write_text("\n".join(["steps", *HOSTILE, ""]), encoding="utf-8")
    (tmp_path / "build" / "generated" / "secret.txt").write_text("SECRET\n", encoding="utf-8")
    for kind in ("tabs", "code-output"):
        target = f"build/generated/ch09/evil/{kind}.en.md"
        (tmp_path / target).write_text(tabs_snippet(target, tmp_path), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("kind", ["tabs", "code-output"])
def test_an_example_and_its_output_are_shown_as_text(root: Path, kind: str) -> None:
    html = render(root, f'# P\n\n--8<-- "build/generated/ch09/evil/{kind}.en.md"\n')
    assert "<script>" not in html
    tabs = 3 if kind == "tabs" else 2  # Code, Output (and the step log)
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == tabs
    assert "SECRET" not in html
    # Every hostile line is shown as written, in both tabs (Pygments wraps tokens in spans).
    text = _text(html)
    for line in HOSTILE:
        if line != "# --8<-- [start:part]":  # a section marker in an example is notation
            assert text.count(line.strip()) >= tabs, line
    # Printed (and quoted in the step log): text, never notation.
    assert text.count("# --8<-- [start:part]") == tabs - 1


def _text(html: str) -> str:
    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize(
    "include",
    [
        '--8<-- ".git/config"',
        "-8<-\n.git/config\n-8<-",
        '\f--8<-- ".git/config"',
        "--8<--\n\f.git/config\n--8<--",
        '--8<-- "examples/ch09/link.txt"',
    ],
)
def test_nothing_outside_examples_and_generated_is_read(root: Path, include: str) -> None:
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[remote] secret\n", encoding="utf-8")
    (root / "examples" / "ch09" / "link.txt").symlink_to(root / ".git" / "config")
    try:
        html = render(root, f"# P\n\n{include}\n")
    except SnippetMissingError as exc:
        assert "pages may include only files under examples/ and build/generated/" in str(exc)
    else:
        assert "secret" not in html


def test_a_fence_is_longer_than_any_backtick_run(root: Path) -> None:
    snippet = tabs_snippet("build/generated/ch09/evil/tabs.en.md", root)
    assert '    `````````python title="examples/ch09/evil.py"' in snippet
    assert "    `````````console" in snippet
