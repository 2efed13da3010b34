"""What asyncio.run does for us: make a loop, run main on it, close it."""

import asyncio


async def main() -> None:
    await asyncio.sleep(1)
    print("main finished")


loop = asyncio.new_event_loop()
try:
    loop.run_until_complete(main())
    #> main finished
finally:
    loop.close()
print(f"loop closed: {loop.is_closed()}")
#> loop closed: True
