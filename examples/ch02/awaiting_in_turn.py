"""Three delays awaited one after another take 3 + 3 + 3 seconds."""

import asyncio

from util import async_timed, delay


@async_timed()
async def main() -> None:
    await delay(3)
    await delay(3)
    await delay(3)


asyncio.run(main())
#> starting main with args () {}
#> sleeping for 3 second(s)
#> finished sleeping for 3 second(s)
#> sleeping for 3 second(s)
#> finished sleeping for 3 second(s)
#> sleeping for 3 second(s)
#> finished sleeping for 3 second(s)
#> finished main in 9.0000 second(s)
