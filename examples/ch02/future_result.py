"""A future is an empty box for a result; awaiting it waits until someone fills it."""

import asyncio


async def main() -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    print(f"done? {future.done()}")

    # Something else fills the box one second from now.
    loop.call_later(1, future.set_result, 42)

    result = await future
    print(f"done? {future.done()}, result: {result}")


asyncio.run(main())
#> done? False
#> done? True, result: 42
