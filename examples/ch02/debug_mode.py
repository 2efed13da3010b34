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
