"""Messages the kernel itself sends to actors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from runtime._ref import ActorRef

__all__ = ["DeadLetter", "Terminated"]


class Terminated(msgspec.Struct, frozen=True):
    """A watched actor stopped for good; ``reason`` is its last error, None if it stopped cleanly.

    Delivered on the watcher's priority lane, to its handler for `Terminated`.
    """

    ref: ActorRef
    reason: Exception | None


class DeadLetter(msgspec.Struct, frozen=True):
    """A message that no actor handled, published on the system's event stream.

    ``reason`` is ``"stopped"`` (the target had stopped) or ``"no handler"``.
    """

    message: Any
    sender: str | None
    target: str
    reason: str
