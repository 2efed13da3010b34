"""The vendored Mermaid is the recorded version, byte for byte, and the site's loader reaches it."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from asyncio_notes.devtools import vendor_mermaid as vendor
from asyncio_notes.paths import REPO

JAVASCRIPTS = REPO / "overrides" / "assets" / "javascripts"
LOADER = JAVASCRIPTS / "mermaid-loader.mjs"
ENTRY_STUBS = [
    REPO / "docs" / lang / "assets/javascripts/mermaid-entry.mjs" for lang in ("zh", "en")
]
# Static `import ... from "./x.mjs"`, bare `import "./x.mjs"` and dynamic `import("./x.mjs")`.
RELATIVE_IMPORT = re.compile(r"""(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(vendor.MANIFEST.read_text(encoding="utf-8"))


def test_manifest_records_the_pinned_version(manifest: dict) -> None:
    assert manifest["package"] == "mermaid"
    assert manifest["version"] == vendor.DEFAULT_VERSION
    assert manifest["entry"] == vendor.ENTRY
    assert manifest["integrity"].startswith("sha512-")


def test_every_file_matches_its_recorded_hash(manifest: dict) -> None:
    wrong = [
        name
        for name, digest in manifest["sha256"].items()
        if hashlib.sha256((vendor.VENDOR_DIR / name).read_bytes()).hexdigest() != digest
    ]
    assert not wrong, f"changed since vendoring (re-run devtools/vendor_mermaid.py): {wrong}"


def test_no_file_is_missing_or_unrecorded(manifest: dict) -> None:
    present = {
        path.relative_to(vendor.VENDOR_DIR).as_posix()
        for path in vendor.VENDOR_DIR.rglob("*")
        if path.is_file()
    }
    bookkeeping = {vendor.MANIFEST.name, ".gitattributes"}
    assert present - bookkeeping == set(manifest["sha256"])


def test_the_code_is_the_recorded_version(manifest: dict) -> None:
    entry = (vendor.VENDOR_DIR / vendor.ENTRY).read_text(encoding="utf-8")
    assert f'"{manifest["version"]}"' in entry


def test_every_relative_import_in_the_build_resolves(manifest: dict) -> None:
    """A chunk left out of the copy would only fail in a reader's browser."""
    missing = []
    for name in manifest["sha256"]:
        if not name.endswith(".mjs"):
            continue
        source = vendor.VENDOR_DIR / name
        for target in RELATIVE_IMPORT.findall(source.read_text(encoding="utf-8")):
            if not (source.parent / target).resolve().is_file():
                missing.append(f"{name} -> {target}")
    assert not missing


def test_loader_imports_the_vendored_entry() -> None:
    (library,) = re.findall(r'new URL\("([^"]+)", import\.meta\.url\)', LOADER.read_text("utf-8"))
    assert (JAVASCRIPTS / library).resolve() == (vendor.VENDOR_DIR / vendor.ENTRY).resolve()


def test_entry_stubs_are_identical_and_reexport_the_loader() -> None:
    """mermaid2 only accepts a file inside docs_dir; both languages use the same stub."""
    texts = {stub.read_text(encoding="utf-8") for stub in ENTRY_STUBS}
    assert len(texts) == 1
    (target,) = RELATIVE_IMPORT.findall(texts.pop())
    assert (ENTRY_STUBS[0].parent / target).name == LOADER.name


def test_mermaid2_points_at_the_stub_in_each_docs_dir() -> None:
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    (javascript,) = re.findall(r"(?m)^  mermaid2:\n    javascript: (\S+)", config)
    for stub in ENTRY_STUBS:
        assert stub.as_posix().endswith(javascript)


def test_site_scripts_name_no_other_host() -> None:
    """No string in the loader is a URL with a host ("https://…" or "//…")."""
    for script in [LOADER, *ENTRY_STUBS]:
        assert not re.search(r"""["'`](?:[a-z]+:)?//""", script.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("member", "kept_as"),
    [
        ("package/dist/mermaid.esm.min.mjs", "mermaid.esm.min.mjs"),
        (
            "package/dist/chunks/mermaid.esm.min/chunk-ABC.mjs",
            "chunks/mermaid.esm.min/chunk-ABC.mjs",
        ),
        ("package/dist/chunks/mermaid.esm.min/chunk-ABC.mjs.map", None),
        ("package/dist/mermaid.min.js", None),
        ("package/dist/chunks/mermaid.core/chunk-ABC.mjs", None),
        ("package/LICENSE", "LICENSE"),
    ],
)
def test_vendoring_keeps_only_the_esm_build(member: str, kept_as: str | None) -> None:
    assert vendor.wanted(member) == kept_as


def test_integrity_check_rejects_a_changed_tarball(tmp_path: Path) -> None:
    tarball = tmp_path / "mermaid.tgz"
    tarball.write_bytes(b"original")
    digest = hashlib.sha512(b"original").digest()
    integrity = "sha512-" + base64.b64encode(digest).decode()
    vendor.check_integrity(tarball, integrity)
    tarball.write_bytes(b"tampered")
    with pytest.raises(SystemExit):
        vendor.check_integrity(tarball, integrity)
