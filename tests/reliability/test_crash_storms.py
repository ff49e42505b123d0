"""Crash storms: actors failing on every message, under supervisors of each strategy.

The supervisor's intensity bounds how often it restarts; beyond it, it
escalates, level by level, and the root never restarts forever: the system
stops with its failure recorded. Siblings keep working (one_for_one) or are
restarted with fresh state (one_for_all). Manual clock, no backoff: the
storm runs as fast as the kernel can restart.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from runtime import (
    Actor,
    ActorDead,
    ActorSystem,
    Backoff,
    Escalated,
    ManualClock,
    Strategy,
    SupervisorPolicy,
)
from tests.runtime.support import snapshot_of, until

if TYPE_CHECKING:
    from runtime import ActorRef

pytestmark = [pytest.mark.timeout(30), pytest.mark.usefixtures("loop_lag")]

NO_BACKOFF = Backoff(initial=0.0)


class Crash(msgspec.Struct, frozen=True):
    n: int


class Add(msgspec.Struct, frozen=True):
    n: int


class Total(msgspec.Struct, frozen=True):
    pass


class Boom(Exception):
    pass


class Failing(Actor):
    """Fails on every message it is given; notes each start."""

    def __init__(self, starts: list[str], crash_on_start: bool = False) -> None:
        super().__init__()
        self.starts = starts
        self.crash_on_start = crash_on_start

    def on_start(self) -> None:
        self.starts.append(self.context.path)
        if self.crash_on_start:
            self.context.self_ref.tell(Crash(0))

    def on_crash(self, message: Crash) -> None:
        raise Boom(f"crash {message.n}")


class Adder(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def on_add(self, message: Add) -> None:
        self.total += message.n

    def on_total(self, message: Total) -> int:
        return self.total


class Supervisor(Actor):
    """Spawns its children in order, under ``policy``."""

    def __init__(self, policy: SupervisorPolicy, children: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.supervision = policy
        self.children = children

    async def on_start(self) -> None:
        for name, factory in self.children:
            await self.context.spawn(factory, name=name)


def at(system: ActorSystem, path: str) -> ActorRef:
    ref = system.lookup(path)
    assert ref is not None, path
    return ref


async def test_a_storm_of_failures_within_the_intensity_leaves_one_for_one_siblings_untouched(
    system: ActorSystem,
) -> None:
    storm = 500
    starts: list[str] = []
    policy = SupervisorPolicy(max_restarts=storm, within=60.0, backoff=NO_BACKOFF)
    children = [("failing", partial(Failing, starts)), ("adder", Adder)]
    await system.spawn(partial(Supervisor, policy, children), name="sup")
    failing, adder = at(system, "/sup/failing"), at(system, "/sup/adder")
    for n in range(storm):
        failing.tell(Crash(n))
        adder.tell(Add(1))
    await until(lambda: len(starts) == storm + 1, limit=100_000)
    assert await adder.ask(Total()) == storm
    assert snapshot_of(system, adder).restarts_total == 0
    assert snapshot_of(system, failing).restarts_total == storm
    assert snapshot_of(system, failing).failed_total == storm
    assert snapshot_of(system, at(system, "/sup")).restarts_total == 0


async def test_a_storm_within_the_intensity_restarts_every_one_for_all_sibling_each_time(
    system: ActorSystem,
) -> None:
    storm = 50
    starts: list[str] = []
    policy = SupervisorPolicy(
        strategy=Strategy.ONE_FOR_ALL, max_restarts=storm, within=60.0, backoff=NO_BACKOFF
    )
    children = [("failing", partial(Failing, starts)), ("adder", Adder)]
    await system.spawn(partial(Supervisor, policy, children), name="sup")
    adder = at(system, "/sup/adder")
    adder.tell(Add(7))
    assert await adder.ask(Total()) == 7
    for n in range(storm):
        at(system, "/sup/failing").tell(Crash(n))
        await until(lambda n=n: len(starts) == n + 2)
    assert await adder.ask(Total()) == 0, "a restarted sibling starts afresh"
    assert snapshot_of(system, adder).restarts_total == storm
    assert snapshot_of(system, at(system, "/sup/failing")).restarts_total == storm


async def test_beyond_its_intensity_a_supervisor_escalates_and_the_rest_of_a_storm_is_dead_letters(
    system: ActorSystem,
) -> None:
    starts: list[str] = []
    inner = SupervisorPolicy(max_restarts=3, within=60.0, backoff=NO_BACKOFF)
    outer = SupervisorPolicy(max_restarts=10, within=60.0, backoff=NO_BACKOFF)
    children = [("failing", partial(Failing, starts)), ("adder", Adder)]
    await system.spawn(
        partial(Supervisor, outer, [("inner", partial(Supervisor, inner, children))]), name="outer"
    )
    first = at(system, "/outer/inner/failing")
    for n in range(100):
        first.tell(Crash(n))
    await until(
        lambda: snapshot_of(system, at(system, "/outer")).failed_total == 0 and not first.alive
    )
    await until(lambda: at(system, "/outer/inner").alive and len(starts) == 5)
    # Four failures: three restarts, then the inner supervisor gave up and was restarted once.
    assert snapshot_of(system, at(system, "/outer/inner")).restarts_total == 1
    assert snapshot_of(system, at(system, "/outer/inner/failing")).restarts_total == 0
    assert system.dead_letters_total == 100 - 4
    with pytest.raises(ActorDead):
        await first.ask(Crash(0))


async def test_a_storm_that_never_ends_stops_the_system_after_the_product_of_the_intensities(
    clock: ManualClock,
) -> None:
    starts: list[str] = []
    leaf = SupervisorPolicy(max_restarts=3, within=60.0, backoff=NO_BACKOFF)
    middle = SupervisorPolicy(max_restarts=2, within=60.0, backoff=NO_BACKOFF)
    root = SupervisorPolicy(max_restarts=1, within=60.0, backoff=NO_BACKOFF)
    tree = partial(
        Supervisor,
        middle,
        [("leaf", partial(Supervisor, leaf, [("failing", partial(Failing, starts, True))]))],
    )
    async with ActorSystem("storm", clock=clock, supervision=root) as system:
        await system.spawn(tree, name="top")
        async with asyncio.timeout(20):
            await system.wait_stopped()
        assert not system.running
        failure = system.failure
        assert isinstance(failure, Escalated)
        assert failure.path == "/top"
        assert isinstance(failure.cause, Escalated)
        assert failure.cause.path == "/top/leaf"
    # Each instance of a supervisor allows its intensity of restarts, then escalates:
    # (1 + 3) failing starts per leaf, (1 + 2) leaves per top, (1 + 1) tops.
    assert len(starts) == (1 + 3) * (1 + 2) * (1 + 1)
