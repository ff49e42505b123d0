"""Handler dispatch: typed ``on_*`` methods, built-in handlers, one message at a time."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

import msgspec
import pytest

from messages.control import GetStatus, Pause, Ping, Pong
from messages.health import ActorSnapshot
from runtime import Actor, ActorSystem, DeadLetter, InvalidActor, NoHandler
from tests.runtime.support import snapshot_of, turns, until

if TYPE_CHECKING:
    from collections.abc import Sequence

    from messages.control import Shutdown
    from runtime import ActorRef


class Add(msgspec.Struct, frozen=True):
    n: int


class Get(msgspec.Struct, frozen=True):
    pass


class Unknown(msgspec.Struct, frozen=True):
    pass


class Reading(msgspec.Struct, frozen=True):
    value: int


class Temperature(Reading, frozen=True):
    pass


class Pressure(Reading, frozen=True):
    pass


class Square(msgspec.Struct, frozen=True):
    side: int


class Circle(msgspec.Struct, frozen=True):
    radius: int


class Work(msgspec.Struct, frozen=True):
    n: int


class Counter(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def on_add(self, message: Add) -> None:
        self.total += message.n

    async def on_get(self, message: Get) -> int:
        return self.total


class SlowCounter(Counter):
    async def on_get(self, message: Get) -> int:
        await asyncio.sleep(0)  # wait-ok: one loop turn
        return self.total


class Shapes(Actor):
    def on_shape(self, message: Square | Circle) -> str:
        return type(message).__name__


class Readings(Actor):
    def on_reading(self, message: Reading) -> str:
        return "reading"

    def on_pressure(self, message: Pressure) -> str:
        return "pressure"


class Pair(Actor):
    def on_pair(self, message: Add) -> Sequence[int]:
        return (message.n, message.n)


class Relay(Actor):
    """Tells whatever it is asked to relay to another actor."""

    def __init__(self, target: ActorRef) -> None:
        super().__init__()
        self.target = target

    def on_unknown(self, message: Unknown) -> None:
        self.target.tell(Get())


class DeadLetterLog(Actor):
    def __init__(self, seen: list[DeadLetter]) -> None:
        super().__init__()
        self.seen = seen

    def on_dead_letter(self, message: DeadLetter) -> None:
        self.seen.append(message)


class Gated(Actor):
    """Each `Work` records its start, waits for the gate to open, then records its end."""

    def __init__(self, gate: asyncio.Event, log: list[str]) -> None:
        super().__init__()
        self.gate = gate
        self.record = log

    async def on_work(self, message: Work) -> int:
        self.record.append(f"start {message.n}")
        await self.gate.wait()
        self.record.append(f"end {message.n}")
        return message.n


class Unannotated(Actor):
    def on_thing(self, message) -> None:  # noqa: ANN001
        pass


class TwoParameters(Actor):
    def on_pair(self, first: Add, second: Get) -> None:
        pass


class NoParameter(Actor):
    def on_nothing(self) -> None:
        pass


class DuplicateHandlers(Actor):
    def on_add(self, message: Add) -> None:
        pass

    def on_add_or_get(self, message: Add | Get) -> None:
        pass


class NotAClass(Actor):
    def on_numbers(self, message: list[int]) -> None:
        pass


class UnresolvableParameter(Actor):
    def on_shutdown(self, message: Shutdown) -> None:
        pass


async def test_sync_and_async_handlers_both_dispatch_by_annotation(system: ActorSystem) -> None:
    counter = await system.spawn(Counter, name="counter")
    counter.tell(Add(2))
    counter.tell(Add(3))
    assert await counter.ask(Get()) == 5


async def test_an_async_handler_that_suspends_still_replies(system: ActorSystem) -> None:
    counter = await system.spawn(SlowCounter, name="counter")
    counter.tell(Add(4))
    assert await counter.ask(Get()) == 4
    assert await counter.ask(Get()) == 4


async def test_a_union_annotated_handler_takes_every_member(system: ActorSystem) -> None:
    shapes = await system.spawn(Shapes, name="shapes")
    assert await shapes.ask(Square(side=1)) == "Square"
    assert await shapes.ask(Circle(radius=1)) == "Circle"


async def test_a_message_subclass_dispatches_to_its_base_class_handler(
    system: ActorSystem,
) -> None:
    readings = await system.spawn(Readings, name="readings")
    assert await readings.ask(Temperature(value=20)) == "reading"
    assert await readings.ask(Reading(value=1)) == "reading"


async def test_the_handler_of_the_nearest_class_wins(system: ActorSystem) -> None:
    readings = await system.spawn(Readings, name="readings")
    assert await readings.ask(Pressure(value=1013)) == "pressure"


@pytest.mark.parametrize(
    ("actor_class", "complaint"),
    [
        (Unannotated, "must annotate"),
        (TwoParameters, "exactly one message parameter"),
        (NoParameter, "exactly one message parameter"),
        (DuplicateHandlers, "both handle Add"),
        (NotAClass, "not a class"),
        (UnresolvableParameter, "cannot resolve"),
    ],
)
async def test_an_actor_with_an_invalid_handler_cannot_be_spawned(
    system: ActorSystem, actor_class: type[Actor], complaint: str
) -> None:
    with pytest.raises(InvalidActor, match=complaint):
        await system.spawn(actor_class, name="invalid")
    assert system.lookup("/invalid") is None


def test_creating_an_actor_outside_spawn_raises_invalid_actor() -> None:
    with pytest.raises(InvalidActor, match="must be created by spawn"):
        Counter()


async def test_a_return_annotation_imported_only_for_type_checking_does_not_break_dispatch(
    system: ActorSystem,
) -> None:
    pair = await system.spawn(Pair, name="pair")
    assert await pair.ask(Add(3)) == (3, 3)


async def test_a_message_without_a_handler_is_counted_as_a_dead_letter(
    system: ActorSystem,
) -> None:
    counter = await system.spawn(Counter, name="counter")
    before = system.dead_letters_total
    counter.tell(Unknown())
    counter.tell(Add(1))
    assert await counter.ask(Get()) == 1
    assert system.dead_letters_total == before + 1
    assert snapshot_of(system, counter).state == "running"


async def test_asking_a_message_without_a_handler_raises_no_handler(system: ActorSystem) -> None:
    counter = await system.spawn(Counter, name="counter")
    with pytest.raises(NoHandler, match="/counter has no handler for Unknown"):
        await counter.ask(Unknown())
    counter.tell(Add(1))
    assert await counter.ask(Get()) == 1


async def test_a_dead_letter_is_published_to_its_subscribers(system: ActorSystem) -> None:
    seen: list[DeadLetter] = []
    dead_letters = await system.spawn(partial(DeadLetterLog, seen), name="dead-letters")
    system.events.subscribe(DeadLetter, dead_letters)
    counter = await system.spawn(Counter, name="counter")
    counter.tell(Unknown())
    await counter.ask(Ping())
    await dead_letters.ask(Ping())
    assert seen == [
        DeadLetter(message=Unknown(), sender=None, target="/counter", reason="no handler"),
    ]


async def test_a_dead_letter_names_the_actor_that_sent_the_message(system: ActorSystem) -> None:
    seen: list[DeadLetter] = []
    dead_letters = await system.spawn(partial(DeadLetterLog, seen), name="dead-letters")
    system.events.subscribe(DeadLetter, dead_letters)
    shapes = await system.spawn(Shapes, name="shapes")
    relay = await system.spawn(partial(Relay, shapes), name="relay")
    relay.tell(Unknown())
    await relay.ask(Ping())
    await shapes.ask(Ping())
    await dead_letters.ask(Ping())
    assert seen == [
        DeadLetter(message=Get(), sender="/relay", target="/shapes", reason="no handler")
    ]


async def test_every_actor_answers_ping_with_its_path(system: ActorSystem) -> None:
    counter = await system.spawn(Counter, name="counter")
    assert await counter.ask(Ping()) == Pong(path="/counter")


async def test_every_actor_answers_get_status_with_its_snapshot(system: ActorSystem) -> None:
    counter = await system.spawn(Counter, name="counter")
    status = await counter.ask(GetStatus())
    assert isinstance(status, ActorSnapshot)
    assert (status.path, status.actor, status.state, status.supervisor) == (
        "/counter",
        "Counter",
        "running",
        "/",
    )


async def test_a_pause_told_through_the_user_lane_holds_the_messages_after_it(
    system: ActorSystem,
) -> None:
    counter = await system.spawn(Counter, name="counter")
    counter.tell(Add(1))
    counter.tell(Pause())
    counter.tell(Add(10))
    await until(lambda: snapshot_of(system, counter).paused)
    await turns()
    assert snapshot_of(system, counter).mailbox_depth == 1
    counter.resume()
    assert await counter.ask(Get()) == 11


async def test_an_async_handler_that_awaits_holds_back_the_next_message(
    system: ActorSystem, gate: asyncio.Event
) -> None:
    log: list[str] = []
    gated = await system.spawn(partial(Gated, gate, log), name="gated")
    first = gated.ask(Work(1))
    second = gated.ask(Work(2))
    await until(lambda: log == ["start 1"])
    await turns()
    assert log == ["start 1"]
    assert not second.done()
    gate.set()
    assert await first == 1
    assert await second == 2
    assert log == ["start 1", "end 1", "start 2", "end 2"]


async def test_a_tell_while_an_async_handler_awaits_waits_its_turn(
    system: ActorSystem, gate: asyncio.Event
) -> None:
    log: list[str] = []
    gated = await system.spawn(partial(Gated, gate, log), name="gated")
    first = gated.ask(Work(1))
    await until(lambda: log == ["start 1"])
    gated.tell(Work(2))
    await turns()
    assert log == ["start 1"]
    gate.set()
    await first
    assert await gated.ask(Work(3)) == 3
    assert log == ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]
