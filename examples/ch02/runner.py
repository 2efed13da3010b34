"""asyncio.Runner (Python 3.11+) keeps one loop open across several calls."""

import asyncio


async def add_one(number: int) -> int:
    await asyncio.sleep(1)
    return number + 1


with asyncio.Runner() as runner:
    print(runner.run(add_one(1)))
    #> 2
    print(runner.run(add_one(2)))
    #> 3
    loop = runner.get_loop()
print(f"loop closed: {loop.is_closed()}")
#> loop closed: True
