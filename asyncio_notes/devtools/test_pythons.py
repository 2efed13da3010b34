"""Run the test suite on every supported Python found on this machine, each in its own venv.

For each version in VERSIONS this looks for `python3.X` on PATH, then under pyenv
(`pyenv root`/versions/3.X.*/bin), creates `.venv-3.X`, installs requirements.txt into it (again
only when requirements.txt changes), and runs pytest there. A version that is not found is skipped
with a note. Used by `make test-pythons`.

Usage: python -m asyncio_notes.devtools.test_pythons [pytest arguments]   (default: the whole suite)
       python -m asyncio_notes.devtools.test_pythons tests/test_examples.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from asyncio_notes.paths import REPO

REQUIREMENTS = REPO / "requirements.txt"
# Every Python the project supports; the CI matrix (.github/workflows/ci.yml) lists the same.
VERSIONS = ("3.11", "3.12", "3.13", "3.14", "3.15")


def version_of(python: str | Path) -> str | None:
    """'3.X' if `python` runs (a pyenv shim for a version not selected does not), else None."""
    try:
        proc = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        proc = subprocess.run([pyenv, "root"], capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip():
            return Path(proc.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def candidates(version: str) -> list[Path]:
    """Where python`version` may be: PATH first, then pyenv's installs, newest patch first."""
    found = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(Path(on_path))
    root = pyenv_root()
    if root and (root / "versions").is_dir():
        plain = re.compile(rf"^{re.escape(version)}\.(\d+)$")  # not 3.13.0t, not 3.1 for 3.11
        installs = [
            (int(m.group(1)), d)
            for d in (root / "versions").iterdir()
            if (m := plain.match(d.name))
        ]
        for _, d in sorted(installs, reverse=True):
            found.append(d / "bin" / f"python{version}")
    return found


def find_python(version: str) -> Path | None:
    for python in candidates(version):
        if python.exists() and version_of(python) == version:
            return python
    return None


def ensure_venv(version: str, python: Path) -> Path:
    """.venv-3.X with requirements.txt installed; return its interpreter."""
    venv = REPO / f".venv-{version}"
    venv_python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.exists() and stamp.stat().st_mtime >= REQUIREMENTS.stat().st_mtime:
        return venv_python
    print(f"== Python {version}: creating {venv.name} and installing requirements.txt", flush=True)
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    (venv / ".gitignore").write_text("*\n")  # keep it out of git without touching .gitignore
    subprocess.run(
        [
            str(venv_python),
            "-m",
            "pip",
            "--disable-pip-version-check",
            "install",
            "--quiet",
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
    )
    stamp.touch()
    return venv_python


def main(pytest_args: list[str]) -> int:
    results: dict[str, str] = {}
    for version in VERSIONS:
        python = find_python(version)
        if python is None:
            print(
                f"== Python {version}: not found on PATH or under pyenv; skipped "
                f"(install it, e.g. `pyenv install {version}`, to test it)",
                flush=True,
            )
            results[version] = "skipped (not found)"
            continue
        try:
            venv_python = ensure_venv(version, python)
        except subprocess.CalledProcessError as exc:
            results[version] = f"FAILED to set up .venv-{version} ({exc})"
            continue
        print(f"== Python {version} ({python}): pytest {' '.join(pytest_args)}", flush=True)
        proc = subprocess.run([str(venv_python), "-m", "pytest", *pytest_args], cwd=REPO)
        results[version] = "passed" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
    print("\n== Summary")
    for version, result in results.items():
        print(f"   Python {version}: {result}")
    ran = [r for r in results.values() if not r.startswith("skipped")]
    if not ran:
        print("No supported Python was found.", file=sys.stderr)
        return 1
    return 0 if all(r == "passed" for r in ran) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
