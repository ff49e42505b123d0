"""Two actors play ping-pong; a third keeps the score.

Run it: ``.venv/bin/python examples/ping_pong.py [HITS]``.

Each ``Player`` hits every ``Ball`` back to whoever hit it (a ref travels in
the message), until the rally reaches the given number of hits; then it tells
the ``Scorer``. The program outside the actors learns the result through a
future that it handed to the scorer's factory.
"""

from __future__ import annotations

import asyncio
import sys
import time
from functools import partial

import msgspec

from runtime import Actor, ActorRef, ActorSystem
from runtime.logs import configure_logging


class Ball(msgspec.Struct, frozen=True):
    """The ball: how often it was hit, and by whom last."""

    hits: int
    hit_by: ActorRef


class RallyOver(msgspec.Struct, frozen=True):
    hits: int
    last: str


class Player(Actor):
    def __init__(self, target: int, scorer: ActorRef) -> None:
        super().__init__()
        self.target = target
        self.scorer = scorer

    def on_ball(self, ball: Ball) -> None:
        if ball.hits >= self.target:
            self.scorer.tell(RallyOver(hits=ball.hits, last=self.context.name))
            return
        ball.hit_by.tell(Ball(hits=ball.hits + 1, hit_by=self.context.self_ref))


class Scorer(Actor):
    def __init__(self, result: asyncio.Future[RallyOver]) -> None:
        super().__init__()
        self.result = result

    def on_rally_over(self, message: RallyOver) -> None:
        self.result.set_result(message)


async def main(target: int) -> None:
    result: asyncio.Future[RallyOver] = asyncio.get_running_loop().create_future()
    async with ActorSystem("ping-pong") as system:
        scorer = await system.spawn(partial(Scorer, result), name="scorer")
        ping = await system.spawn(partial(Player, target, scorer), name="ping")
        pong = await system.spawn(partial(Player, target, scorer), name="pong")
        started = time.perf_counter()
        pong.tell(Ball(hits=1, hit_by=ping))  # ping serves
        over = await asyncio.wait_for(result, timeout=30)
        elapsed = time.perf_counter() - started
    print(
        f"ping-pong: {over.hits} hits, the last by {over.last}, "
        f"in {elapsed * 1000:.1f} ms ({over.hits / elapsed:,.0f} messages/s)"
    )


if __name__ == "__main__":
    configure_logging("warning")
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
