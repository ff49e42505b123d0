"""`ActorRef`: the only way to reach an actor."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from messages.control import Pause, Restart, Resume, Stop

if TYPE_CHECKING:
    from collections.abc import Callable

    from runtime._cell import ActorCell

__all__ = ["DEFAULT_ASK_TIMEOUT", "ActorRef"]

DEFAULT_ASK_TIMEOUT = 5.0
"""Seconds an `ask` waits for a reply unless told otherwise."""


class ActorRef:
    """A handle to an actor, valid across its restarts; cheap to copy and share.

    A ref to an actor that has stopped stays usable: what is sent to it
    becomes a dead letter (counted and logged), and an ask fails with
    `ActorDead`. All methods must be called from the system's event loop.
    """

    __slots__ = ("_cell", "_enqueue", "path", "tell")

    tell: Callable[[Any], None]
    """Queue a message and return at once; never blocks, never waits for handling.

    Raises:
        MailboxFull: the mailbox uses the ``backpressure`` policy and is full
            (use `send` to wait for room). Under the drop policies a full
            mailbox drops a message instead, and counts it.

    It is the cell's own enqueue, bound here so a tell costs one call
    (`benchmarks/runtime.py`, case ``tell``).
    """

    def __init__(self, cell: ActorCell) -> None:
        self._cell = cell
        # One bound method for both: each is an object the collector tracks.
        self.tell = self._enqueue = cell.enqueue
        self.path = cell.path

    @property
    def name(self) -> str:
        """The last segment of the path."""
        return self._cell.name

    @property
    def alive(self) -> bool:
        """True until the actor has begun to stop for good."""
        return self._cell.alive

    async def send(self, message: Any) -> None:
        """Like `tell`, but waits for room in a full ``backpressure`` mailbox instead of raising.

        Cancelling the wait leaves the message unsent.
        """
        cell = self._cell
        while cell.is_full():
            waiter = cell.wait_for_space()
            try:
                await waiter
            except asyncio.CancelledError:
                # Woken and cancelled before it could take the room: pass the
                # wake-up on, or the next sender waits while there is room.
                if waiter.done() and not waiter.cancelled():
                    cell._wake_senders()
                raise
        self._enqueue(message, None)

    def ask(self, message: Any, timeout: float | None = DEFAULT_ASK_TIMEOUT) -> asyncio.Future[Any]:
        """Send ``message``; await the result for the handler's return value.

        Args:
            message: the message; the actor must have a handler for its type.
            timeout: seconds to wait for the reply (the system clock's), or
                None to wait as long as it takes. Timeouts of a second or more
                are checked every 50 ms, so they may fire up to that late.

        Returns:
            A future of whatever the handler returned.

        Raises:
            AskTimeout: no reply within ``timeout``; the message may still be
                handled later, and its reply is then discarded.
            MailboxFull: raised at once: the mailbox is full under ``backpressure``.
            MessageDropped: a drop policy dropped the message.
            ActorDead: the actor stopped before it handled the message.
            NoHandler: the actor has no handler for the message's type.
            Exception: whatever the handler raised (the actor then fails and
                its supervisor decides what happens to it).

        Cancelling the future does not withdraw the message.
        """
        cell = self._cell
        system = cell.system
        reply: asyncio.Future[Any] = system.loop.create_future()
        self._enqueue(message, reply)
        if timeout is not None and not reply.done():
            system.deadlines.add(reply, timeout, self.path, message)
        return reply

    def stop(self) -> asyncio.Future[None]:
        """Stop the actor for good (it is not restarted); await the result to wait for it.

        The actor finishes the handler in flight, stops its children (last
        started first), runs `on_stop`; past its shutdown timeout it is
        cancelled. Queued messages become dead letters. Idempotent.
        """
        return self._cell.stop(None)

    def restart(self) -> asyncio.Future[None]:
        """Restart the actor with a fresh instance, keeping its mailbox; await to wait for it.

        Raises (from the awaited future):
            ActorDead: the actor has stopped.
        """
        return self._cell.restart()

    def pause(self) -> None:
        """Stop handling queued messages until `resume`; the mailbox keeps filling."""
        self._cell.pause()

    def resume(self) -> None:
        """Handle queued messages again after `pause`."""
        self._cell.resume()

    async def control(self, message: Any, timeout: float | None = DEFAULT_ASK_TIMEOUT) -> Any:
        """Carry out a control message: lifecycle ones on the kernel's lane, others by ask.

        `Pause`, `Resume`, `Restart` and `Stop` take effect ahead of queued
        messages and return None; anything else is asked like `ask`.
        """
        if isinstance(message, Pause):
            self.pause()
        elif isinstance(message, Resume):
            self.resume()
        elif isinstance(message, Restart):
            await self.restart()
        elif isinstance(message, Stop):
            await self.stop()
        else:
            return await self.ask(message, timeout=timeout)
        return None

    def __repr__(self) -> str:
        return f"<ActorRef {self.path} {self._cell.state}>"
