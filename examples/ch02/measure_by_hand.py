"""Timing a coroutine by hand, the way the notes start out."""

import asyncio
import time


async def main() -> None:
    start = time.time()
    await asyncio.sleep(1)
    end = time.time()
    print(f"Sleeping took {end - start:.4f} seconds")


asyncio.run(main())
#> Sleeping took 1.0000 seconds
