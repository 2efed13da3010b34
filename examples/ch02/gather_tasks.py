"""gather runs awaitables as tasks and returns their results in argument order."""

import asyncio

from util import delay


async def fail_after(seconds: float) -> None:
    await asyncio.sleep(seconds)
    raise ValueError(f"failed after {seconds} s")


async def main() -> None:
    results = await asyncio.gather(delay(2), delay(1))
    print(f"results: {results}")

    results = await asyncio.gather(delay(1), fail_after(1), return_exceptions=True)
    print(f"with return_exceptions=True: {results}")


asyncio.run(main())
#> sleeping for 2 second(s)
#> sleeping for 1 second(s)
#> finished sleeping for 1 second(s)
#> finished sleeping for 2 second(s)
#> results: [2, 1]
#> sleeping for 1 second(s)
#> finished sleeping for 1 second(s)
#> with return_exceptions=True: [1, ValueError('failed after 1 s')]
