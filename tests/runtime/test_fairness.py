"""Fairness: an actor with a flooded mailbox yields after each batch of ``throughput``."""

from __future__ import annotations

from functools import partial

import msgspec
import pytest

from messages.control import Ping
from runtime import Actor, ActorSystem, MailboxConfig

FLOOD = 5000


class Item(msgspec.Struct, frozen=True):
    n: int


class Labeller(Actor):
    """Appends its label to a log shared with other labellers, one entry per message."""

    def __init__(self, log: list[str], label: str) -> None:
        super().__init__()
        self.record = log
        self.label = label

    def on_item(self, message: Item) -> None:
        self.record.append(self.label)


class AsyncLabeller(Labeller):
    async def on_item(self, message: Item) -> None:
        self.record.append(self.label)


@pytest.mark.parametrize("throughput", [1, 64, 500])
@pytest.mark.parametrize("flooded_class", [Labeller, AsyncLabeller])
async def test_a_flooded_actor_does_not_starve_another_actor(
    system: ActorSystem, throughput: int, flooded_class: type[Labeller]
) -> None:
    log: list[str] = []
    flooded = await system.spawn(
        partial(flooded_class, log, "flood"),
        name="flooded",
        throughput=throughput,
        mailbox=MailboxConfig(capacity=FLOOD + 1),
    )
    other = await system.spawn(partial(Labeller, log, "other"), name="other")
    for n in range(FLOOD):
        flooded.tell(Item(n))
    other.tell(Item(0))
    await other.ask(Ping())
    await flooded.ask(Ping())
    assert len(log) == FLOOD + 1
    assert log.index("other") <= throughput


async def test_the_caller_gets_a_reply_from_another_actor_before_a_flood_is_drained(
    system: ActorSystem,
) -> None:
    log: list[str] = []
    flooded = await system.spawn(
        partial(Labeller, log, "flood"), name="flooded", mailbox=MailboxConfig(capacity=FLOOD)
    )
    other = await system.spawn(partial(Labeller, log, "other"), name="other")
    for n in range(FLOOD):
        flooded.tell(Item(n))
    await other.ask(Item(0))
    assert "other" in log
    assert len(log) < FLOOD
