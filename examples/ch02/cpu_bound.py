"""A long loop never awaits, so a task that is due keeps waiting until it ends."""

import asyncio


async def ticker() -> None:
    await asyncio.sleep(0.001)
    print("tick (due after 1 ms)")


def count_up(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


async def main() -> None:
    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # let ticker start its sleep
    print("counting...")
    total = count_up(50_000)
    print(f"counted to {total}")
    await tick


asyncio.run(main())
#> counting...
#> counted to 1249975000
#> tick (due after 1 ms)
