"""The event stream: delivery by type and base type, unsubscribing, slow subscribers."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from messages.control import Ping
from runtime import Actor, ActorSystem, MailboxConfig
from tests.runtime.support import snapshot_of, until

if TYPE_CHECKING:
    from runtime import ActorRef


class Price(msgspec.Struct, frozen=True):
    value: int


class SpotPrice(Price, frozen=True):
    pass


class Volume(msgspec.Struct, frozen=True):
    amount: int


class Listener(Actor):
    def __init__(self, heard: list[Any]) -> None:
        super().__init__()
        self.heard = heard

    def on_price(self, message: Price) -> None:
        self.heard.append(message)

    def on_volume(self, message: Volume) -> None:
        self.heard.append(message)


async def listener(system: ActorSystem, name: str, **options: Any) -> tuple[ActorRef, list[Any]]:
    heard: list[Any] = []
    return await system.spawn(partial(Listener, heard), name=name, **options), heard


async def settle(*refs: ActorRef) -> None:
    """Wait until every ref has handled whatever was published to it so far."""
    for ref in refs:
        await ref.ask(Ping())


async def test_publish_delivers_to_every_subscriber_of_the_type(system: ActorSystem) -> None:
    first, first_heard = await listener(system, "first")
    second, second_heard = await listener(system, "second")
    other, other_heard = await listener(system, "other")
    system.events.subscribe(Price, first)
    system.events.subscribe(Price, second)
    system.events.subscribe(Volume, other)
    assert system.events.publish(Price(1)) == 2
    await settle(first, second, other)
    assert (first_heard, second_heard, other_heard) == ([Price(1)], [Price(1)], [])


async def test_a_subscriber_of_a_base_type_receives_its_subclasses(system: ActorSystem) -> None:
    ref, heard = await listener(system, "listener")
    system.events.subscribe(Price, ref)
    assert system.events.publish(SpotPrice(2)) == 1
    await settle(ref)
    assert heard == [SpotPrice(2)]


async def test_a_subscriber_of_a_subclass_does_not_receive_its_base_type(
    system: ActorSystem,
) -> None:
    ref, heard = await listener(system, "listener")
    system.events.subscribe(SpotPrice, ref)
    assert system.events.publish(Price(1)) == 0
    await settle(ref)
    assert heard == []


async def test_a_subscriber_of_a_type_and_its_base_receives_one_copy(system: ActorSystem) -> None:
    ref, heard = await listener(system, "listener")
    system.events.subscribe(Price, ref)
    system.events.subscribe(SpotPrice, ref)
    system.events.subscribe(SpotPrice, ref)
    assert system.events.publish(SpotPrice(3)) == 1
    await settle(ref)
    assert heard == [SpotPrice(3)]


async def test_an_unsubscribed_actor_receives_nothing_more(system: ActorSystem) -> None:
    ref, heard = await listener(system, "listener")
    system.events.subscribe(Price, ref)
    system.events.publish(Price(1))
    system.events.unsubscribe(Price, ref)
    assert system.events.publish(Price(2)) == 0
    assert not system.events.has_subscribers(Price)
    await settle(ref)
    assert heard == [Price(1)]


async def test_a_subscriber_added_after_a_publish_receives_the_next_one(
    system: ActorSystem,
) -> None:
    first, first_heard = await listener(system, "first")
    late, late_heard = await listener(system, "late")
    system.events.subscribe(Price, first)
    system.events.publish(SpotPrice(1))
    system.events.subscribe(Price, late)
    assert system.events.publish(SpotPrice(2)) == 2
    await settle(first, late)
    assert (first_heard, late_heard) == ([SpotPrice(1), SpotPrice(2)], [SpotPrice(2)])


async def test_a_stopped_subscriber_is_unsubscribed(system: ActorSystem) -> None:
    ref, _ = await listener(system, "listener")
    system.events.subscribe(Price, ref)
    system.events.subscribe(Volume, ref)
    await ref.stop()
    assert not system.events.has_subscribers(Price)
    assert not system.events.has_subscribers(Volume)
    before = system.dead_letters_total
    assert system.events.publish(Price(1)) == 0
    assert system.dead_letters_total == before


async def test_a_full_backpressure_subscriber_misses_the_event_without_stalling_the_publisher(
    system: ActorSystem,
) -> None:
    slow, slow_heard = await listener(system, "slow", mailbox=MailboxConfig(capacity=1))
    fast, fast_heard = await listener(system, "fast")
    system.events.subscribe(Price, slow)
    system.events.subscribe(Price, fast)
    slow.pause()
    slow.tell(Volume(1))
    assert system.events.publish(Price(1)) == 1
    assert snapshot_of(system, slow).dropped_total == 1
    slow.resume()
    await until(lambda: snapshot_of(system, slow).mailbox_depth == 0)
    await settle(slow, fast)
    assert (slow_heard, fast_heard) == ([Volume(1)], [Price(1)])
