"""Vendor Mermaid's code-split ESM build into the theme: the site loads nothing from other hosts.

Usage (needs Node's `npm` and the npm registry; readers never run this, the files are committed):

    python -m asyncio_notes.devtools.vendor_mermaid            # refresh the pinned version
    python -m asyncio_notes.devtools.vendor_mermaid 11.17.2    # pin another version

It runs the ordinary `npm pack mermaid@VERSION`, checks the tarball against the integrity that npm
reports, copies the ESM entry point, its chunks (no source maps) and the licence into VENDOR_DIR,
and records the version and a SHA-256 per file in VENDOR_DIR/vendor.json, which
tests/test_vendored_mermaid.py checks. Files in Material's custom_dir (overrides/) are copied into
each language's site.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from asyncio_notes.paths import REPO

VENDOR_DIR = REPO / "overrides" / "assets" / "vendor" / "mermaid"
MANIFEST = VENDOR_DIR / "vendor.json"
PACKAGE = "mermaid"
# 12.x needs Node 22; 11.17.2 works on Node 20.
DEFAULT_VERSION = "11.17.2"
ENTRY = "mermaid.esm.min.mjs"
# Git must not convert line endings in the copy: the manifest records its exact bytes.
GITATTRIBUTES = "# Checked byte for byte against vendor.json: keep line endings.\n* -text\n"
CHUNKS = "chunks/mermaid.esm.min/"


def npm_pack(version: str, destination: Path) -> tuple[Path, str]:
    """Download the package tarball with npm; return its path and npm's integrity string."""
    result = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{version}", "--json", "--pack-destination", str(destination)],
        check=True,
        capture_output=True,
        text=True,
    )
    (info,) = json.loads(result.stdout)
    if info["version"] != version:
        raise SystemExit(f"npm returned {PACKAGE}@{info['version']}, expected {version}")
    return destination / info["filename"], info["integrity"]


def check_integrity(tarball: Path, integrity: str) -> None:
    """Compare the tarball with npm's Subresource-Integrity string (sha512-<base64>)."""
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{tarball.name}: integrity mismatch")


def wanted(member: str) -> str | None:
    """Map a tarball member to its path under VENDOR_DIR, or None to skip it."""
    name = member.removeprefix("package/")
    if name == "LICENSE":
        return name
    if name == f"dist/{ENTRY}":
        return ENTRY
    if name.startswith(f"dist/{CHUNKS}") and name.endswith(".mjs"):
        return name.removeprefix("dist/")
    return None


def extract(tarball: Path, target: Path) -> list[str]:
    """Replace target's contents with the wanted files; return their relative paths, sorted."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / ".gitattributes").write_text(GITATTRIBUTES, encoding="utf-8")
    written = []
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            relative = wanted(member.name)
            if relative is None or not member.isfile():
                continue
            source = archive.extractfile(member)
            assert source is not None
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(source.read())
            written.append(relative)
    if ENTRY not in written:
        raise SystemExit(f"{tarball.name} has no dist/{ENTRY}")
    return sorted(written)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(version: str, integrity: str, files: list[str]) -> None:
    manifest = {
        "package": PACKAGE,
        "version": version,
        "integrity": integrity,
        "entry": ENTRY,
        "sha256": {name: sha256(VENDOR_DIR / name) for name in files},
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    version = argv[1] if len(argv) > 1 else DEFAULT_VERSION
    with tempfile.TemporaryDirectory() as work:
        tarball, integrity = npm_pack(version, Path(work))
        check_integrity(tarball, integrity)
        files = extract(tarball, VENDOR_DIR)
    write_manifest(version, integrity, files)
    total = sum((VENDOR_DIR / name).stat().st_size for name in files)
    print(f"{PACKAGE}@{version}: {len(files)} files, {total / 1e6:.2f} MB in {VENDOR_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
