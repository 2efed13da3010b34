"""shield lets a timeout stop the waiting without cancelling the work."""

import asyncio

from util import delay


async def main() -> None:
    slow = asyncio.create_task(delay(3))
    try:
        await asyncio.wait_for(asyncio.shield(slow), timeout=1)
    except TimeoutError:
        print(f"still running after the timeout: {not slow.done()}")
        result = await slow
        print(f"result: {result}")


asyncio.run(main())
#> sleeping for 3 second(s)
#> still running after the timeout: True
#> finished sleeping for 3 second(s)
#> result: 3
