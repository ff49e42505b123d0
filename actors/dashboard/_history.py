"""`History`: messages per second and mailbox depth per actor, over the last minutes."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from messages.health import ActorSnapshot

__all__ = ["History", "Series"]

TOTAL = ""
"""The key of the whole system's series (no actor path is empty)."""


class Series:
    """One actor's samples: messages handled per second, and mailbox depth."""

    __slots__ = ("depth", "rate")

    def __init__(self, length: int) -> None:
        self.rate: deque[float] = deque(maxlen=length)
        self.depth: deque[int] = deque(maxlen=length)

    def to_json(self) -> dict[str, list[float] | list[int]]:
        return {"rate": list(self.rate), "depth": list(self.depth)}


class History:
    """Turns successive snapshots into rates, and keeps a sample every ``interval`` s.

    `observe` is called at every push: it updates the current rate of each
    actor (handled messages per second since the previous call) and, once
    ``interval`` has passed since the last sample, appends one sample per
    actor (the rate over that interval, and the mailbox depth). Actors that
    are gone are forgotten. Pure bookkeeping: no I/O, no clock of its own.

    Args:
        interval: seconds between samples.
        length: samples kept per actor.
    """

    def __init__(self, interval: float, length: int) -> None:
        self.interval = interval
        self.length = length
        self.rates: dict[str, float] = {}
        self.series: dict[str, Series] = {}
        self._last: dict[str, int] = {}
        self._last_time: float | None = None
        self._sampled: dict[str, int] = {}
        self._sample_time: float | None = None

    def observe(self, now: float, snapshots: Iterable[ActorSnapshot]) -> bool:
        """Take in the tree's snapshot at ``now``; return True if a sample was appended."""
        handled: dict[str, int] = {}
        depths: dict[str, int] = {}
        for snapshot in snapshots:
            handled[snapshot.path] = snapshot.handled_total
            depths[snapshot.path] = snapshot.mailbox_depth
        handled[TOTAL] = sum(handled.values())
        depths[TOTAL] = sum(depths.values())
        elapsed = now - self._last_time if self._last_time is not None else 0.0
        self.rates = _rates(self._last, handled, elapsed)
        self._last, self._last_time = handled, now
        if self._sample_time is not None and now - self._sample_time < self.interval:
            return False
        elapsed = now - self._sample_time if self._sample_time is not None else 0.0
        sample = _rates(self._sampled, handled, elapsed)
        self._sampled, self._sample_time = handled, now
        for path in self.series.keys() - handled.keys():
            del self.series[path]
        for path, rate in sample.items():
            series = self.series.get(path)
            if series is None:
                series = self.series[path] = Series(self.length)
            series.rate.append(rate)
            series.depth.append(depths[path])
        return True

    def latest(self) -> dict[str, dict[str, float]]:
        """The newest sample of every actor: ``{path: {"rate": r, "depth": d}}``."""
        return {
            path: {"rate": series.rate[-1], "depth": series.depth[-1]}
            for path, series in self.series.items()
            if series.rate
        }

    def to_json(self) -> dict[str, object]:
        """Every series, for a client that has just connected."""
        return {
            "interval": self.interval,
            "length": self.length,
            "series": {path: series.to_json() for path, series in self.series.items()},
        }


def _rates(before: dict[str, int], now: dict[str, int], elapsed: float) -> dict[str, float]:
    # A count can fall only if an actor was replaced by another of the same
    # path: its rate restarts from zero rather than going negative.
    if elapsed <= 0:
        return dict.fromkeys(now, 0.0)
    return {
        path: round(max(0, count - before.get(path, count)) / elapsed, 3)
        for path, count in now.items()
    }
