"""Three delays awaited one after another take 3 + 3 + 3 seconds."""

import asyncio

from util import async_timed, delay


@async_timed()
async def main() -> None:
    await delay(3)
    await delay(3)
    await delay(3)


asyncio.run(main())
