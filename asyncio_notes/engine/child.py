"""The child side of a trace: `python .../engine/child.py ARGS` (or a fork of the pool's server).

It runs one script under the instrumentation and writes the trace to a JSON file for the parent
(parent.py). A faulthandler dump after `timeout` real seconds says where a stuck script was.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
from pathlib import Path

from asyncio_notes.engine.instrument import PACKAGE_ROOT
from asyncio_notes.engine.script import run_traced, trace_result


def child_main(argv: list[str]) -> None:
    """Trace one script; argv as parent.trace_script builds it."""
    script, display, result_file, clock, time_limit, timeout, dump_file = argv
    path = Path(script)
    with open(dump_file, "w", encoding="utf-8") as dump:
        faulthandler.dump_traceback_later(float(timeout), exit=True, file=dump)
        sys.argv = [display]
        # As `python script.py`: its directory first (not the engine's), and not this package's.
        sys.path[:] = [str(path.parent), *(p for p in sys.path[1:] if p != PACKAGE_ROOT)]
        trace, error = run_traced(path, real=clock == "real", time_limit=float(time_limit))
        faulthandler.cancel_dump_traceback_later()
    if not Path(dump_file).stat().st_size:
        os.unlink(dump_file)
    sys.stdout.flush()
    sys.stderr.flush()
    result = trace_result(display, clock, trace, error)
    Path(result_file).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    child_main(sys.argv[1:])
