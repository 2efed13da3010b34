"""wait_for gives up after a timeout and cancels the task it was waiting on."""

import asyncio

from util import delay


async def main() -> None:
    slow = asyncio.create_task(delay(2))
    try:
        await asyncio.wait_for(slow, timeout=1)
    except TimeoutError:
        print(f"timed out; task cancelled: {slow.cancelled()}")


asyncio.run(main())
#> sleeping for 2 second(s)
#> timed out; task cancelled: True
