"""Deferred replies: answer an ask later, without holding the mailbox until then.

A handler that can only answer once something else has happened (a write
committed, a node replied) returns a `Deferred` and resolves it when it
knows, typically from a later message such as a pipe's result. Meanwhile the
actor takes its next messages: unlike an ``await`` in the handler, which
keeps every other message waiting. Erlang's ``gen_server`` calls this
``{noreply, State}`` then ``gen_server:reply/2``.

A deferred the instance has not resolved when it stops or restarts fails its
asker with `ActorDead`: the next instance knows nothing of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime._exceptions import ActorDead

if TYPE_CHECKING:
    import asyncio

    from runtime._cell import ActorCell

__all__ = ["Deferred"]


class Deferred[T]:
    """A reply to come: return it from a handler, then `resolve` or `reject` it once.

    Returned to a tell, it is ignored; resolved before it was returned, the
    asker gets the answer at once. Only the first resolve or reject counts.
    """

    __slots__ = ("_cell", "_error", "_reply", "_settled", "_value")

    def __init__(self) -> None:
        self._reply: asyncio.Future[Any] | None = None
        self._cell: ActorCell | None = None
        self._settled = False
        self._value: T | None = None
        self._error: Exception | None = None

    @property
    def settled(self) -> bool:
        """Whether `resolve` or `reject` has been called (or the instance stopped)."""
        return self._settled

    def resolve(self, value: T) -> None:
        """Answer the asker with ``value``."""
        if self._settled:
            return
        self._settled, self._value = True, value
        self._deliver()

    def reject(self, error: Exception) -> None:
        """Answer the asker with ``error`` raised (the actor does not fail)."""
        if self._settled:
            return
        self._settled, self._error = True, error
        self._deliver()

    def cancel(self) -> None:
        """The instance stopped or restarted before answering: the asker gets `ActorDead`."""
        path = self._cell.path if self._cell is not None else "the actor"
        self.reject(ActorDead(f"{path} stopped before it answered"))

    def attach(self, reply: asyncio.Future[Any], cell: ActorCell) -> None:
        """Kernel side: bind the ask's future; answered now if already settled."""
        self._reply = reply
        if self._settled:
            self._deliver()
            return
        self._cell = cell
        cell.add_owned(self)

    def _deliver(self) -> None:
        reply = self._reply
        if reply is None:
            return
        if self._cell is not None:
            self._cell.discard_owned(self)
            self._cell = None
        if reply.done():
            return
        if self._error is not None:
            reply.set_exception(self._error)
        else:
            reply.set_result(self._value)
