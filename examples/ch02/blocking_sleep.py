"""time.sleep blocks the event loop: two 'concurrent' tasks take 2 s instead of 1."""

import asyncio
import time

from util import async_timed


@async_timed()
async def blocking_nap() -> None:
    time.sleep(1)  # holds the thread: no other task can run meanwhile


@async_timed()
async def main() -> None:
    await asyncio.gather(blocking_nap(), blocking_nap())


asyncio.run(main())
#> starting main with args () {}
#> starting blocking_nap with args () {}
#> finished blocking_nap in 1.0000 second(s)
#> starting blocking_nap with args () {}
#> finished blocking_nap in 1.0000 second(s)
#> finished main in 2.0000 second(s)
