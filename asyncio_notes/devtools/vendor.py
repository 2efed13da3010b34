"""Vendor the site's third-party browser code from npm into the theme, so that the site loads
nothing from other hosts: Mermaid (timelines), Pyodide (Python for the in-page runner) and the
code editor (CodeMirror 6, bundled once with esbuild).

Usage (needs Node's `npm` and the npm registry; readers never run this, the files are committed):

    python -m asyncio_notes.devtools.vendor mermaid            # refresh the pinned version
    python -m asyncio_notes.devtools.vendor mermaid 11.17.2    # pin another version
    python -m asyncio_notes.devtools.vendor pyodide [VERSION]
    python -m asyncio_notes.devtools.vendor editor             # versions: tools/editor/package.json

For Mermaid and Pyodide it runs the ordinary `npm pack PACKAGE@VERSION`, checks the tarball against
the integrity that npm reports and copies the files the site needs (no source maps); the editor
is `npm ci --prefix tools/editor` (its lock pins every package) and one esbuild bundle of
tools/editor/editor.mjs. Each VENDOR_ROOT/<name>/vendor.json records the version and a SHA-256 per
file, which tests/test_vendored.py checks. Files in Material's custom_dir (overrides/) are copied
into each language's site.

Pyodide's standard library ships as sources only, so every import compiles them: most of the
runner's start-up. After extracting, tools/pyodide/precompile.mjs (the vendored Pyodide itself, in
Node) runs the runner's first work (import asyncio_notes.browser, every example through
run_example) and adds a .pyc beside each standard-library module it loaded; the copy's
python_stdlib.zip is therefore derived from the package's, and vendor.json says so under
"precompiled" (the package's own digest, the modules). Re-vendor when the runner's imports change;
tests/test_runner_browser.py says when they have.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from asyncio_notes.paths import REPO
from asyncio_notes.sitebuild.catalog import example_files, relative
from asyncio_notes.sitebuild.runner_bundle import bundle

VENDOR_ROOT = REPO / "overrides" / "assets" / "vendor"
EDITOR_TOOL = REPO / "tools" / "editor"
PRECOMPILE = REPO / "tools" / "pyodide" / "precompile.mjs"
STDLIB_ZIP = "python_stdlib.zip"
# Git must not convert line endings in the copy: the manifest records its exact bytes.
GITATTRIBUTES = "# Checked byte for byte against vendor.json: keep line endings.\n* -text\n"


def _mermaid_file(name: str) -> str | None:
    if name == "LICENSE":
        return name
    if name == "dist/mermaid.esm.min.mjs":
        return "mermaid.esm.min.mjs"
    if name.startswith("dist/chunks/mermaid.esm.min/") and name.endswith(".mjs"):
        return name.removeprefix("dist/")
    return None


# Pyodide's core: the loader, the interpreter and its standard library; no packages are loaded.
# The package ships no licence file: package.json names it (MPL-2.0).
_PYODIDE_FILES = {
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    STDLIB_ZIP,
    "pyodide-lock.json",
    "package.json",
}


def _pyodide_file(name: str) -> str | None:
    return name if name in _PYODIDE_FILES else None


@dataclass(frozen=True)
class Vendored:
    name: str  # folder under VENDOR_ROOT
    package: str  # npm package
    version: str  # pinned
    entry: str  # what the site imports
    keep: Callable[[str], str | None] | None  # tarball path (without package/) -> copy's path
    # Run on the extracted copy; returns what the manifest adds about it.
    derive: Callable[[Vendored], dict[str, object]] | None = None

    @property
    def dir(self) -> Path:
        return VENDOR_ROOT / self.name

    @property
    def manifest(self) -> Path:
        return self.dir / "vendor.json"

    def wanted(self, member: str) -> str | None:
        """Map a tarball member to its path in the copy, or None to skip it."""
        assert self.keep is not None
        return self.keep(member.removeprefix("package/"))


def _editor_version() -> str:
    return json.loads((EDITOR_TOOL / "package.json").read_text("utf-8"))["dependencies"][
        "codemirror"
    ]


def precompile_stdlib(spec: Vendored) -> dict[str, object]:
    """Add bytecode for the runner's standard-library modules to the copy's stdlib zip
    (tools/pyodide/precompile.mjs); return the manifest's "precompiled" record."""
    stdlib = spec.dir / STDLIB_ZIP
    package_digest = sha256(stdlib)
    work = bundle()
    work["run"] = [relative(path) for path in example_files()]
    with tempfile.TemporaryDirectory() as temporary:
        given, derived = Path(temporary) / "bundle.json", Path(temporary) / STDLIB_ZIP
        given.write_text(json.dumps(work), encoding="utf-8")
        result = subprocess.run(
            ["node", str(PRECOMPILE), str(spec.dir), str(given), str(derived)],
            check=True,
            stdout=subprocess.PIPE,  # its summary; Node's messages go to stderr
            text=True,
        )
        summary = json.loads(result.stdout.splitlines()[-1])
        shutil.move(derived, stdlib)
    return {
        "precompiled": {
            "file": STDLIB_ZIP,
            "package_sha256": package_digest,  # the zip as npm ships it; the copy is derived
            "by": PRECOMPILE.relative_to(REPO).as_posix(),
            "archive": summary["archive"],  # where Pyodide mounts it
            "examples_run": summary["runs"],
            "count": len(summary["modules"]),
            "modules": summary["modules"],  # each .py has its .pyc right after it
        }
    }


