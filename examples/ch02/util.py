"""Helpers shared by the chapter 02 examples: `delay` and `async_timed`."""

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any


# --8<-- [start:delay]
async def delay(delay_seconds: float) -> float:
    """Sleep without blocking the event loop, saying when we start and finish."""
    print(f"sleeping for {delay_seconds} second(s)")
    await asyncio.sleep(delay_seconds)
    print(f"finished sleeping for {delay_seconds} second(s)")
    return delay_seconds
# --8<-- [end:delay]


# --8<-- [start:async_timed]
def async_timed() -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Decorate a coroutine function so that each call reports how long it took."""

    def wrapper(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(func)
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
# --8<-- [end:async_timed]
