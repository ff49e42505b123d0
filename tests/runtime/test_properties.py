"""Random interleavings of tell, ask, crash, restart, stop, pause and resume against one actor.

Whatever the order, an acknowledged message was handled exactly once, no message is
handled twice, no instance overlaps the next, and every ask resolves within a bounded
number of loop turns.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, get_args

import msgspec
from hypothesis import example, given, settings
from hypothesis import strategies as st

from runtime import Actor, ActorDead, ActorSystem, Backoff, ManualClock, SupervisorPolicy
from tests.runtime.support import until

if TYPE_CHECKING:
    from runtime import ActorRef

Kind = Literal[
    "tell",
    "ask",
    "crash",
    "ask_crash",
    "quit",
    "restart",
    "stop",
    "respawn",
    "pause",
    "resume",
    "turns",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
SETTLE_TURNS = 5000
"""Loop turns within which every ask resolves and every told job runs, once resumed."""


class Job(msgspec.Struct, frozen=True):
    id: int
    slow: bool


class Crash(msgspec.Struct, frozen=True):
    pass


class Quit(msgspec.Struct, frozen=True):
    pass


class Boom(Exception):
    pass


class Lives:
    """How many instances of each actor are alive; instances of one actor must never overlap."""

    def __init__(self) -> None:
        self.live: Counter[str] = Counter()
        self.overlaps: list[str] = []

    def started(self, path: str) -> None:
        if self.live[path]:
            self.overlaps.append(path)
        self.live[path] += 1

    def stopped(self, path: str) -> None:
        self.live[path] -= 1


@dataclass(frozen=True)
class Hooks:
    """Whether the lifecycle hooks give the loop a turn, which opens them to interleavings."""

    start_yields: bool
    stop_yields: bool


class Recorder(Actor):
    """Records the id of every job it handles in a list that outlives its instances."""

    def __init__(self, handled: list[int], lives: Lives, hooks: Hooks) -> None:
        super().__init__()
        self.handled = handled
        self.lives = lives
        self.hooks = hooks

    async def on_start(self) -> None:
        self.lives.started(self.context.path)
        if self.hooks.start_yields:
            await asyncio.sleep(0)  # wait-ok: one loop turn

    async def on_stop(self) -> None:
        if self.hooks.stop_yields:
            await asyncio.sleep(0)  # wait-ok: one loop turn
        self.lives.stopped(self.context.path)

    async def on_job(self, message: Job) -> int:
        if message.slow:
            await asyncio.sleep(0)  # wait-ok: one loop turn
        self.handled.append(message.id)
        return message.id

    def on_crash(self, message: Crash) -> None:
        raise Boom

    def on_quit(self, message: Quit) -> None:
        self.context.stop()


class Run:
    """One example: a fresh system, the operations applied in order, then the checks."""

    def __init__(self, system: ActorSystem, hooks: Hooks) -> None:
        self.system = system
        self.hooks = hooks
        self.handled: list[int] = []
        self.lives = Lives()
        self.ids = itertools.count()
        self.names = itertools.count(1)
        self.ref: ActorRef | None = None
        self.asks: list[tuple[ActorRef, int, asyncio.Future[Any]]] = []
        self.told: list[tuple[ActorRef, int]] = []
        self.crash_asks: list[asyncio.Future[Any]] = []
        self.restarts: list[asyncio.Future[None]] = []
        self.stops: list[asyncio.Future[None]] = []
        self.stopped: set[str] = set()
        self.refs: list[ActorRef] = []

    async def spawn(self) -> ActorRef:
        ref = await self.system.spawn(
            partial(Recorder, self.handled, self.lives, self.hooks),
            name=f"recorder-{next(self.names)}",
        )
        self.refs.append(ref)
        return ref

    async def apply(self, kind: Kind, slow: bool, count: int) -> None:
        ref = self.ref
        assert ref is not None
        if kind == "tell":
            job = next(self.ids)
            ref.tell(Job(job, slow))
            self.told.append((ref, job))
        elif kind == "ask":
            job = next(self.ids)
            self.asks.append((ref, job, ref.ask(Job(job, slow), timeout=None)))
        elif kind == "respawn":
            if not ref.alive:
                self.ref = await self.spawn()
        elif kind == "turns":
            for _ in range(count):
                await asyncio.sleep(0)  # wait-ok: one loop turn
        else:
            self.control(ref, kind)

    def control(self, ref: ActorRef, kind: Kind) -> None:
        if kind == "crash":
            ref.tell(Crash())
        elif kind == "ask_crash":
            self.crash_asks.append(ref.ask(Crash(), timeout=None))
        elif kind == "quit":
            ref.tell(Quit())
        elif kind == "restart":
            self.restarts.append(ref.restart())
        elif kind == "stop":
            self.stopped.add(ref.path)
            self.stops.append(ref.stop())
        elif kind == "pause":
            ref.pause()
        else:
            ref.resume()

    def outstanding(self) -> list[asyncio.Future[Any]]:
        return [
            *(reply for _, _, reply in self.asks),
            *self.crash_asks,
            *self.restarts,
            *self.stops,
        ]

    def settled(self) -> bool:
        """Every ask resolved, and every job told to an actor never stopped was handled."""
        handled = set(self.handled)
        return all(future.done() for future in self.outstanding()) and all(
            job in handled for ref, job in self.told if ref.path not in self.stopped
        )

    def check(self) -> None:
        counts = Counter(self.handled)
        assert [job for job, times in counts.items() if times > 1] == [], "a job ran twice"
        sent = {job for _, job in self.told} | {job for _, job, _ in self.asks}
        assert set(counts) <= sent
        for ref, job, reply in self.asks:
            error = reply.exception()
            if error is None:
                assert reply.result() == job
                assert counts[job] == 1, f"acknowledged job {job} ran {counts[job]} times"
            else:
                assert isinstance(error, ActorDead), f"ask of job {job} failed with {error!r}"
                assert ref.path in self.stopped, f"{ref.path} never stopped but lost job {job}"
                assert counts[job] == 0, f"job {job} ran although its ask failed"
        for ref, job in self.told:
            if ref.path not in self.stopped:
                assert counts[job] == 1, f"job {job} told to {ref.path} ran {counts[job]} times"
        for reply in self.crash_asks:
            assert isinstance(reply.exception(), Boom | ActorDead)
        for restart in self.restarts:
            error = restart.exception()
            assert error is None or isinstance(error, ActorDead)
        assert all(stop.exception() is None for stop in self.stops)
        assert self.lives.overlaps == []


async def play(operations: list[tuple[Kind, bool, int]], hooks: Hooks) -> None:
    policy = SupervisorPolicy(max_restarts=1000, backoff=Backoff(initial=0.0))
    system = ActorSystem("properties", clock=ManualClock(), supervision=policy)
    await system.start()
    run = Run(system, hooks)
    run.ref = await run.spawn()
    for kind, slow, count in operations:
        await run.apply(kind, slow, count)
    for ref in run.refs:
        ref.resume()
    await until(run.settled, limit=SETTLE_TURNS)
    run.check()
    shutdown = asyncio.ensure_future(system.shutdown())
    await until(shutdown.done, limit=SETTLE_TURNS)
    shutdown.result()
    assert {path: live for path, live in run.lives.live.items() if live} == {}, (
        "every instance started was stopped once"
    )


operation = st.tuples(st.sampled_from(KINDS), st.booleans(), st.integers(min_value=1, max_value=4))


@settings(max_examples=100, deadline=None)
@given(operations=st.lists(operation, max_size=40), hooks=st.builds(Hooks))
@example(  # two restarts at once both started an instance after the same stop
    operations=[
        ("tell", True, 1),
        ("turns", False, 1),
        ("restart", False, 1),
        ("restart", False, 1),
    ],
    hooks=Hooks(start_yields=False, stop_yields=False),
)
@example(  # the supervisor stopped a requested restart's instance while its on_start awaited
    operations=[
        ("tell", True, 1),
        ("crash", False, 1),
        ("tell", False, 1),
        ("turns", False, 4),
        ("restart", False, 1),
    ],
    hooks=Hooks(start_yields=True, stop_yields=False),
)
def test_no_interleaving_loses_duplicates_or_strands_a_message(
    operations: list[tuple[Kind, bool, int]], hooks: Hooks
) -> None:
    asyncio.run(play(operations, hooks))
