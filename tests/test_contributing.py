"""The contributor documentation points at things that exist, and the issue forms are well formed.

README.md, CONTRIBUTING.md, the contributing pages and the pull request template mention make
targets, scripts, files and GitHub links; each one must exist, so the docs cannot drift from the
repository. The issue forms are checked against the rules of GitHub's form schema that GitHub
would otherwise only report when someone opens the form.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest
import yaml

from asyncio_notes.paths import REPO

DOCS = [
    REPO / "README.md",
    REPO / "CONTRIBUTING.md",
    REPO / "docs" / "zh" / "contributing.md",
    REPO / "docs" / "en" / "contributing.md",
    REPO / ".github" / "pull_request_template.md",
]
GITHUB = "https://github.com/asyncio-notes/asyncio-notes"
# Placeholders that stand for any chapter, example or script of the reader's.
PLACEHOLDER = re.compile(r"chNN|NAME|path/to/|ch03")
ISSUE_FORMS = sorted((REPO / ".github" / "ISSUE_TEMPLATE").glob("*.yml"))


def _text(doc: Path) -> str:
    return doc.read_text(encoding="utf-8")


@functools.cache
def repo_file_names() -> set[str]:
    """Names of the repository's own files (no environments, build output or node_modules)."""
    skip = {".git", "site", "build", "node_modules", "__pycache__"}
    names = set()
    for _root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in skip and not d.startswith((".venv", ".cache"))]
        names.update(files)
    return names


def make_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, re.M))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_make_command_mentioned_exists(doc: Path) -> None:
    # as a command: `make x` in code, or a `$ make x` line of a console block
    mentioned = set(re.findall(r"(?:`|^\$ )make ([a-z][\w-]*)", _text(doc), re.M))
    assert mentioned, f"{doc.name} mentions no make command"
    assert mentioned <= make_targets(), f"not in the Makefile: {mentioned - make_targets()}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_repository_path_mentioned_exists(doc: Path) -> None:
    paths = re.findall(
        r"(?<![\w/.-])((?:asyncio_notes|examples|tests|docs|overrides|\.github|\.ci)/[\w./-]*\w)",
        _text(doc),
    )
    paths += [p for p in re.findall(r"`(\w[\w.-]*\.(?:py|yml|yaml|md|txt))`", _text(doc))]
    missing = []
    for path in paths:
        if PLACEHOLDER.search(path):
            continue
        if "/" in path:
            if not (REPO / path).exists():
                missing.append(path)
        elif path not in repo_file_names():
            missing.append(path)
    assert not missing, f"{doc.name} mentions files that do not exist: {sorted(set(missing))}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_github_link_points_at_a_file_here(doc: Path) -> None:
    missing = []
    for kind, path in re.findall(rf"{re.escape(GITHUB)}/(blob|tree)/main/([^)\s>]+)", _text(doc)):
        if not (REPO / path).exists():
            missing.append(f"{kind}/main/{path}")
    for template in re.findall(rf"{re.escape(GITHUB)}/issues/new\?template=([\w.-]+)", _text(doc)):
        if not (REPO / ".github" / "ISSUE_TEMPLATE" / template).exists():
            missing.append(f"issue template {template}")
    assert not missing, f"{doc.name} links to what is not in the repository: {missing}"


def test_the_contributing_pages_link_to_the_guide_the_templates_and_the_workflows() -> None:
    for lang in ("zh", "en"):
        text = _text(REPO / "docs" / lang / "contributing.md")
        for target in (
            f"{GITHUB}/blob/main/CONTRIBUTING.md",
            f"{GITHUB}/issues/new?template=errata.yml",
            f"{GITHUB}/issues/new?template=chapter.yml",
            f"{GITHUB}/blob/main/.github/pull_request_template.md",
            f"{GITHUB}/blob/main/.github/workflows/ci.yml",
            f"{GITHUB}/blob/main/.github/workflows/deploy.yml",
        ):
            assert target in text, f"docs/{lang}/contributing.md does not link to {target}"


