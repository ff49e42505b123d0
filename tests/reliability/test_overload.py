"""Overload: a producer ten times faster than its consumer, under each overflow policy.

The consumer's work takes 10 ms of manual time per message; the producer
sends ten messages per 10 ms. The mailbox must hold its capacity (memory
stays flat however long the overload runs), each policy must do what it
says and count it, every message must be accounted for (handled, dropped,
or refused to the sender), and a sibling must keep answering throughout.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from functools import partial
from typing import TYPE_CHECKING

import aiohttp
import msgspec
import pytest

from actors.dashboard import Dashboard, DashboardSettings
from messages.control import Ping
from messages.health import GetDashboardUrl
from runtime import (
    Actor,
    ActorSystem,
    MailboxConfig,
    MailboxFull,
    ManualClock,
    OverflowPolicy,
)
from runtime._clock import sleep
from tests.runtime.support import snapshot_of, until

if TYPE_CHECKING:
    from pathlib import Path

    from messages.health import ActorSnapshot
    from runtime import ActorRef

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("loop_lag")]

CAPACITY = 100
TICK_S = 0.010
PER_TICK = 10
KEYS = 40


class Work(msgspec.Struct, frozen=True):
    n: int


class Slow(Actor):
    """Takes one message per `TICK_S` of the system's clock; keeps the numbers it handled."""

    def __init__(self, handled: list[int]) -> None:
        super().__init__()
        self.handled = handled

    async def on_work(self, message: Work) -> None:
        await sleep(self.context.system.clock, TICK_S)
        self.handled.append(message.n)


