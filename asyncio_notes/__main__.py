"""`python -m asyncio_notes path/to/script.py`: the tracing command line (see cli.py)."""

import sys

from asyncio_notes.cli import main

sys.exit(main())
