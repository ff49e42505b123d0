"""Clocks: the event loop's, and a manual one for tests that must not sleep."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Cancellable", "Clock", "LoopClock", "ManualClock"]


class Cancellable(Protocol):
    """A scheduled callback that can be cancelled (an `asyncio.TimerHandle` is one)."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """The time source of an actor system: timers, ask timeouts, backoff, restart windows."""

    def time(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> Cancellable:
        """Run ``callback(*args)`` on the loop after ``delay`` seconds."""
        ...


class LoopClock:
    """The running event loop's clock; its methods are the loop's own, so it costs nothing."""

    __slots__ = ("call_later", "time")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        loop = loop or asyncio.get_running_loop()
        self.time = loop.time
        self.call_later = loop.call_later


class _ManualTimer:
    __slots__ = ("args", "callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that moves only when told to, so time-based tests neither sleep nor flake.

    `advance` runs every callback that falls due, in time order, synchronously.
    Callbacks may schedule further callbacks; those also run if they fall due
    within the advanced span.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._heap: list[tuple[float, int, _ManualTimer]] = []
        self._seq = itertools.count()

    def time(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> _ManualTimer:
        timer = _ManualTimer(self._now + max(delay, 0.0), callback, args)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        return timer

    @property
    def pending(self) -> int:
        """Number of scheduled, not cancelled callbacks."""
        return sum(1 for _, _, timer in self._heap if not timer.cancelled)

    def next_deadline(self) -> float | None:
        """When the next pending callback falls due, or None."""
        for when, _, timer in sorted(self._heap):
            if not timer.cancelled:
                return when
        return None

    def advance(self, seconds: float) -> int:
        """Move time forward by ``seconds``; return how many callbacks ran."""
        target = self._now + seconds
        ran = 0
        while self._heap and self._heap[0][0] <= target:
            when, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self._now = max(self._now, when)
            timer.callback(*timer.args)
            ran += 1
        self._now = target
        return ran


def sleep(clock: Clock, delay: float) -> asyncio.Future[None]:
    """A future that completes after ``delay`` seconds of ``clock`` time."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def wake() -> None:
        if not future.done():
            future.set_result(None)

    handle = clock.call_later(delay, wake)
    future.add_done_callback(lambda _: handle.cancel())
    return future
