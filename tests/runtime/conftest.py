"""Fixtures for kernel tests: a manual clock, a running actor system on it, a gate."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from runtime import ActorSystem, ManualClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def system(clock: ManualClock) -> AsyncIterator[ActorSystem]:
    async with ActorSystem("test", clock=clock) as running:
        yield running


@pytest.fixture
def gate(system: ActorSystem) -> Iterator[asyncio.Event]:
    """An event for handlers to wait on, opened before the system stops.

    With a manual clock a shutdown never times out, so a handler still waiting
    when a test fails would hang it; this fixture is torn down before `system`.
    """
    event = asyncio.Event()
    yield event
    event.set()
