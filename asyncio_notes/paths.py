"""The repository's root and the folders the site build reads and writes (one definition)."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO / "examples"
GENERATED_DIR = REPO / "build" / "generated"
