"""Run a coroutine inline until it first suspends; only then give it a task.

Most async handlers finish without awaiting anything that is not ready. Driving
them with ``coro.send(None)`` on the spot, as Python 3.12's eager tasks do,
saves creating and scheduling a task per message (guarded by
`benchmarks/runtime.py`, case ``ask``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["Resumed", "eager"]


class Resumed(Coroutine[Any, Any, Any]):
    """A coroutine that was already stepped once and suspended on ``yielded``.

    Handed to `asyncio.Task`, whose first step receives ``yielded`` back (the
    future the coroutine waits on, its blocking flag still set, so the task
    waits on it), and whose later steps go to the coroutine itself.
    """

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self._coro = coro
        self._first: tuple[Any] | None = (yielded,)

    def send(self, value: Any) -> Any:
        first = self._first
        if first is not None:
            self._first = None
            return first[0]
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._first = None
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)  # pragma: no cover - legacy signature

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        return self

    def __iter__(self) -> Resumed:
        return self

    def __next__(self) -> Any:
        return self.send(None)


def eager[T](coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """Start ``coro`` now; a done future if it finished without suspending, else its task.

    Exceptions, `asyncio.CancelledError` included, end up in the returned
    future exactly as a task would hold them.
    """
    loop = asyncio.get_running_loop()
    try:
        yielded = coro.send(None)
    except StopIteration as done:
        future: asyncio.Future[T] = loop.create_future()
        future.set_result(done.value)
        return future
    except asyncio.CancelledError:
        future = loop.create_future()
        future.cancel()
        return future
    except Exception as exc:
        future = loop.create_future()
        future.set_exception(exc)
        return future
    return loop.create_task(Resumed(coro, yielded))
