"""Cancelling a task raises CancelledError inside it at its current await."""

import asyncio

from util import delay


async def main() -> None:
    long_task = asyncio.create_task(delay(10))
    await asyncio.sleep(2)
    long_task.cancel()
    try:
        await long_task
    except asyncio.CancelledError:
        print(f"cancelled: {long_task.cancelled()}")


asyncio.run(main())
#> sleeping for 10 second(s)
#> cancelled: True
