"""When a child of a TaskGroup fails, the group cancels the others and raises an ExceptionGroup."""

import asyncio

from util import delay


async def fail_after(seconds: float) -> None:
    await asyncio.sleep(seconds)
    raise ValueError(f"failed after {seconds} s")


async def main() -> None:
    try:
        async with asyncio.TaskGroup() as tg:
            slow = tg.create_task(delay(3))
            tg.create_task(fail_after(1))
    except* ValueError as group:
        print(f"main caught {group.exceptions!r}")
    print(f"delay(3) done: {slow.done()}, cancelled: {slow.cancelled()}")
    await asyncio.sleep(3)  # time for whatever still runs to finish


asyncio.run(main())
#> sleeping for 3 second(s)
#> main caught (ValueError('failed after 1 s'),)
#> delay(3) done: True, cancelled: True
