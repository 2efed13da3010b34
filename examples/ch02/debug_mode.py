"""Debug mode reports a coroutine that was never awaited and a step that blocked the loop."""

import asyncio
import time


async def add_one(number: int) -> int:
    return number + 1


async def main() -> None:
    add_one(1)  # forgot the await: the coroutine never runs
    time.sleep(0.2)  # blocks the whole event loop for 200 ms
    print("main finished")


asyncio.run(main(), debug=True)
#> main finished
#! examples/ch02/debug_mode.py:12: RuntimeWarning: coroutine 'add_one' was never awaited
#! Coroutine created at (most recent call last)
#!   File "examples/ch02/debug_mode.py", line 17, in <module>
#!     asyncio.run(main(), debug=True)
#!   ... frames in the standard library (<stdlib>/asyncio) ...
#!   File "examples/ch02/debug_mode.py", line 12, in main
#!     add_one(1)  # forgot the await: the coroutine never runs
#!   add_one(1)  # forgot the await: the coroutine never runs
#! RuntimeWarning: Enable tracemalloc to get the object allocation traceback
#! Executing <Task finished name='Task-1' coro=<main() done, defined at examples/ch02/debug_mode.py:11> result=None created at <stdlib>/asyncio/runners.py> took 0.200 seconds
