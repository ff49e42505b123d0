"""The loop monitor measures how late its ticks run; the health log summarises the tree."""

from __future__ import annotations

from functools import partial

from structlog.testing import capture_logs

from messages.control import Ping
from messages.health import GetLoopStats, LoopStats
from runtime import ActorSystem, ManualClock
from runtime._health_log import HealthLog
from runtime._loop_monitor import LoopMonitor


async def test_a_tick_that_runs_late_is_measured_and_warned_about() -> None:
    clock = ManualClock()
    async with ActorSystem("t", clock=clock) as system:
        monitor = await system.spawn(partial(LoopMonitor, 0.25, 0.05), name="monitor")
        with capture_logs() as logs:
            clock.advance(0.25)  # on time
            assert (await monitor.ask(GetLoopStats(), timeout=None)).samples == 1
            clock.advance(0.35)  # due at 0.25 after the last tick: 0.1 late
            stats: LoopStats = await monitor.ask(GetLoopStats(), timeout=None)
        assert stats.samples == 2
        assert 99.0 <= stats.lag_max_ms <= 101.0
        assert stats.lag_last_ms == stats.lag_max_ms
        warnings = [e for e in logs if e["event"] == "loop_lag_high"]
        assert len(warnings) == 1
        assert 99.0 <= float(warnings[0]["lag_ms"]) <= 101.0


async def test_the_health_log_reports_actors_and_dead_letters() -> None:
    clock = ManualClock()
    async with ActorSystem("t", clock=clock) as system:
        health = await system.spawn(partial(HealthLog, 10.0), name="health")
        with capture_logs() as logs:
            clock.advance(10.0)
            await health.ask(Ping(), timeout=None)  # mailboxes are FIFO: the report went first
        reports = [e for e in logs if e["event"] == "health"]
        assert len(reports) == 1
        assert reports[0]["actors"] == 2
        assert reports[0]["states"] == {"running": 2}
