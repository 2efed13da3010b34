"""Awaiting one coroutine after another: nothing overlaps, so nothing is faster."""

import asyncio

from util import delay


async def add_one(number: int) -> int:
    return number + 1


async def hello_world_message() -> str:
    await delay(1)
    return "Hello World!"


async def main() -> None:
    message = await hello_world_message()
    one_plus_one = await add_one(1)
    print(one_plus_one)
    print(message)


asyncio.run(main())
#> sleeping for 1 second(s)
#> finished sleeping for 1 second(s)
#> 2
#> Hello World!
