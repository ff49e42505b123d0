"""Races between a stop and what an instance is still doing: its start, its pipes.

Found by the reliability suite: a stop while an async ``on_start`` awaited
ran ``on_stop`` first and the rest of ``on_start`` afterwards, on an
instance nobody would stop again (whatever it opened then leaked); and a
pipe cancelled before its first step left its coroutine "never awaited".
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import TYPE_CHECKING

import msgspec
import pytest

from runtime import Actor, ActorSystem
from tests.runtime.support import snapshot_of, turns, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = [pytest.mark.timeout(30), pytest.mark.usefixtures("loop_lag")]


class Item(msgspec.Struct, frozen=True):
    n: int


class SlowStarter(Actor):
    """Opens a resource after an await in ``on_start``; ``on_stop`` closes what is open."""

    def __init__(self, journal: list[str], gate: asyncio.Event) -> None:
        super().__init__()
        self.journal = journal
        self.gate = gate
        self.opened = False

    async def on_start(self) -> None:
        self.journal.append("start begins")
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.journal.append("start cancelled")
            raise
        self.opened = True
        self.journal.append("opened")

    def on_stop(self) -> None:
        self.journal.append("stop, open" if self.opened else "stop, nothing open")


async def test_stopping_an_actor_whose_on_start_awaits_cancels_it_before_on_stop(
    system: ActorSystem, gate: asyncio.Event
) -> None:
    journal: list[str] = []
    spawning = asyncio.ensure_future(system.spawn(lambda: SlowStarter(journal, gate), name="slow"))
    await until(lambda: journal == ["start begins"])
    ref = system.lookup("/slow")
    assert ref is not None
    await ref.stop()
    gate.set()
    await spawning
    await turns()
    assert journal == ["start begins", "start cancelled", "stop, nothing open"]
    assert not ref.alive


async def test_a_shutdown_during_an_awaiting_restart_leaves_nothing_opened_after_on_stop(
    system: ActorSystem, gate: asyncio.Event
) -> None:
    journal: list[str] = []
    open_gate = asyncio.Event()
    open_gate.set()
    gates = iter([open_gate])  # the first instance starts at once, the next waits on `gate`
    ref = await system.spawn(lambda: SlowStarter(journal, next(gates, gate)), name="slow")
    journal.clear()
    restarting = ref.restart()
    await until(lambda: "start begins" in journal)
    await ref.stop()
    gate.set()
    await restarting
    await turns()
    assert journal[-2:] == ["start cancelled", "stop, nothing open"]
    assert "opened" not in journal


async def test_an_actor_that_starts_normally_still_opens_then_stops(
    system: ActorSystem, gate: asyncio.Event
) -> None:
    journal: list[str] = []
    gate.set()
    ref = await system.spawn(lambda: SlowStarter(journal, gate), name="slow")
    assert snapshot_of(system, ref).state == "running"
    await ref.stop()
    assert journal == ["start begins", "opened", "stop, open"]


async def _never() -> AsyncIterator[int]:
    await asyncio.Event().wait()
    yield 0


class Reader(Actor):
    def on_start(self) -> None:
        self.context.stream(_never(), Item, name="reader")

    def on_item(self, message: Item) -> None:
        pass


async def test_a_pipe_cancelled_before_its_first_step_is_not_reported_as_never_awaited(
    system: ActorSystem,
) -> None:
    ref = await system.spawn(Reader, name="reader")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            await ref.restart()  # each cancels a pipe that has not run yet
        await turns()
        gc.collect()
    assert [w for w in caught if "never awaited" in str(w.message)] == []
    assert snapshot_of(system, ref).restarts_total == 3
