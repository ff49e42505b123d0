"""The event stream: one-to-many delivery by message type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime._ref import ActorRef

__all__ = ["EventStream"]


class EventStream:
    """Publish a message to every actor subscribed to its type or a base type.

    Delivery is a `tell` that never raises: a subscriber with a full
    ``backpressure`` mailbox misses the message (counted as dropped there),
    so one slow subscriber cannot stall the publisher. Stopped actors are
    unsubscribed by the kernel.
    """

    def __init__(self) -> None:
        self._subscribers: dict[type, list[ActorRef]] = {}
        self._routes: dict[type, tuple[ActorRef, ...]] = {}

    def subscribe(self, message_type: type, ref: ActorRef) -> None:
        """Deliver every published ``message_type`` (and subclass) to ``ref``. Idempotent."""
        refs = self._subscribers.setdefault(message_type, [])
        if ref not in refs:
            refs.append(ref)
            self._routes.clear()

    def unsubscribe(self, message_type: type, ref: ActorRef) -> None:
        refs = self._subscribers.get(message_type)
        if refs and ref in refs:
            refs.remove(ref)
            self._routes.clear()

    def unsubscribe_all(self, ref: ActorRef) -> None:
        for message_type in [t for t, refs in self._subscribers.items() if ref in refs]:
            self.unsubscribe(message_type, ref)

    def has_subscribers(self, message_type: type) -> bool:
        return bool(self._route(message_type))

    def publish(self, message: Any) -> int:
        """Deliver ``message`` to its subscribers; return how many took it."""
        delivered = 0
        for ref in self._route(type(message)):
            delivered += ref._cell.offer(message)
        return delivered

    def _route(self, message_type: type) -> tuple[ActorRef, ...]:
        route = self._routes.get(message_type)
        if route is None:
            seen: dict[ActorRef, None] = {}
            for base in message_type.__mro__:
                for ref in self._subscribers.get(base, ()):
                    seen[ref] = None
            route = self._routes[message_type] = tuple(seen)
        return route
