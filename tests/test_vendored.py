"""Each vendored package (Mermaid, Pyodide, the editor) is the recorded version, byte for byte,
and the site's scripts reach it."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import marshal
import re
import traceback
import zipfile
import zipimport
from pathlib import Path

import pytest

from asyncio_notes.devtools import vendor

REPO = vendor.REPO
JAVASCRIPTS = REPO / "overrides" / "assets" / "javascripts"
LOADER = JAVASCRIPTS / "mermaid-loader.mjs"
ENTRY_STUBS = [
    REPO / "docs" / lang / "assets/javascripts/mermaid-entry.mjs" for lang in ("zh", "en")
]
# Static `import ... from "./x.mjs"`, bare `import "./x.mjs"` and dynamic `import("./x.mjs")`.
RELATIVE_IMPORT = re.compile(r"""(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""")


SPECS = list(vendor.PACKAGES.values())
MERMAID = vendor.PACKAGES["mermaid"]
PYODIDE = vendor.PACKAGES["pyodide"]
# PEP 552: a hash-based pyc that is not checked against its source.
UNCHECKED_HASH_PYC = 0b01
# The in-page runner's scripts, and what each must import from the vendored copies.
RUNNER = JAVASCRIPTS / "runner.mjs"
RUNNER_WORKER = JAVASCRIPTS / "runner-worker.mjs"
ON_DEMAND = JAVASCRIPTS / "runner-on-demand.js"


def manifest_of(spec: vendor.Vendored) -> dict:
    return json.loads(spec.manifest.read_text(encoding="utf-8"))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_manifest_records_the_pinned_version(spec: vendor.Vendored) -> None:
    manifest = manifest_of(spec)
    assert manifest["package"] == spec.package
    assert manifest["version"] == spec.version
    assert manifest["entry"] == spec.entry
    if spec.keep is not None:  # an npm tarball; the editor is bundled from a lock instead
        assert manifest["integrity"].startswith("sha512-")
    else:
        assert manifest["bundled"][spec.package] == spec.version


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_file_matches_its_recorded_hash(spec: vendor.Vendored) -> None:
    wrong = [
        name
        for name, digest in manifest_of(spec)["sha256"].items()
        if hashlib.sha256((spec.dir / name).read_bytes()).hexdigest() != digest
    ]
    assert not wrong, f"changed since vendoring (re-run devtools/vendor.py {spec.name}): {wrong}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_no_file_is_missing_or_unrecorded(spec: vendor.Vendored) -> None:
    present = {
        path.relative_to(spec.dir).as_posix() for path in spec.dir.rglob("*") if path.is_file()
    }
    bookkeeping = {spec.manifest.name, ".gitattributes"}
    assert present - bookkeeping == set(manifest_of(spec)["sha256"])


def test_the_code_is_the_recorded_version() -> None:
    entry = (MERMAID.dir / MERMAID.entry).read_text(encoding="utf-8")
    assert f'"{MERMAID.version}"' in entry
    pyodide = vendor.PACKAGES["pyodide"]
    assert f'"{pyodide.version}"' in (pyodide.dir / pyodide.entry).read_text(encoding="utf-8")


def test_the_stdlib_zip_holds_bytecode_for_the_recorded_modules() -> None:
    """Each precompiled module (vendor.json) keeps its .py, followed by its .pyc with the same
    date: unchecked hash-based, so zipimport loads it without reading the source. No other entry
    is bytecode, and the zip differs from the package's own (it is derived)."""
    manifest = manifest_of(PYODIDE)
    record = manifest["precompiled"]
    assert record["count"] == len(record["modules"]) > 0
    assert record["package_sha256"] != manifest["sha256"][record["file"]]
    with zipfile.ZipFile(PYODIDE.dir / record["file"]) as stdlib:
        entries = stdlib.infolist()
        names = [entry.filename for entry in entries]
        pycs = {name: stdlib.read(name) for name in names if name.endswith(".pyc")}
    assert sorted(name.removesuffix("c") for name in pycs) == sorted(record["modules"])
    for module in record["modules"]:
        at = names.index(module)
        assert names[at + 1] == f"{module}c", module
        assert entries[at + 1].date_time == entries[at].date_time, module
        flags = int.from_bytes(pycs[f"{module}c"][4:8], "little")
        assert flags == UNCHECKED_HASH_PYC, module
    magic_numbers = {data[:4] for data in pycs.values()}
    assert len(magic_numbers) == 1 and magic_numbers.pop().endswith(b"\r\n")


def _precompile_tool():
    path = vendor.PRECOMPILE.with_suffix(".py")
    spec = importlib.util.spec_from_file_location("precompile_tool", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_precompiling_keeps_every_entry_and_the_sources_paths(tmp_path: Path) -> None:
    """tools/pyodide/precompile.py on this Python: the same bytes twice; each .pyc right after
    its .py; zipimport then loads the module from the .pyc, and tracebacks show the .py's path
    and lines."""
    tool = _precompile_tool()
    stock = tmp_path / "stock.zip"
    date = (2020, 1, 2, 3, 4, 6)
    with zipfile.ZipFile(stock, "w", zipfile.ZIP_DEFLATED) as zip_file:
        zip_file.writestr(zipfile.ZipInfo("pkg/", date), b"")
        zip_file.writestr("pkg/__init__.py", b"")
        zip_file.writestr(zipfile.ZipInfo("shown.py", date), b"def f():\r\n  1/0\n")
        zip_file.writestr("notes.txt", b"kept")
    out, again = tmp_path / "out.zip", tmp_path / "again.zip"
    tool.rebuild(str(out), ["shown.py", "pkg/__init__.py"], str(stock), str(out))
    tool.rebuild(str(out), ["shown.py", "pkg/__init__.py"], str(stock), str(again))
    assert out.read_bytes() == again.read_bytes()
    with zipfile.ZipFile(out) as zip_file:
        infos = zip_file.infolist()
        assert [i.filename for i in infos] == [
            "pkg/",
            "pkg/__init__.py",
            "pkg/__init__.pyc",
            "shown.py",
            "shown.pyc",
            "notes.txt",
        ]
        assert infos[4].date_time == date
        code = marshal.loads(zip_file.read("shown.pyc")[16:])
    assert code.co_filename == f"{out}/shown.py"
    spec = zipimport.zipimporter(str(out)).find_spec("shown")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.__file__ == f"{out}/shown.pyc"
    with pytest.raises(ZeroDivisionError) as error:
        module.f()
    frame = traceback.extract_tb(error.value.__traceback__)[-1]
    assert (frame.filename, frame.lineno, frame.line) == (f"{out}/shown.py", 2, "1/0")  # the .py
    with pytest.raises(SystemExit, match="not in"):
        tool.rebuild(str(out), ["missing.py"], str(stock), str(tmp_path / "x.zip"))


def test_editor_lock_pins_what_package_json_names() -> None:
    """tools/editor/package.json pins exact versions, and its lock agrees."""
    package = json.loads((vendor.EDITOR_TOOL / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((vendor.EDITOR_TOOL / "package-lock.json").read_text(encoding="utf-8"))
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), name
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_relative_import_in_the_build_resolves(spec: vendor.Vendored) -> None:
    """A chunk left out of the copy would only fail in a reader's browser."""
    missing = []
    for name in manifest_of(spec)["sha256"]:
        if not name.endswith(".mjs"):
            continue
        source = spec.dir / name
        for target in RELATIVE_IMPORT.findall(source.read_text(encoding="utf-8")):
            if not (source.parent / target).resolve().is_file():
                missing.append(f"{name} -> {target}")
    assert not missing


def _urls(script: Path) -> list[Path]:
    """Files a module reaches: relative imports and `new URL(..., import.meta.url)`."""
    text = script.read_text("utf-8")
    found = re.findall(r'new URL\("([^"]+)", import\.meta\.url\)', text)
    return [(script.parent / url).resolve() for url in [*found, *RELATIVE_IMPORT.findall(text)]]


def test_runner_scripts_import_the_vendored_entries() -> None:
    pyodide, editor = vendor.PACKAGES["pyodide"], vendor.PACKAGES["editor"]
    assert (pyodide.dir / pyodide.entry).resolve() in _urls(RUNNER_WORKER)
    assert (editor.dir / editor.entry).resolve() in _urls(RUNNER)


def test_loader_imports_the_vendored_entry() -> None:
    (library,) = re.findall(r'new URL\("([^"]+)", import\.meta\.url\)', LOADER.read_text("utf-8"))
    assert (JAVASCRIPTS / library).resolve() == (MERMAID.dir / MERMAID.entry).resolve()


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
    """No string in the site's own scripts is a URL with a host ("https://…" or "//…")."""
    scripts = [path for path in JAVASCRIPTS.iterdir() if path.suffix in (".js", ".mjs")]
    assert {LOADER, RUNNER, RUNNER_WORKER, ON_DEMAND} <= set(scripts)
    for script in [*scripts, *ENTRY_STUBS]:
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
    assert MERMAID.wanted(member) == kept_as


@pytest.mark.parametrize(
    ("member", "kept_as"),
    [
        ("package/pyodide.asm.wasm", "pyodide.asm.wasm"),
        ("package/python_stdlib.zip", "python_stdlib.zip"),
        ("package/pyodide.mjs", "pyodide.mjs"),
        ("package/pyodide.mjs.map", None),
        ("package/pyodide.js", None),
        ("package/console.html", None),
    ],
)
def test_vendoring_keeps_only_pyodides_core(member: str, kept_as: str | None) -> None:
    assert vendor.PACKAGES["pyodide"].wanted(member) == kept_as


def test_integrity_check_rejects_a_changed_tarball(tmp_path: Path) -> None:
    tarball = tmp_path / "mermaid.tgz"
    tarball.write_bytes(b"original")
    digest = hashlib.sha512(b"original").digest()
    integrity = "sha512-" + base64.b64encode(digest).decode()
    vendor.check_integrity(tarball, integrity)
    tarball.write_bytes(b"tampered")
    with pytest.raises(SystemExit):
        vendor.check_integrity(tarball, integrity)
