"""Ask deadlines: one sweeping timer for every outstanding ask.

A timer per ask (``loop.call_later`` + ``cancel``) costs about 1.5 us, as
much as the rest of an ask round trip (`benchmarks/runtime.py`, case
``ask``). Instead each ask appends its deadline to a list and one timer
sweeps it: answered asks are dropped from the list, overdue ones fail with
`AskTimeout`. Short timeouts keep a timer of their own, so they stay exact;
long ones may fire up to one sweep interval late.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime._exceptions import AskTimeout

if TYPE_CHECKING:
    import asyncio

    from runtime._clock import Cancellable, Clock

__all__ = ["AskDeadlines"]

SWEEP_INTERVAL = 0.05
"""Seconds between sweeps; also the most a long timeout may fire late."""

EXACT_BELOW = 1.0
"""Timeouts shorter than this get their own timer, so they fire on time."""


class AskDeadlines:
    """The outstanding asks of one actor system and when each gives up."""

    __slots__ = ("_armed", "_clock", "_pending")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._pending: list[tuple[float, asyncio.Future[Any], str, type, float]] = []
        self._armed: Cancellable | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, reply: asyncio.Future[Any], timeout: float, target: str, message: Any) -> None:
        """Fail ``reply`` with `AskTimeout` unless it is done within ``timeout`` seconds."""
        if timeout < EXACT_BELOW:
            handle = self._clock.call_later(timeout, _expire, reply, target, type(message), timeout)
            reply.add_done_callback(lambda _: handle.cancel())
            return
        self._pending.append((self._clock.time() + timeout, reply, target, type(message), timeout))
        if self._armed is None:
            self._armed = self._clock.call_later(SWEEP_INTERVAL, self._sweep)

    def _sweep(self) -> None:
        now = self._clock.time()
        keep = []
        for entry in self._pending:
            deadline, reply, target, message_type, timeout = entry
            if reply.done():
                continue
            if deadline <= now:
                _expire(reply, target, message_type, timeout)
            else:
                keep.append(entry)
        self._pending = keep
        self._armed = self._clock.call_later(SWEEP_INTERVAL, self._sweep) if keep else None

    def close(self) -> None:
        """Stop sweeping (the system has stopped)."""
        if self._armed is not None:
            self._armed.cancel()
            self._armed = None
        self._pending = []


def _expire(reply: asyncio.Future[Any], target: str, message_type: type, timeout: float) -> None:
    if not reply.done():
        reply.set_exception(
            AskTimeout(f"no reply from {target} to {message_type.__name__} within {timeout} s")
        )
