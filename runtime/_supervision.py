"""Supervision as in Erlang/OTP: strategies, restart types, intensity, backoff.

Pure bookkeeping, no I/O: the cell asks these objects what to do.
"""

from __future__ import annotations

import enum
import math
import random
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runtime._mailbox import MailboxConfig

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from runtime._actor import Actor

__all__ = [
    "Backoff",
    "ChildSpec",
    "RestartType",
    "RestartWindow",
    "Strategy",
    "SupervisorPolicy",
    "restart_group",
]


class Strategy(enum.StrEnum):
    """Which children restart when one fails."""

    ONE_FOR_ONE = "one_for_one"
    """Only the failed child."""
    ONE_FOR_ALL = "one_for_all"
    """Every child: all are stopped (in reverse start order), then started again in order."""
    REST_FOR_ONE = "rest_for_one"
    """The failed child and every child started after it."""


class RestartType(enum.StrEnum):
    """When a child that ended is started again."""

    PERMANENT = "permanent"
    """Always: after a failure and after it stopped itself."""
    TRANSIENT = "transient"
    """Only after a failure."""
    TEMPORARY = "temporary"
    """Never."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before a restart: a lone crash restarts at once, repeated ones back off.

    The n-th restart of a child within the intensity window (n >= 2) waits
    ``min(maximum, initial * multiplier ** (n - 2))`` seconds, scaled by a random
    factor in ``[1 - jitter, 1 + jitter]`` so crashed siblings do not restart in
    lockstep.
    """

    initial: float = 0.01
    maximum: float = 5.0
    multiplier: float = 2.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not 0 <= self.initial <= self.maximum:
            raise ValueError("backoff needs 0 <= initial <= maximum")
        if self.multiplier < 1 or not 0 <= self.jitter < 1:
            raise ValueError("backoff needs multiplier >= 1 and 0 <= jitter < 1")

    def delay(self, restarts_in_window: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before restart number ``restarts_in_window`` (1-based)."""
        if restarts_in_window <= 1:
            return 0.0
        try:
            growth = self.multiplier ** (restarts_in_window - 2)
        except OverflowError:  # past 2.0 ** 1023 a float overflows; the cap was reached long ago
            growth = math.inf
        base = min(self.maximum, self.initial * growth) if self.initial else 0.0
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return min(self.maximum * (1 + self.jitter), base * spread)


@dataclass(frozen=True, slots=True)
class SupervisorPolicy:
    """How a parent supervises its children.

    Args:
        strategy: which children restart when one fails.
        max_restarts: restarts allowed within ``within`` seconds, counted over
            all children; one more and the parent escalates (fails itself).
        within: the length of the intensity window, in seconds.
        backoff: delay before each restart.
    """

    strategy: Strategy = Strategy.ONE_FOR_ONE
    max_restarts: int = 3
    within: float = 5.0
    backoff: Backoff = field(default_factory=Backoff)

    def __post_init__(self) -> None:
        if self.max_restarts < 0 or self.within <= 0:
            raise ValueError("supervision needs max_restarts >= 0 and within > 0")


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """Everything needed to start, and start again, one child.

    Args:
        factory: makes a fresh actor instance (an `Actor` subclass with no
            constructor arguments, a `functools.partial`, a lambda). Called
            again on every restart.
        name: the child's name, ``[a-z0-9_-]+``; unique among its siblings.
        restart: when the child is started again after it ended.
        mailbox: capacity and overflow policy.
        shutdown_timeout: seconds the child gets to stop (finish its current
            handler, stop its children, run `on_stop`) before it is cancelled.
        throughput: messages handled per turn before yielding to other actors.
    """

    factory: Callable[[], Actor]
    name: str
    restart: RestartType = RestartType.PERMANENT
    mailbox: MailboxConfig = field(default_factory=MailboxConfig)
    shutdown_timeout: float = 5.0
    throughput: int = 64

    def __post_init__(self) -> None:
        if self.shutdown_timeout < 0:
            raise ValueError("shutdown_timeout must be >= 0")
        if self.throughput < 1:
            raise ValueError("throughput must be >= 1")


class RestartWindow:
    """Restart times of one supervisor within its intensity window."""

    __slots__ = ("_max", "_times", "_within")

    def __init__(self, max_restarts: int, within: float) -> None:
        self._max = max_restarts
        self._within = within
        self._times: deque[float] = deque()

    def allow(self, now: float) -> bool:
        """Record a restart at ``now``; False if it exceeds the intensity."""
        times = self._times
        while times and times[0] <= now - self._within:
            times.popleft()
        if len(times) >= self._max:
            return False
        times.append(now)
        return True

    def count(self, now: float) -> int:
        """Restarts recorded within the window ending at ``now``."""
        return sum(1 for t in self._times if t > now - self._within)


def restart_group(strategy: Strategy, children: Sequence[str], failed: str) -> list[str]:
    """The children, in start order, that restart when ``failed`` fails."""
    if strategy is Strategy.ONE_FOR_ONE:
        return [failed]
    if strategy is Strategy.ONE_FOR_ALL:
        return list(children)
    index = children.index(failed)
    return list(children[index:])
