"""Fixtures for kernel tests: a manual clock, and a running actor system on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from runtime import ActorSystem, ManualClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def system(clock: ManualClock) -> AsyncIterator[ActorSystem]:
    async with ActorSystem("test", clock=clock) as running:
        yield running
