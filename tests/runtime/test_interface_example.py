"""The kernel API example of INTERFACE.md, exactly as written there."""

from __future__ import annotations

import msgspec

from runtime import Actor, ActorSystem


class Add(msgspec.Struct, frozen=True):
    n: int


class Get(msgspec.Struct, frozen=True):
    pass


class Counter(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def on_add(self, msg: Add) -> None:
        self.total += msg.n

    async def on_get(self, msg: Get) -> int:
        return self.total


async def test_the_interface_example_counts_what_it_was_told() -> None:
    async with ActorSystem("demo") as system:
        counter = await system.spawn(Counter, name="counter")
        counter.tell(Add(2))
        assert await counter.ask(Get(), timeout=1.0) == 2