class Sibling(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_ping(self, message: Ping) -> int:
        self.count += 1
        return self.count


class Overload:
    """Drives the producer and the clock one tick at a time."""

    def __init__(self, system: ActorSystem, clock: ManualClock, consumer: ActorRef) -> None:
        self.system = system
        self.clock = clock
        self.consumer = consumer
        self.handled: list[int] = []
        self.sent = 0
        self.refused = 0
        self.max_depth = 0

    async def tick(self, sibling: ActorRef) -> None:
        for _ in range(PER_TICK):
            try:
                self.consumer.tell(Work(self.sent))
            except MailboxFull:
                self.refused += 1
            self.sent += 1
        await self.busy()
        self.max_depth = max(self.max_depth, self.snapshot().mailbox_depth)
        before = len(self.handled)
        self.clock.advance(TICK_S)
        await until(lambda: len(self.handled) == before + 1)
        assert await sibling.ask(Ping(), timeout=None) == self.sent // PER_TICK

    async def busy(self) -> None:
        """Wait until the consumer has begun its next message (its work's timer is set)."""
        await until(lambda: self.clock.pending > 0)

    async def drain(self) -> None:
        while self.snapshot().mailbox_depth or self.clock.pending:
            await self.busy()
            before = len(self.handled)
            self.clock.advance(TICK_S)
            await until(lambda b=before: len(self.handled) == b + 1)
        await until(
            lambda: (
                self.snapshot().received_total
                == self.snapshot().handled_total + self.snapshot().dropped_total
            )
        )

    def snapshot(self) -> ActorSnapshot:
        return snapshot_of(self.system, self.consumer)


def _coalesce_key(message: object) -> int | None:
    return message.n % KEYS if isinstance(message, Work) else None


def _mailbox(policy: OverflowPolicy) -> MailboxConfig:
    key = _coalesce_key if policy is OverflowPolicy.COALESCE else None
    return MailboxConfig(capacity=CAPACITY, policy=policy, key=key)


@pytest.mark.parametrize("policy", list(OverflowPolicy))
async def test_a_producer_ten_times_faster_is_held_to_the_capacity_and_every_message_counted(
    system: ActorSystem, clock: ManualClock, policy: OverflowPolicy
) -> None:
    handled: list[int] = []
    consumer = await system.spawn(partial(Slow, handled), name="slow", mailbox=_mailbox(policy))
    sibling = await system.spawn(Sibling, name="sibling")
    run = Overload(system, clock, consumer)
    run.handled = handled
    ticks = 300
    for _ in range(ticks):
        await run.tick(sibling)
    await run.drain()

    snapshot = run.snapshot()
    assert run.max_depth <= CAPACITY
    assert snapshot.mailbox_high_water <= CAPACITY
    assert snapshot.received_total + run.refused == run.sent == ticks * PER_TICK
    assert snapshot.received_total == snapshot.handled_total + snapshot.dropped_total
    assert snapshot.handled_total == len(handled)
    assert snapshot.failed_total == snapshot.restarts_total == 0
    if policy is not OverflowPolicy.COALESCE:
        assert handled == sorted(handled), "whatever is kept is handled in the order it was sent"
    if policy is OverflowPolicy.BACKPRESSURE:
        assert snapshot.dropped_total == 0
        assert run.refused == run.sent - len(handled) > 0
    else:
        assert run.refused == 0
        assert snapshot.dropped_total == run.sent - len(handled) > 0
    if policy is OverflowPolicy.DROP_NEWEST:
        assert handled[:CAPACITY] == list(range(CAPACITY)), "the first to arrive are kept"
    if policy is OverflowPolicy.DROP_OLDEST:
        assert handled[-CAPACITY:] == list(range(run.sent - CAPACITY, run.sent))
    if policy is OverflowPolicy.COALESCE:
        assert run.max_depth <= KEYS
        assert sorted(handled[-KEYS:]) == list(range(run.sent - KEYS, run.sent)), "latest wins"
        for key in range(KEYS):
            of_key = [n for n in handled if n % KEYS == key]
            assert of_key == sorted(of_key), "a key's messages are handled in the order sent"
    assert await sibling.ask(Ping(), timeout=None) == ticks + 1


async def test_memory_stays_flat_however_long_the_overload_lasts(
    system: ActorSystem, clock: ManualClock
) -> None:
    handled: list[int] = []
    consumer = await system.spawn(
        partial(Slow, handled), name="slow", mailbox=_mailbox(OverflowPolicy.DROP_OLDEST)
    )
    sibling = await system.spawn(Sibling, name="sibling")
    run = Overload(system, clock, consumer)
    run.handled = handled
    tracemalloc.start()
    try:
        for _ in range(200):  # warm-up: the mailbox fills, histograms exist
            await run.tick(sibling)
        handled.clear()
        warm, _ = tracemalloc.get_traced_memory()
        for _ in range(1000):  # 10,000 messages more, 9,000 of them dropped
            await run.tick(sibling)
            handled.clear()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    await run.drain()
    assert run.snapshot().dropped_total > 9_000
    # Kept messages would cost about 100 B each: 900 kB for the dropped ones.
    assert after - warm < 64 * 1024, f"grew {after - warm} B under overload"


async def test_a_sender_that_waits_for_room_is_slowed_to_the_consumer_s_pace_and_loses_nothing(
    system: ActorSystem, clock: ManualClock
) -> None:
    handled: list[int] = []
    consumer = await system.spawn(
        partial(Slow, handled), name="slow", mailbox=_mailbox(OverflowPolicy.BACKPRESSURE)
    )
    total = 3 * CAPACITY
    sent: list[int] = []

    async def produce() -> None:
        for n in range(total):
            await consumer.send(Work(n))
            sent.append(n)

    producer = asyncio.create_task(produce())
    await until(lambda: len(sent) == CAPACITY + 1)
    while len(handled) < total:
        before = len(handled)
        assert snapshot_of(system, consumer).mailbox_depth <= CAPACITY
        assert len(sent) - len(handled) <= CAPACITY + 1, "the producer runs ahead of the room"
        await until(lambda: clock.pending > 0)
        clock.advance(TICK_S)
        await until(lambda b=before: len(handled) == b + 1)
    await producer
    assert handled == list(range(total))
    assert snapshot_of(system, consumer).dropped_total == 0


async def test_the_dashboard_api_shows_what_an_overloaded_mailbox_dropped(tmp_path: Path) -> None:
    async with ActorSystem("overload") as system:
        handled: list[int] = []
        consumer = await system.spawn(
            partial(Slow, handled),
            name="slow",
            mailbox=_mailbox(OverflowPolicy.DROP_NEWEST),
        )
        settings = DashboardSettings(port=0, token="t" * 24, state_dir=tmp_path)
        dashboard = await system.spawn(partial(Dashboard, settings), name="dashboard")
        url = str(await dashboard.ask(GetDashboardUrl(), timeout=10)).rstrip("/")
        consumer.pause()  # a consumer that takes nothing: the most overloaded there is
        for n in range(10 * CAPACITY):
            consumer.tell(Work(n))
        async with aiohttp.ClientSession() as session, session.get(f"{url}/api/actors") as reply:
            actors = {entry["path"]: entry for entry in await reply.json()}
        entry = actors["/slow"]
        assert entry["dropped_total"] == 9 * CAPACITY
        assert entry["mailbox_depth"] == entry["mailbox_capacity"] == CAPACITY
        assert entry["received_total"] == 10 * CAPACITY
