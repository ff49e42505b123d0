"""Start a coroutine eagerly: it runs at once, and costs a scheduled step only if it suspends.

Most async handlers finish without awaiting anything that is not ready.
Python 3.12's eager tasks run such a coroutine to completion inside the
`asyncio.Task` constructor, without a trip through the loop. The task must
exist from the first step: `asyncio.timeout`, `wait_for` and aiohttp ask
for the current task, so driving the coroutine by hand (``coro.send``),
though half the cost, breaks them (`benchmarks/runtime.py`, case ``ask``,
measures what is left).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Coroutine

__all__ = ["eager"]


def eager[T](coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Start ``coro`` now as a task; it is done on return if it never suspended."""
    return asyncio.Task(coro, loop=asyncio.get_running_loop(), eager_start=True)
