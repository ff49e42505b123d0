"""`LoopMonitor`: measures event-loop lag, the symptom of a handler that blocks the loop."""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING

import msgspec
import structlog

from messages.health import GetLoopStats, LoopStats
from runtime._actor import Actor
from runtime._clock import LoopClock
from runtime._histogram import Histogram

if TYPE_CHECKING:
    from runtime._system import ActorSystem

__all__ = ["LoopMonitor"]

_log = structlog.get_logger("arbiter.kernel")


class _Tick(msgspec.Struct, frozen=True):
    pass


class _Watchdog(threading.Thread):
    """Names what holds the loop: looks from its own thread while a tick is overdue.

    A late tick only says that the loop was held; by the time it runs, the
    culprit has returned. This thread wakes every few milliseconds and, once
    the tick is overdue by half the warning threshold, notes the actor whose
    drain is running (`ActorSystem.current_path`) and the loop thread's
    innermost frame. The tick's ``loop_lag_high`` warning names them.
    """

    def __init__(self, system: ActorSystem, warn_after: float) -> None:
        super().__init__(name="arbiter-loop-watchdog", daemon=True)
        self.system = system
        self.warn_after = warn_after
        self.loop_thread = threading.get_ident()
        self.due = 0.0  # time.monotonic() at which the next tick should run
        self.blocker: tuple[str | None, str] | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.warn_after / 4):
            due = self.due
            if due and self.blocker is None and time.monotonic() - due > self.warn_after / 2:
                frame = sys._current_frames().get(self.loop_thread)
                where = "?"
                if frame is not None:
                    code = frame.f_code
                    where = f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})"
                self.blocker = (self.system.current_path, where)

    def stop(self) -> None:
        self._stopping.set()


class LoopMonitor(Actor):
    """Schedules a tick every ``interval`` seconds and records how late it runs.

    A tick later than ``warn_after`` seconds logs ``loop_lag_high``: some
    callback held the loop that long. On the loop's own clock (not a manual
    one) a watchdog thread names the culprit in that warning: ``blocker`` is
    the path of the actor that was handling a message (None if no actor
    was), ``blocked_in`` the function the loop was running.

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
        self._watchdog: _Watchdog | None = None

    def on_start(self) -> None:
        system = self.context.system
        if isinstance(system.clock, LoopClock):
            self._watchdog = _Watchdog(system, self.warn_after)
            self._watchdog.start()
        self._arm()

    def on_stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.stop()  # it ends at its next wake-up; joining would hold the loop

    def _arm(self) -> None:
        self._due = self.context.system.clock.time() + self.interval
        if self._watchdog is not None:
            self._watchdog.due = time.monotonic() + self.interval
        self.context.schedule(self.interval, _Tick())

    def on_tick(self, message: _Tick) -> None:
        late = max(0.0, self.context.system.clock.time() - self._due)
        late_ns = int(late * 1e9)
        self.lag.record(late_ns)
        self.lag_last_ns = late_ns
        self.lag_max_ns = max(self.lag_max_ns, late_ns)
        watchdog = self._watchdog
        if late > self.warn_after:
            if watchdog is not None and watchdog.blocker is not None:
                blocker, blocked_in = watchdog.blocker
                _log.warning(
                    "loop_lag_high",
                    lag_ms=round(late * 1000, 1),
                    blocker=blocker,
                    blocked_in=blocked_in,
                )
            else:
                _log.warning("loop_lag_high", lag_ms=round(late * 1000, 1))
        if watchdog is not None:
            watchdog.blocker = None
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