def test_the_repository_address_is_the_one_in_mkdocs_yml() -> None:
    assert f"repo_url: {GITHUB}\n" in (REPO / "mkdocs.yml").read_text(encoding="utf-8")


# --- issue forms ------------------------------------------------------------------------------

INPUTS = {"input", "textarea", "dropdown", "checkboxes"}


def form_problems(name: str, form: dict) -> list[str]:
    found = []
    for key in ("name", "description", "body"):
        if not form.get(key):
            found.append(f"{name}: no top-level {key!r}")
    ids, labels = set(), set()
    for n, element in enumerate(form.get("body") or [], start=1):
        kind, attrs = element.get("type"), element.get("attributes") or {}
        where = f"{name}: body item {n} ({kind})"
        if kind == "markdown":
            if not attrs.get("value"):
                found.append(f"{where}: a markdown element needs attributes.value")
            if "id" in element or "validations" in element:
                found.append(f"{where}: a markdown element takes no id or validations")
            continue
        if kind not in INPUTS:
            found.append(f"{where}: unknown type; use one of {sorted(INPUTS | {'markdown'})}")
            continue
        label = attrs.get("label")
        if not label:
            found.append(f"{where}: no attributes.label")
        elif label in labels:
            found.append(f"{where}: label {label!r} is used twice")
        labels.add(label)
        if "id" in element:
            if not re.fullmatch(r"[A-Za-z0-9_-]+", str(element["id"])):
                found.append(f"{where}: id {element['id']!r} may use only letters, digits, - and _")
            if element["id"] in ids:
                found.append(f"{where}: id {element['id']!r} is used twice")
            ids.add(element["id"])
        if kind in ("dropdown", "checkboxes"):
            options = attrs.get("options") or []
            if not options:
                found.append(f"{where}: no options")
            if kind == "checkboxes" and not all(
                isinstance(o, dict) and o.get("label") for o in options
            ):
                found.append(f"{where}: every checkbox option needs a label")
            if kind == "dropdown" and len(set(map(str, options))) != len(options):
                found.append(f"{where}: dropdown options must be unique")
    if not any(e.get("type") in INPUTS for e in form.get("body") or []):
        found.append(f"{name}: a form needs at least one element that is not markdown")
    return found


def test_the_errata_and_chapter_forms_exist() -> None:
    assert {p.name for p in ISSUE_FORMS} >= {"errata.yml", "chapter.yml", "config.yml"}


@pytest.mark.parametrize(
    "form", [p for p in ISSUE_FORMS if p.name != "config.yml"], ids=lambda p: p.name
)
def test_issue_form_is_well_formed(form: Path) -> None:
    found = form_problems(form.name, yaml.safe_load(form.read_text(encoding="utf-8")))
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda f: f.pop("description"), "no top-level 'description'"),
        (
            lambda f: f["body"].append({"type": "text", "attributes": {"label": "x"}}),
            "unknown type",
        ),
        (lambda f: f["body"][1].update(id=f["body"][2]["id"]), "is used twice"),
        (lambda f: f["body"][1]["attributes"].pop("label"), "no attributes.label"),
        (lambda f: f["body"][0].update(id="intro"), "takes no id or validations"),
    ],
    ids=["no description", "unknown type", "duplicate id", "no label", "markdown with id"],
)
def test_form_check_catches_its_breakage(breakage, message: str) -> None:
    form = yaml.safe_load((REPO / ".github" / "ISSUE_TEMPLATE" / "errata.yml").read_text("utf-8"))
    breakage(form)
    found = form_problems("errata.yml", form)
    assert any(message in p for p in found), found


def test_issue_config_links_somewhere() -> None:
    config = yaml.safe_load((REPO / ".github" / "ISSUE_TEMPLATE" / "config.yml").read_text("utf-8"))
    assert isinstance(config.get("blank_issues_enabled"), bool)
    for link in config.get("contact_links", []):
        assert {"name", "url", "about"} <= set(link), link
        assert link["url"].startswith("https://"), link
