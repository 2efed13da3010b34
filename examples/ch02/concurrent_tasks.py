"""Three tasks sleep at the same time, so main finishes in about 3 seconds, not 9."""

import asyncio

from util import async_timed, delay


@async_timed()
async def main() -> None:
    sleep_for_three = asyncio.create_task(delay(3))
    sleep_again = asyncio.create_task(delay(3))
    sleep_once_more = asyncio.create_task(delay(3))

    await sleep_for_three
    await sleep_again
    await sleep_once_more


asyncio.run(main())
#> starting main with args () {}
#> sleeping for 3 second(s)
#> sleeping for 3 second(s)
#> sleeping for 3 second(s)
#> finished sleeping for 3 second(s)
#> finished sleeping for 3 second(s)
#> finished sleeping for 3 second(s)
#> finished main in 3.0000 second(s)
