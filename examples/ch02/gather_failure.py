"""When a child of gather fails, main gets its exception at once; the others keep running."""

import asyncio

from util import delay


async def fail_after(seconds: float) -> None:
    await asyncio.sleep(seconds)
    raise ValueError(f"failed after {seconds} s")


async def main() -> None:
    slow = asyncio.create_task(delay(3))
    try:
        await asyncio.gather(slow, fail_after(1))
    except ValueError as error:
        print(f"main caught {error!r}")
    print(f"delay(3) done: {slow.done()}, cancelled: {slow.cancelled()}")
    await asyncio.sleep(3)  # time for whatever still runs to finish


asyncio.run(main())
#> sleeping for 3 second(s)
#> main caught ValueError('failed after 1 s')
#> delay(3) done: False, cancelled: False
#> finished sleeping for 3 second(s)
