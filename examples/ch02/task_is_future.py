"""A task is a future that drives a coroutine and stores what it returns."""

import asyncio


async def add_one(number: int) -> int:
    await asyncio.sleep(1)
    return number + 1


async def main() -> None:
    task = asyncio.create_task(add_one(41))
    print(f"is a Future: {isinstance(task, asyncio.Future)}")
    print(f"done before await: {task.done()}")
    result = await task
    print(f"done after await: {task.done()}, result: {task.result()}")
    print(f"same as result: {result == task.result()}")


asyncio.run(main())
#> is a Future: True
#> done before await: False
#> done after await: True, result: 42
#> same as result: True