PACKAGES = {
    # 12.x needs Node 22; 11.17.2 works on Node 20.
    "mermaid": Vendored("mermaid", "mermaid", "11.17.2", "mermaid.esm.min.mjs", _mermaid_file),
    # Python 3.14 (Pyodide numbers its releases after CPython's since 0.29).
    "pyodide": Vendored(
        "pyodide", "pyodide", "314.0.8", "pyodide.mjs", _pyodide_file, precompile_stdlib
    ),
    "editor": Vendored("editor", "codemirror", _editor_version(), "editor.min.mjs", None),
}


def npm_pack(package: str, version: str, destination: Path) -> tuple[Path, str]:
    """Download the package tarball with npm; return its path and npm's integrity string."""
    result = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", str(destination)],
        check=True,
        capture_output=True,
        text=True,
    )
    (info,) = json.loads(result.stdout)
    if info["version"] != version:
        raise SystemExit(f"npm returned {package}@{info['version']}, expected {version}")
    return destination / info["filename"], info["integrity"]


def check_integrity(tarball: Path, integrity: str) -> None:
    """Compare the tarball with npm's Subresource-Integrity string (sha512-<base64>)."""
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{tarball.name}: integrity mismatch")


def _fresh(target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / ".gitattributes").write_text(GITATTRIBUTES, encoding="utf-8")


def extract(spec: Vendored, tarball: Path) -> list[str]:
    """Replace the copy's contents with the wanted files; return their relative paths, sorted."""
    _fresh(spec.dir)
    written = []
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            relative = spec.wanted(member.name)
            if relative is None or not member.isfile():
                continue
            source = archive.extractfile(member)
            assert source is not None
            destination = spec.dir / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(source.read())
            written.append(relative)
    if spec.entry not in written:
        raise SystemExit(f"{tarball.name} has no {spec.entry}")
    return sorted(written)


def bundle_editor(spec: Vendored) -> tuple[list[str], dict[str, str]]:
    """npm ci the pinned editor packages, bundle tools/editor/editor.mjs, gather the licences;
    return the files written and the version of every bundled package."""
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EDITOR_TOOL, check=True)
    _fresh(spec.dir)
    esbuild = EDITOR_TOOL / "node_modules" / ".bin" / "esbuild"
    subprocess.run(
        [
            str(esbuild),
            "editor.mjs",
            "--bundle",
            "--format=esm",
            "--minify",
            "--legal-comments=none",
            f"--outfile={spec.dir / spec.entry}",
        ],
        cwd=EDITOR_TOOL,
        check=True,
    )
    lock = json.loads((EDITOR_TOOL / "package-lock.json").read_text("utf-8"))
    versions = {
        path.removeprefix("node_modules/"): info["version"]
        for path, info in sorted(lock["packages"].items())
        if path.startswith("node_modules/") and not info.get("dev") and "esbuild" not in path
    }
    licences = []
    for name in versions:
        licence = EDITOR_TOOL / "node_modules" / name / "LICENSE"
        if licence.is_file():
            licences.append(f"{name}@{versions[name]}\n\n{licence.read_text('utf-8').strip()}\n")
    (spec.dir / "LICENSE").write_text("\n\n".join(licences), encoding="utf-8")
    return sorted([spec.entry, "LICENSE"]), versions


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(
    spec: Vendored, integrity: str | None, files: list[str], **extra: object
) -> None:
    manifest = {
        "package": spec.package,
        "version": spec.version,
        "integrity": integrity,
        "entry": spec.entry,
        "sha256": {name: sha256(spec.dir / name) for name in files},
        **extra,
    }
    spec.manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in PACKAGES:
        raise SystemExit(f"usage: vendor {{{','.join(PACKAGES)}}} [VERSION]")
    spec = PACKAGES[argv[1]]
    if spec.keep is None:
        files, versions = bundle_editor(spec)
        write_manifest(spec, None, files, bundled=versions)
    else:
        if len(argv) > 2:
            spec = dataclasses.replace(spec, version=argv[2])
        with tempfile.TemporaryDirectory() as work:
            tarball, integrity = npm_pack(spec.package, spec.version, Path(work))
            check_integrity(tarball, integrity)
            files = extract(spec, tarball)
        derived = spec.derive(spec) if spec.derive else {}
        write_manifest(spec, integrity, files, **derived)
    total = sum((spec.dir / name).stat().st_size for name in files)
    print(f"{spec.package}@{spec.version}: {len(files)} files, {total / 1e6:.2f} MB in {spec.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
