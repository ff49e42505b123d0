"""Actor timers: a message to oneself later (`schedule`) or at a fixed rate (`every`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime._cell import ActorCell
    from runtime._clock import Cancellable

__all__ = ["Timer"]


class Timer:
    """A pending message to the actor itself; cancelled when the actor stops or restarts.

    Delivery never raises: a tick that meets a full ``backpressure`` mailbox
    is dropped and counted in the actor's ``dropped_total``. A repeating timer
    keeps a fixed rate; ticks missed while the loop was busy are skipped, not
    delivered in a burst.
    """

    __slots__ = ("_cell", "_due", "_handle", "_interval", "_message", "cancelled")

    def __init__(self, cell: ActorCell, delay: float, message: Any, interval: float | None) -> None:
        if delay < 0 or (interval is not None and interval <= 0):
            raise ValueError("timer delay must be >= 0 and interval > 0")
        self._cell = cell
        self._message = message
        self._interval = interval
        self.cancelled = False
        clock = cell.system.clock
        self._due = clock.time() + delay
        self._handle: Cancellable = clock.call_later(delay, self._fire)
        cell.add_owned(self)

    def cancel(self) -> None:
        """Cancel the timer; no further message is delivered. Idempotent."""
        if not self.cancelled:
            self.cancelled = True
            self._handle.cancel()
            self._cell.discard_owned(self)

    def _fire(self) -> None:
        if self.cancelled:
            return
        self._cell.offer(self._message)
        interval = self._interval
        if interval is None:
            self.cancelled = True
            self._cell.discard_owned(self)
            return
        clock = self._cell.system.clock
        now = clock.time()
        self._due += interval
        if self._due <= now:
            missed = int((now - self._due) // interval) + 1
            self._due += missed * interval
        self._handle = clock.call_later(self._due - now, self._fire)
