"""Fixtures for the reliability suite: a manual clock and a system on it, and the loop's worst lag.

``loop_lag`` (used by every async test here through ``pytestmark``) runs a
heartbeat on the test's event loop and records how late it ran; the worst
lag of the run, and the test it happened in, are printed in the terminal
summary. It reports and never fails: the machine is shared, and a test that
asserted on wall-clock time would flake.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from runtime import ActorSystem, ManualClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

HEARTBEAT_S = 0.005
_worst: dict[str, float] = {}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def system(clock: ManualClock) -> AsyncIterator[ActorSystem]:
    async with ActorSystem("test", clock=clock) as running:
        yield running


@pytest.fixture
def gate(system: ActorSystem) -> Iterator[asyncio.Event]:
    """An event for hooks and handlers to wait on, opened before the system stops.

    With a manual clock a shutdown never times out, so a hook still waiting
    when a test fails would hang it; this fixture is torn down before `system`.
    """
    event = asyncio.Event()
    yield event
    event.set()


class _Heartbeat:
    """A callback every `HEARTBEAT_S` that notes how late the loop ran it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.worst_s = 0.0
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._due = time.monotonic() + HEARTBEAT_S
        self._handle = self.loop.call_later(HEARTBEAT_S, self._beat)

    def _beat(self) -> None:
        self.worst_s = max(self.worst_s, time.monotonic() - self._due)
        self.start()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()


@pytest.fixture
async def loop_lag(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    heartbeat = _Heartbeat(asyncio.get_running_loop())
    heartbeat.start()
    yield
    heartbeat.stop()
    _worst[request.node.nodeid] = heartbeat.worst_s


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _worst:
        return
    nodeid, worst = max(_worst.items(), key=lambda item: item[1])
    terminalreporter.write_line(
        f"reliability: worst event-loop lag {worst * 1000:.1f} ms over {len(_worst)} tests, "
        f"in {nodeid} (reported, not asserted: the machine is shared)"
    )
