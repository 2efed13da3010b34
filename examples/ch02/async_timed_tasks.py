"""The async_timed decorator reports each coroutine's duration, including main's."""

import asyncio

from util import async_timed


@async_timed()
async def delay(delay_seconds: int) -> int:
    print(f"sleeping for {delay_seconds} second(s)")
    await asyncio.sleep(delay_seconds)
    print(f"finished sleeping for {delay_seconds} second(s)")
    return delay_seconds


@async_timed()
async def main() -> None:
    task_one = asyncio.create_task(delay(2))
    task_two = asyncio.create_task(delay(3))
    await task_one
    await task_two


asyncio.run(main())
#> starting main with args () {}
#> starting delay with args (2,) {}
#> sleeping for 2 second(s)
#> starting delay with args (3,) {}
#> sleeping for 3 second(s)
#> finished sleeping for 2 second(s)
#> finished delay in 2.0000 second(s)
#> finished sleeping for 3 second(s)
#> finished delay in 3.0000 second(s)
#> finished main in 3.0000 second(s)
