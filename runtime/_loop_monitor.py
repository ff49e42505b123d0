"""`LoopMonitor`: measures event-loop lag, the symptom of a handler that blocks the loop."""

from __future__ import annotations

import msgspec
import structlog

from messages.health import GetLoopStats, LoopStats
from runtime._actor import Actor
from runtime._histogram import Histogram

__all__ = ["LoopMonitor"]

_log = structlog.get_logger("arbiter.kernel")


class _Tick(msgspec.Struct, frozen=True):
    pass


class LoopMonitor(Actor):
    """Schedules a tick every ``interval`` seconds and records how late it runs.

    A tick later than ``warn_after`` seconds logs ``loop_lag_high``: some
    callback held the loop that long.

    Args:
        interval: seconds between ticks.
        warn_after: lag in seconds above which a warning is logged.
    """

    def __init__(self, interval: float = 0.25, warn_after: float = 0.05) -> None:
        super().__init__()
        self.interval = interval
        self.warn_after = warn_after
        self.lag = Histogram()
        self.lag_max_ns = 0
        self.lag_last_ns = 0
        self._due = 0.0

    def on_start(self) -> None:
        self._arm()

    def _arm(self) -> None:
        self._due = self.context.system.clock.time() + self.interval
        self.context.schedule(self.interval, _Tick())

    def on_tick(self, message: _Tick) -> None:
        late = max(0.0, self.context.system.clock.time() - self._due)
        late_ns = int(late * 1e9)
        self.lag.record(late_ns)
        self.lag_last_ns = late_ns
        self.lag_max_ns = max(self.lag_max_ns, late_ns)
        if late > self.warn_after:
            _log.warning("loop_lag_high", lag_ms=round(late * 1000, 1))
        self._arm()

    def on_get_loop_stats(self, message: GetLoopStats) -> LoopStats:
        p50 = self.lag.quantile(0.5)
        p99 = self.lag.quantile(0.99)
        return LoopStats(
            samples=self.lag.count,
            lag_p50_ms=None if p50 is None else p50 / 1e6,
            lag_p99_ms=None if p99 is None else p99 / 1e6,
            lag_max_ms=self.lag_max_ns / 1e6,
            lag_last_ms=self.lag_last_ns / 1e6,
        )
