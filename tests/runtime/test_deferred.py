"""A handler that returns a `Deferred` answers later and takes other messages meanwhile."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import pytest

from runtime import Actor, ActorDead, Deferred
from tests.runtime.support import snapshot_of, turns

if TYPE_CHECKING:
    from runtime import ActorSystem


class Reserve(msgspec.Struct, frozen=True):
    """Asks for the next number; answered once `Confirm` arrives."""


class Confirm(msgspec.Struct, frozen=True):
    pass


class Fail(msgspec.Struct, frozen=True):
    pass


class Instant(msgspec.Struct, frozen=True):
    value: int


class Count(msgspec.Struct, frozen=True):
    pass


class Ledger(Actor):
    """Hands out numbers, but only confirms them when told to, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.next = 0
        self.waiting: list[tuple[int, Deferred[int]]] = []
        self.counted = 0

    def on_reserve(self, msg: Reserve) -> Deferred[int]:
        reply: Deferred[int] = Deferred()
        self.waiting.append((self.next, reply))
        self.next += 1
        return reply

    def on_confirm(self, msg: Confirm) -> None:
        number, reply = self.waiting.pop(0)
        reply.resolve(number)

    def on_fail(self, msg: Fail) -> None:
        _, reply = self.waiting.pop(0)
        reply.reject(ValueError("refused"))

    async def on_instant(self, msg: Instant) -> Deferred[int]:
        reply: Deferred[int] = Deferred()
        reply.resolve(msg.value)
        return reply

    def on_count(self, msg: Count) -> int:
        self.counted += 1
        return self.counted


async def test_a_deferred_reply_arrives_when_resolved_and_the_actor_handles_others_meanwhile(
    system: ActorSystem,
) -> None:
    ref = await system.spawn(Ledger, name="ledger")
    first = ref.ask(Reserve(), timeout=0.5)
    second = ref.ask(Reserve(), timeout=0.5)
    assert await ref.ask(Count(), timeout=0.5) == 1  # not held up by the two waiting asks
    await turns()
    assert not first.done()
    assert not second.done()
    ref.tell(Confirm())
    assert await first == 0
    assert not second.done()
    ref.tell(Confirm())
    assert await second == 1


async def test_a_rejected_deferred_raises_in_the_asker_and_the_actor_does_not_fail(
    system: ActorSystem,
) -> None:
    ref = await system.spawn(Ledger, name="ledger")
    waiting = ref.ask(Reserve(), timeout=0.5)
    await turns()
    ref.tell(Fail())
    with pytest.raises(ValueError, match="refused"):
        await waiting
    snapshot = snapshot_of(system, ref)
    assert (snapshot.failed_total, snapshot.restarts_total) == (0, 0)


async def test_a_deferred_resolved_before_it_is_returned_answers_at_once(
    system: ActorSystem,
) -> None:
    ref = await system.spawn(Ledger, name="ledger")
    assert await ref.ask(Instant(7), timeout=0.5) == 7


async def test_a_deferred_still_open_when_the_actor_restarts_fails_its_asker_with_actor_dead(
    system: ActorSystem,
) -> None:
    ref = await system.spawn(Ledger, name="ledger")
    waiting = ref.ask(Reserve(), timeout=0.5)
    await turns()
    await ref.restart()
    with pytest.raises(ActorDead, match="/ledger stopped before it answered"):
        await waiting


async def test_a_deferred_returned_to_a_tell_is_ignored(system: ActorSystem) -> None:
    ref = await system.spawn(Ledger, name="ledger")
    ref.tell(Reserve())
    assert await ref.ask(Count(), timeout=0.5) == 1
    ref.tell(Confirm())
    assert await ref.ask(Count(), timeout=0.5) == 2
    assert snapshot_of(system, ref).failed_total == 0
