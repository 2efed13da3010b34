"""functools.wraps does not change what async_timed prints; it renames the wrapper."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from util import async_timed

Decorator = Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]


def timed_without_wraps() -> Decorator:
    """async_timed without its @functools.wraps line."""

    def wrapper(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            print(f"starting {func.__name__} with args {args} {kwargs}")
            start = time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                total = time.perf_counter() - start
                print(f"finished {func.__name__} in {total:.4f} second(s)")

        return wrapped

    return wrapper


@async_timed()
async def with_wraps() -> None:
    """Nap for a second."""
    await asyncio.sleep(1)


@timed_without_wraps()
async def without_wraps() -> None:
    """Nap for a second."""
    await asyncio.sleep(1)


async def main() -> None:
    for func in (with_wraps, without_wraps):
        print(f"{func.__name__}: {func.__qualname__}, doc {func.__doc__!r}")
    await asyncio.gather(with_wraps(), without_wraps())


asyncio.run(main())
#> with_wraps: with_wraps, doc 'Nap for a second.'
#> wrapped: timed_without_wraps.<locals>.wrapper.<locals>.wrapped, doc None
#> starting with_wraps with args () {}
#> starting without_wraps with args () {}
#> finished with_wraps in 1.0000 second(s)
#> finished without_wraps in 1.0000 second(s)
