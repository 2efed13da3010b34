"""notebook_code.py: a script's asyncio.run(X) becomes a cell's `await X`; code that needs a loop
of its own is left as it is, with the reason."""

from __future__ import annotations

import ast

import pytest

from asyncio_notes.sitebuild.notebook_code import notebook_code

# -- asyncio.run(X) -> await X ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import asyncio\nasyncio.run(main())\n", "import asyncio\nawait main()\n"),
        ("import asyncio as aio\naio.run(main())\n", "import asyncio as aio\nawait main()\n"),
        ("from asyncio import run\nrun(main())\n", "from asyncio import run\nawait main()\n"),
        (
            "import asyncio\nif __name__ == '__main__':\n    asyncio.run(main())  # go\n",
            "import asyncio\nif __name__ == '__main__':\n    await main()  # go\n",
        ),
        (
            "import asyncio\nresult = asyncio.run(main(1, x=2))\n",
            "import asyncio\nresult = await main(1, x=2)\n",
        ),
        (
            "import asyncio\nprint(asyncio.run(main()).bit_length())\n",
            "import asyncio\nprint((await main()).bit_length())\n",
        ),
        (
            "import asyncio\nasyncio.run(a() if fast else b())\n",
            "import asyncio\nawait (a() if fast else b())\n",
        ),
        (  # a multi-line call; comments and strings mentioning asyncio.run stay as they are
            "import asyncio\n# asyncio.run(main()) below\nasyncio.run(\n    main(),\n)\n"
            'print("asyncio.run(x)")\n',
            'import asyncio\n# asyncio.run(main()) below\nawait main()\nprint("asyncio.run(x)")\n',
        ),
        (  # ast columns count UTF-8 bytes: non-ASCII text earlier on the line
            'import asyncio\nprint("协程"); asyncio.run(main())\n',
            'import asyncio\nprint("协程"); await main()\n',
        ),
        (  # another module's run() and a method named run are not asyncio.run
            "import subprocess\nsubprocess.run(['ls'])\nrunner.run(main())\n",
            "import subprocess\nsubprocess.run(['ls'])\nrunner.run(main())\n",
        ),
        (  # two calls, both rewritten
            "import asyncio\nasyncio.run(a())\nasyncio.run(b())\n",
            "import asyncio\nawait a()\nawait b()\n",
        ),
    ],
)
def test_asyncio_run_becomes_await(source: str, expected: str) -> None:
    cell = notebook_code(source)
    assert cell.runnable
    assert cell.code == expected
    compile(cell.code, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize(
    ("source", "reason", "details"),
    [
        (
            "import asyncio\nloop = asyncio.new_event_loop()\nloop.run_until_complete(main())\n",
            "reason_own_loop",
            ("new_event_loop", "run_until_complete"),
        ),
        ("import asyncio\nwith asyncio.Runner() as r:\n    r.run(main())\n", "reason_runner", ()),
        (
            "import asyncio\nimport uvloop\n"
            "asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())\nasyncio.run(main())\n",
            "reason_own_loop",
            ("set_event_loop_policy",),
        ),
        ("import asyncio\nasyncio.run(main(), debug=True)\n", "reason_run_args", ("debug=True",)),
        (
            "import asyncio\nasyncio.run(main(), loop_factory=f)\n",
            "reason_run_args",
            ("loop_factory=f",),
        ),
        ("import asyncio\ndef go():\n    asyncio.run(main())\ngo()\n", "reason_nested_run", ()),
        ("from asyncio import run\nstart = run\nstart(main())\n", "reason_nested_run", ()),
    ],
)
def test_code_that_needs_its_own_loop_is_not_rewritten(
    source: str, reason: str, details: tuple[str, ...]
) -> None:
    cell = notebook_code(source)
    assert not cell.runnable
    assert (cell.reason, cell.details) == (reason, details)
    assert cell.code == source
