"""Bounded mailboxes: overflow policies, the coalescing queue, the priority lane, counters."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from messages.control import Ping
from runtime import (
    Actor,
    ActorSystem,
    MailboxConfig,
    MailboxFull,
    MessageDropped,
    OverflowPolicy,
    Terminated,
)
from runtime._mailbox import CoalescingQueue, Envelope
from tests.runtime.support import snapshot_of, until

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Hashable

    from runtime import ActorRef


class Item(msgspec.Struct, frozen=True):
    n: int


class Quote(msgspec.Struct, frozen=True):
    pool: str | None
    price: int


class Unknown(msgspec.Struct, frozen=True):
    pass


class Block(msgspec.Struct, frozen=True):
    pass


def by_pool(message: Any) -> Hashable | None:
    """Coalesce quotes by pool; any other message (a `Ping`, say) never coalesces."""
    return message.pool if isinstance(message, Quote) else None


class Recorder(Actor):
    """Records what it handles, in order; `Block` waits for the gate; watches ``target``."""

    def __init__(
        self,
        log: list[Any],
        gate: asyncio.Event | None = None,
        target: ActorRef | None = None,
    ) -> None:
        super().__init__()
        self.record = log
        self.gate = gate
        self.target = target

    def on_start(self) -> None:
        if self.target is not None:
            self.context.watch(self.target)

    def on_item(self, message: Item) -> None:
        self.record.append(message.n)

    def on_quote(self, message: Quote) -> None:
        self.record.append((message.pool, message.price))

    async def on_block(self, message: Block) -> None:
        assert self.gate is not None
        self.record.append("block")
        await self.gate.wait()

    def on_terminated(self, message: Terminated) -> None:
        self.record.append(f"terminated {message.ref.path}")


class Idle(Actor):
    pass


async def spawn_paused(
    system: ActorSystem, log: list[Any], mailbox: MailboxConfig, **options: Any
) -> ActorRef:
    """A `Recorder` that takes nothing until resumed, so its mailbox fills deterministically."""
    ref = await system.spawn(partial(Recorder, log, **options), name="recorder", mailbox=mailbox)
    ref.pause()
    return ref


def coalescing(capacity: int) -> MailboxConfig:
    return MailboxConfig(capacity=capacity, policy=OverflowPolicy.COALESCE, key=by_pool)


# -- backpressure ------------------------------------------------------------


async def test_a_full_backpressure_mailbox_refuses_tells_and_asks(system: ActorSystem) -> None:
    log: list[Any] = []
    ref = await spawn_paused(system, log, MailboxConfig(capacity=3))
    for n in range(3):
        ref.tell(Item(n))
    with pytest.raises(MailboxFull, match="mailbox of /recorder is full"):
        ref.tell(Item(3))
    with pytest.raises(MailboxFull):
        ref.ask(Item(4))
    status = snapshot_of(system, ref)
    assert (status.mailbox_depth, status.dropped_total) == (3, 0)
    ref.resume()
    await until(lambda: len(log) == 3)
    await ref.ask(Ping())
    assert log == [0, 1, 2]


# -- drop_oldest -------------------------------------------------------------


async def test_drop_oldest_drops_the_oldest_queued_message_to_make_room(
    system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref = await spawn_paused(
        system, log, MailboxConfig(capacity=3, policy=OverflowPolicy.DROP_OLDEST)
    )
    for n in range(5):
        ref.tell(Item(n))
    status = snapshot_of(system, ref)
    assert (status.mailbox_depth, status.dropped_total) == (3, 2)
    ref.resume()
    await until(lambda: len(log) == 3)
    await ref.ask(Ping())
    assert log == [2, 3, 4]


async def test_an_ask_dropped_as_the_oldest_fails_with_message_dropped(
    system: ActorSystem,
) -> None:
    ref = await spawn_paused(
        system, [], MailboxConfig(capacity=2, policy=OverflowPolicy.DROP_OLDEST)
    )
    oldest = ref.ask(Item(0))
    ref.tell(Item(1))
    assert not oldest.done()
    ref.tell(Item(2))
    with pytest.raises(MessageDropped, match="Item dropped by /recorder's mailbox"):
        await oldest


# -- drop_newest -------------------------------------------------------------


async def test_drop_newest_drops_the_arriving_message(system: ActorSystem) -> None:
    log: list[Any] = []
    ref = await spawn_paused(
        system, log, MailboxConfig(capacity=2, policy=OverflowPolicy.DROP_NEWEST)
    )
    for n in range(4):
        ref.tell(Item(n))
    with pytest.raises(MessageDropped):
        await ref.ask(Item(4))
    status = snapshot_of(system, ref)
    assert (status.mailbox_depth, status.dropped_total) == (2, 3)
    ref.resume()
    await until(lambda: len(log) == 2)
    await ref.ask(Ping())
    assert log == [0, 1]


# -- coalesce ----------------------------------------------------------------


async def test_coalesce_replaces_a_queued_message_of_the_same_key_in_its_place(
    system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref = await spawn_paused(system, log, coalescing(10))
    ref.tell(Quote("a", 1))
    ref.tell(Quote("b", 1))
    ref.tell(Quote("a", 2))
    ref.tell(Quote("c", 1))
    ref.tell(Quote("a", 3))
    status = snapshot_of(system, ref)
    assert (status.mailbox_depth, status.dropped_total) == (3, 2)
    ref.resume()
    await ref.ask(Ping())
    assert log == [("a", 3), ("b", 1), ("c", 1)]


async def test_a_replaced_ask_fails_with_message_dropped(system: ActorSystem) -> None:
    log: list[Any] = []
    ref = await spawn_paused(system, log, coalescing(10))
    replaced = ref.ask(Quote("a", 1))
    newer = ref.ask(Quote("a", 2))
    with pytest.raises(MessageDropped):
        await replaced
    ref.resume()
    await newer
    assert log == [("a", 2)]


async def test_messages_whose_key_is_none_never_coalesce(system: ActorSystem) -> None:
    log: list[Any] = []
    ref = await spawn_paused(system, log, coalescing(10))
    ref.tell(Quote(None, 1))
    ref.tell(Quote(None, 2))
    ref.tell(Item(3))
    ref.resume()
    await ref.ask(Ping())
    assert log == [(None, 1), (None, 2), 3]
    assert snapshot_of(system, ref).dropped_total == 0


async def test_a_new_key_at_a_full_coalescing_mailbox_drops_the_oldest(
    system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref = await spawn_paused(system, log, coalescing(2))
    ref.tell(Quote("a", 1))
    ref.tell(Quote("b", 1))
    ref.tell(Quote("c", 1))
    assert snapshot_of(system, ref).dropped_total == 1
    ref.resume()
    await until(lambda: len(log) == 2)
    assert log == [("b", 1), ("c", 1)]


async def test_a_known_key_at_a_full_coalescing_mailbox_replaces_and_drops_nothing_else(
    system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref = await spawn_paused(system, log, coalescing(2))
    ref.tell(Quote("a", 1))
    ref.tell(Quote("b", 1))
    ref.tell(Quote("a", 2))
    status = snapshot_of(system, ref)
    assert (status.mailbox_depth, status.dropped_total) == (2, 1)
    ref.resume()
    await until(lambda: len(log) == 2)
    assert log == [("a", 2), ("b", 1)]


# -- the coalescing queue on its own -----------------------------------------


def envelope(message: Any) -> Envelope:
    return (message, None, 0, None)


def test_the_coalescing_queue_is_first_in_first_out_for_distinct_keys() -> None:
    queue = CoalescingQueue(by_pool, lambda _: None)
    for pool in "abc":
        queue.append(envelope(Quote(pool, 1)))
    assert len(queue) == 3
    assert [queue.popleft()[0].pool for _ in range(3)] == ["a", "b", "c"]
    assert not queue


def test_the_coalescing_queue_replaces_in_place_and_reports_the_replaced_envelope() -> None:
    replaced: list[Envelope] = []
    queue = CoalescingQueue(by_pool, replaced.append)
    first = envelope(Quote("a", 1))
    queue.append(first)
    queue.append(envelope(Quote("b", 1)))
    queue.append(envelope(Quote("a", 2)))
    assert replaced == [first]
    assert len(queue) == 2
    assert [queue.popleft()[0] for _ in range(2)] == [Quote("a", 2), Quote("b", 1)]


def test_the_coalescing_queue_never_coalesces_a_key_of_none() -> None:
    replaced: list[Envelope] = []
    queue = CoalescingQueue(by_pool, replaced.append)
    queue.append(envelope(Quote(None, 1)))
    queue.append(envelope(Quote(None, 2)))
    assert not queue.has_key_of(Quote(None, 3))
    assert (len(queue), replaced) == (2, [])
    assert [queue.popleft()[0].price for _ in range(2)] == [1, 2]


def test_the_coalescing_queue_knows_which_keys_it_holds() -> None:
    queue = CoalescingQueue(by_pool, lambda _: None)
    queue.append(envelope(Quote("a", 1)))
    assert queue.has_key_of(Quote("a", 9))
    assert not queue.has_key_of(Quote("b", 9))
    queue.popleft()
    assert not queue.has_key_of(Quote("a", 9))


def test_a_key_taken_out_of_the_coalescing_queue_goes_to_the_back_when_it_returns() -> None:
    queue = CoalescingQueue(by_pool, lambda _: None)
    queue.append(envelope(Quote("a", 1)))
    queue.append(envelope(Quote("b", 1)))
    queue.popleft()
    queue.append(envelope(Quote("a", 2)))
    assert [queue.popleft()[0] for _ in range(2)] == [Quote("b", 1), Quote("a", 2)]


def test_clearing_the_coalescing_queue_forgets_its_keys() -> None:
    queue = CoalescingQueue(by_pool, lambda _: None)
    queue.append(envelope(Quote("a", 1)))
    queue.clear()
    assert (len(queue), bool(queue), queue.has_key_of(Quote("a", 2))) == (0, False, False)


# -- configuration -----------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"capacity": 0},
        {"policy": OverflowPolicy.COALESCE},
        {"policy": OverflowPolicy.DROP_OLDEST, "key": by_pool},
    ],
)
def test_an_invalid_mailbox_config_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"capacity|key function"):
        MailboxConfig(**options)


# -- the priority lane ---------------------------------------------------------


async def test_a_terminated_at_a_full_paused_mailbox_is_neither_refused_nor_dropped(
    system: ActorSystem,
) -> None:
    log: list[Any] = []
    watched = await system.spawn(Idle, name="watched")
    ref = await spawn_paused(system, log, MailboxConfig(capacity=2), target=watched)
    ref.tell(Item(1))
    ref.tell(Item(2))
    await watched.stop()
    ref.resume()
    await until(lambda: len(log) == 3)
    assert log == ["terminated /watched", 1, 2]
    assert snapshot_of(system, ref).dropped_total == 0


async def test_the_priority_lane_flows_while_the_actor_is_paused(system: ActorSystem) -> None:
    log: list[Any] = []
    watched = await system.spawn(Idle, name="watched")
    ref = await spawn_paused(system, log, MailboxConfig(capacity=1), target=watched)
    ref.tell(Item(1))
    await watched.stop()
    await until(lambda: log == ["terminated /watched"])
    assert snapshot_of(system, ref).mailbox_depth == 1


async def test_a_busy_actor_takes_the_priority_lane_before_messages_queued_earlier(
    system: ActorSystem, gate: asyncio.Event
) -> None:
    log: list[Any] = []
    watched = await system.spawn(Idle, name="watched")
    ref = await system.spawn(
        partial(Recorder, log, gate, watched), name="recorder", mailbox=MailboxConfig(capacity=3)
    )
    ref.tell(Block())
    await until(lambda: log == ["block"])
    ref.tell(Item(1))
    ref.tell(Item(2))
    await watched.stop()
    gate.set()
    await until(lambda: len(log) == 4)
    assert log == ["block", "terminated /watched", 1, 2]


# -- counters ----------------------------------------------------------------


async def test_the_snapshot_reports_the_high_water_mark_and_message_totals(
    system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref = await spawn_paused(system, log, MailboxConfig(capacity=10))
    for n in range(5):
        ref.tell(Item(n))
    ref.resume()
    await until(lambda: len(log) == 5)
    ref.tell(Item(5))
    await until(lambda: len(log) == 6)
    status = snapshot_of(system, ref)
    assert status.mailbox_depth == 0
    assert status.mailbox_high_water == 5
    assert (status.received_total, status.handled_total) == (6, 6)


async def test_the_high_water_mark_is_never_below_the_current_depth(
    system: ActorSystem,
) -> None:
    ref = await spawn_paused(system, [], MailboxConfig(capacity=10))
    for n in range(3):
        ref.tell(Item(n))
    status = snapshot_of(system, ref)
    assert (status.mailbox_depth, status.mailbox_high_water) == (3, 3)


async def test_received_counts_every_arrival_and_handled_only_what_a_handler_took(
    system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref = await spawn_paused(
        system, log, MailboxConfig(capacity=3, policy=OverflowPolicy.DROP_NEWEST)
    )
    ref.tell(Item(1))
    ref.tell(Unknown())
    ref.tell(Item(2))
    ref.tell(Item(3))
    status = snapshot_of(system, ref)
    assert (status.received_total, status.handled_total, status.dropped_total) == (4, 0, 1)
    ref.resume()
    await until(lambda: len(log) == 2)
    status = snapshot_of(system, ref)
    assert (status.received_total, status.handled_total, status.dropped_total) == (4, 2, 1)
    assert status.mailbox_depth == 0
