"""Pipes: work an actor starts that reports back to it as messages.

An actor must not create tasks of its own; an async iterator it reads (a
socket) or an awaitable it starts (a request it must not wait for inside a
handler) is run by the kernel instead, and each result arrives in the
actor's mailbox like any other message. Pipes belong to the actor instance:
they are cancelled when it stops or restarts.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncIterator, Awaitable, Callable

    from runtime._cell import ActorCell

__all__ = ["Pipe"]


class Pipe:
    """A kernel task feeding an actor; `cancel` it, or let the actor's stop do it."""

    __slots__ = ("_cell", "_task", "_work")

    def __init__(self, cell: ActorCell, work: Awaitable[None], name: str) -> None:
        self._cell = cell
        self._work = work
        self._task = cell.system.loop.create_task(_run(work), name=f"{cell.path}:{name}")
        cell.add_owned(self)
        self._task.add_done_callback(self._done)

    @property
    def done(self) -> bool:
        return self._task.done()

    def cancel(self) -> None:
        """Stop the work; nothing more is delivered. Idempotent."""
        self._task.cancel()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._cell.discard_owned(self)
        if task.cancelled():
            # Cancelled before its first step (the actor restarted at once), the
            # work never ran: close it, or it is reported as never awaited.
            if inspect.iscoroutine(self._work):
                self._work.close()
            return
        error = task.exception()
        if isinstance(error, Exception):
            self._cell.fail(error, message_type=None)


async def _run(work: Awaitable[None]) -> None:
    await work


async def deliver_result[T](
    cell: ActorCell,
    awaitable: Awaitable[T],
    on_result: Callable[[T], Any],
    on_error: Callable[[Exception], Any] | None,
) -> None:
    """Await ``awaitable`` and send the actor ``on_result(value)`` or ``on_error(error)``.

    Without ``on_error`` an error fails the actor, as if a handler had raised it.
    """
    try:
        value = await awaitable
    except Exception as exc:
        if on_error is None:
            raise
        await cell.ref.send(on_error(exc))
        return
    await cell.ref.send(on_result(value))


async def deliver_items[T](
    cell: ActorCell,
    source: AsyncIterator[T],
    to_message: Callable[[T], Any],
    on_end: Callable[[Exception | None], Any] | None,
    wait_for_room: bool,
) -> None:
    """Send the actor ``to_message(item)`` for each item (skipping None).

    With ``wait_for_room`` a full mailbox pauses the reading; without, the
    item is dropped and counted. When the source ends (or fails, with the
    error) the actor gets ``on_end(error)``; without ``on_end`` an error
    fails the actor.
    """
    error: Exception | None = None
    try:
        async for item in source:
            message = to_message(item)
            if message is None:
                continue
            if wait_for_room:
                await cell.ref.send(message)
            else:
                cell.offer(message)
    except Exception as exc:
        if on_end is None:
            raise
        error = exc
    if on_end is not None:
        await cell.ref.send(on_end(error))
