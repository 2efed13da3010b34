"""asyncio.timeout puts one deadline on a whole block, inside the current task."""

import asyncio

from util import delay


async def main() -> None:
    try:
        async with asyncio.timeout(2.5) as deadline:
            await delay(1)
            await delay(2)  # the block has 1.5 s left: cut off at 2.5 s
    except TimeoutError:
        print(f"the block timed out; expired: {deadline.expired()}")

    async with asyncio.timeout(2) as deadline:
        await delay(1)
    print(f"in time; expired: {deadline.expired()}")


asyncio.run(main())
#> sleeping for 1 second(s)
#> finished sleeping for 1 second(s)
#> sleeping for 2 second(s)
#> the block timed out; expired: True
#> sleeping for 1 second(s)
#> finished sleeping for 1 second(s)
#> in time; expired: False
