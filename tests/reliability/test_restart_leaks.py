"""Resource leaks: actors restarted and respawned 10,000 times leave nothing behind.

Each instance owns what an actor may own: a timer, a watch, an event
subscription, a pipe, a child. After a warm-up (first-time allocations,
histograms, caches), the Python objects alive, the memory traced, the
asyncio tasks and the open file descriptors are measured; 10,000 restarts
later they must be where they were, within a margin far below one object
per restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import tracemalloc
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import msgspec
import psutil
import pytest
from structlog.testing import capture_logs

from runtime import Actor, ActorSystem, Backoff, ManualClock, SupervisorPolicy
from tests.runtime.support import snapshot_of, turns, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("loop_lag")]

RESTARTS = 10_000


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """Keep no log entry: each would count as a leak.

    structlog's entries go to a list that is dropped; and if an earlier test
    configured structlog with cached loggers that write to the standard
    library, pytest's log capture would keep every record, so that is off too.
    """
    logging.disable(logging.CRITICAL)
    try:
        with capture_logs():
            yield
    finally:
        logging.disable(logging.NOTSET)


WARM_UP = 1_000


class Crash(msgspec.Struct, frozen=True):
    pass


class Tick(msgspec.Struct, frozen=True):
    pass


class Chunk(msgspec.Struct, frozen=True):
    data: int


class Idle(Actor):
    pass


async def _forever() -> AsyncIterator[int]:
    await asyncio.Event().wait()
    yield 0


class Owner(Actor):
    """Holds one of every resource the kernel must release at a restart."""

    def __init__(self, peer_path: str) -> None:
        super().__init__()
        self.peer_path = peer_path

    async def on_start(self) -> None:
        context = self.context
        context.every(1.0, Tick())
        peer = context.system.lookup(self.peer_path)
        assert peer is not None
        context.watch(peer)
        context.system.events.subscribe(Chunk, context.self_ref)
        context.stream(_forever(), Chunk, name="forever")
        await context.spawn(Idle, name="child")

    def on_tick(self, message: Tick) -> None:
        pass

    def on_chunk(self, message: Chunk) -> None:
        pass

    def on_crash(self, message: Crash) -> None:
        raise RuntimeError("crash on request")


@dataclass(frozen=True)
class Usage:
    objects: int
    traced_bytes: int
    tasks: int
    fds: int

    def growth_since(self, before: Usage) -> Usage:
        return Usage(
            objects=self.objects - before.objects,
            traced_bytes=self.traced_bytes - before.traced_bytes,
            tasks=self.tasks - before.tasks,
            fds=self.fds - before.fds,
        )


async def usage() -> Usage:
    for _ in range(3):
        await turns()  # what was cancelled last gets its turn to finish
        gc.collect()
    return Usage(
        objects=len(gc.get_objects()),
        traced_bytes=tracemalloc.get_traced_memory()[0],
        tasks=len(asyncio.all_tasks()),
        fds=psutil.Process().num_fds(),
    )


async def measure(round_: Callable[[int], Awaitable[None]]) -> Usage:
    """Run ``round_`` WARM_UP times, measure, RESTARTS times more, measure; return the growth."""
    tracemalloc.start()
    try:
        await round_(WARM_UP)
        before = await usage()
        await round_(RESTARTS)
        return (await usage()).growth_since(before)
    finally:
        tracemalloc.stop()


def assert_flat(growth: Usage) -> None:
    assert growth.tasks == 0, growth
    assert growth.fds == 0, growth
    # One leaked object or 16 bytes per restart would be 10,000 and 160 kB.
    assert growth.objects < 500, growth
    assert growth.traced_bytes < 64 * 1024, growth


async def test_an_actor_restarted_on_request_ten_thousand_times_leaks_nothing() -> None:
    clock = ManualClock()
    async with ActorSystem("leaks", clock=clock) as system:
        await system.spawn(Idle, name="peer")
        owner = await system.spawn(partial(Owner, "/peer"), name="owner")

        async def restart(times: int) -> None:
            with quiet_logs():
                for _ in range(times):
                    await owner.restart()
                    clock.advance(0.01)  # see the respawn test: cancelled timers fall due
                    # A loop turn lets the cancelled pipe's task end: 10,000 of them at
                    # once would leave asyncio's set of tasks at that size for good.
                    await asyncio.sleep(0)  # wait-ok: one loop turn

        growth = await measure(restart)
        assert snapshot_of(system, owner).restarts_total == WARM_UP + RESTARTS
        assert len(system.snapshot()) == 4
    assert_flat(growth)


async def test_an_actor_failing_ten_thousand_times_leaks_nothing() -> None:
    # Failures a second apart, within an intensity of two per half second: the
    # restart window's bookkeeping is bounded by the intensity, not by time.
    policy = SupervisorPolicy(max_restarts=2, within=0.5, backoff=Backoff(initial=0.0))
    clock = ManualClock()
    async with ActorSystem("leaks", clock=clock, supervision=policy) as system:
        await system.spawn(Idle, name="peer")
        owner = await system.spawn(partial(Owner, "/peer"), name="owner")
        done = 0

        def restarted(times: int) -> bool:
            snapshot = snapshot_of(system, owner)
            return snapshot.restarts_total == times and snapshot.state == "running"

        async def crash(times: int) -> None:
            nonlocal done
            with quiet_logs():
                for _ in range(times):
                    clock.advance(1.0)
                    owner.tell(Crash())
                    done += 1
                    await until(lambda d=done: restarted(d))

        growth = await measure(crash)
        assert snapshot_of(system, owner).failed_total == WARM_UP + RESTARTS
    assert_flat(growth)


async def test_ten_thousand_actors_spawned_and_stopped_under_one_name_leak_nothing() -> None:
    clock = ManualClock()
    async with ActorSystem("leaks", clock=clock) as system:
        await system.spawn(Idle, name="peer")

        async def respawn(times: int) -> None:
            with quiet_logs():
                for _ in range(times):
                    ref = await system.spawn(partial(Owner, "/peer"), name="owner")
                    await ref.stop()
                    # The manual clock keeps a cancelled timer (each stop's shutdown
                    # deadline, each instance's `every`) until it falls due: let time pass.
                    clock.advance(0.01)
                    await asyncio.sleep(0)  # wait-ok: one loop turn, as in the first test

        growth = await measure(respawn)
        assert len(system.snapshot()) == 2
    assert_flat(growth)
