"""Event-loop health: a handler that blocks the loop is measured and named in the log.

The blocking here is the fault under test (a handler calling `time.sleep`),
not a wait. The suite's own worst loop lag is reported by ``loop_lag`` in
the terminal summary (tests/reliability/conftest.py).
"""

from __future__ import annotations

import time
from functools import partial

import msgspec
import pytest
from structlog.testing import capture_logs

from messages.health import GetLoopStats, LoopStats
from runtime import Actor, ActorSystem
from runtime._loop_monitor import LoopMonitor
from tests.fixtures.waiting import eventually

# Not under the suite's `loop_lag` report: the first test blocks the loop on purpose.
pytestmark = pytest.mark.timeout(30)


class Block(msgspec.Struct, frozen=True):
    seconds: float


class Blocker(Actor):
    def on_block(self, message: Block) -> None:
        time.sleep(message.seconds)  # the fault: a handler that holds the loop


async def test_a_handler_blocking_the_loop_is_named_in_the_lag_warning() -> None:
    async with ActorSystem("lag") as system:
        monitor = await system.spawn(partial(LoopMonitor, 0.01, 0.05), name="monitor")
        blocker = await system.spawn(Blocker, name="blocker")
        with capture_logs() as logs:
            await blocker.ask(Block(0.4), timeout=10)

            def warned() -> bool:
                return any(e["event"] == "loop_lag_high" for e in logs)

            await eventually(warned, timeout=10)
        stats: LoopStats = await monitor.ask(GetLoopStats(), timeout=10)
    [warning] = [e for e in logs if e["event"] == "loop_lag_high"]
    assert warning["blocker"] == "/blocker"
    assert "Blocker.on_block" in warning["blocked_in"]
    assert warning["lag_ms"] >= 300
    assert stats.lag_max_ms >= 300


@pytest.mark.usefixtures("loop_lag")
async def test_without_a_blocker_no_lag_warning_names_an_actor() -> None:
    async with ActorSystem("lag") as system:
        monitor = await system.spawn(partial(LoopMonitor, 0.01, 0.05), name="monitor")
        with capture_logs() as logs:

            async def ticked() -> bool:
                stats: LoopStats = await monitor.ask(GetLoopStats(), timeout=10)
                return stats.samples >= 20

            await eventually(ticked, timeout=10)
    # On a shared machine the loop may lag; it must not be pinned on an actor that did not run.
    named = [e.get("blocker") for e in logs if e["event"] == "loop_lag_high"]
    assert all(path in {None, "/monitor"} for path in named), named
