"""Mailbox settings and the coalescing queue.

A mailbox is bounded. What happens when a message arrives at a full mailbox
is its overflow policy:

- ``backpressure``: `tell` and `ask` raise `MailboxFull`; `await ref.send(msg)`
  waits for room.
- ``drop_oldest``: the oldest queued message is dropped to make room.
- ``drop_newest``: the arriving message is dropped.
- ``coalesce``: a message whose key (``key(message)``) equals a queued
  message's key replaces that message in place ("latest state wins"); a
  message with a new key at a full mailbox drops the oldest. A key of None
  never coalesces.

Dropped messages are counted (``dropped_total``); a dropped *asked* message
fails its ask with `MessageDropped`, so no caller waits for a reply that
cannot come. System messages (stop, restart, watch, terminated) have their own
unbounded lane and are never dropped.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

__all__ = ["CoalescingQueue", "Envelope", "MailboxConfig", "OverflowPolicy"]

# (message, reply future or None, enqueue time in ns or 0, sender path or None)
Envelope = tuple[Any, Any, int, str | None]


class OverflowPolicy(enum.StrEnum):
    """What a full mailbox does with one more message."""

    BACKPRESSURE = "backpressure"
    DROP_OLDEST = "drop_oldest"
    DROP_NEWEST = "drop_newest"
    COALESCE = "coalesce"


@dataclass(frozen=True, slots=True)
class MailboxConfig:
    """Capacity and overflow policy of one actor's mailbox.

    Args:
        capacity: the most user messages queued at once (at least 1).
        policy: what happens to one more message when the mailbox is full.
        key: for ``coalesce`` only: the key under which a newer message
            replaces a queued one; None from it means "never coalesce this one".
    """

    capacity: int = 1000
    policy: OverflowPolicy = OverflowPolicy.BACKPRESSURE
    key: Callable[[Any], Hashable | None] | None = None

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"mailbox capacity must be at least 1, got {self.capacity}")
        if (self.policy is OverflowPolicy.COALESCE) != (self.key is not None):
            raise ValueError("a key function is required by, and only by, the coalesce policy")


class CoalescingQueue:
    """A FIFO of envelopes in which a newer envelope replaces a queued one of the same key.

    The replaced envelope keeps its place in line, so a message that is
    constantly refreshed is still handled in its turn. It offers the part of
    `collections.deque`'s interface the cell uses.
    """

    __slots__ = ("_by_key", "_key", "_on_replaced", "_order")

    def __init__(
        self,
        key: Callable[[Any], Hashable | None],
        on_replaced: Callable[[Envelope], None],
    ) -> None:
        self._key = key
        self._on_replaced = on_replaced
        self._order: deque[Hashable] = deque()
        self._by_key: dict[Hashable, Envelope] = {}

    def __len__(self) -> int:
        return len(self._order)

    def __bool__(self) -> bool:
        return bool(self._order)

    def has_key_of(self, message: Any) -> bool:
        """True if a queued envelope has ``message``'s key (so ``message`` would replace it)."""
        key = self._key(message)
        return key is not None and key in self._by_key

    def append(self, envelope: Envelope) -> None:
        key = self._key(envelope[0])
        if key is None:
            key = _Unique()
        elif key in self._by_key:
            replaced = self._by_key[key]
            self._by_key[key] = envelope
            self._on_replaced(replaced)
            return
        self._order.append(key)
        self._by_key[key] = envelope

    def popleft(self) -> Envelope:
        return self._by_key.pop(self._order.popleft())

    def clear(self) -> None:
        self._order.clear()
        self._by_key.clear()


class _Unique:
    """A key equal only to itself, for messages that never coalesce."""

    __slots__ = ()
