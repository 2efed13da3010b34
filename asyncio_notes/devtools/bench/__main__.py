"""`python -m asyncio_notes.devtools.bench [SECTION ...]`."""

import sys

from asyncio_notes.devtools.bench import main

sys.exit(main())
