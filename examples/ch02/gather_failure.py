"""When a child of gather fails, main gets its exception at once; the others keep running."""

import asyncio

from util import delay


async def fail_after(seconds: float) -> None:
    await asyncio.sleep(seconds)
    raise ValueError(f"failed after {seconds} s")


async def main() -> None:
    try:
        await asyncio.gather(delay(3), fail_after(1))
    except ValueError as error:
        print(f"main caught {error!r}")
    print(f"tasks still running besides main: {len(asyncio.all_tasks()) - 1}")
    await asyncio.sleep(3)  # time for whatever still runs to finish


asyncio.run(main())
#> sleeping for 3 second(s)
#> main caught ValueError('failed after 1 s')
#> tasks still running besides main: 1
#> finished sleeping for 3 second(s)
