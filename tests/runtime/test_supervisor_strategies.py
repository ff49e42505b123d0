"""Supervision on a running system: strategies, restart types, intensity, backoff."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import msgspec
import pytest

from runtime import (
    Actor,
    ActorDead,
    ActorSystem,
    Backoff,
    Escalated,
    ManualClock,
    RestartType,
    Strategy,
    SupervisorPolicy,
)
from tests.runtime.support import snapshot_of, turns, until

if TYPE_CHECKING:
    from runtime import ActorRef

NO_BACKOFF = Backoff(initial=0.0)


class Bump(msgspec.Struct, frozen=True):
    pass


class Count(msgspec.Struct, frozen=True):
    pass


class Crash(msgspec.Struct, frozen=True):
    pass


class Quit(msgspec.Struct, frozen=True):
    pass


class Boom(Exception):
    pass


class Worker(Actor):
    """Counts bumps; writes its starts and stops to a journal shared by the test."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__()
        self.journal = journal
        self.count = 0

    def on_start(self) -> None:
        self.journal.append(f"start {self.context.name}")

    def on_stop(self) -> None:
        self.journal.append(f"stop {self.context.name}")

    def on_bump(self, message: Bump) -> int:
        self.count += 1
        return self.count

    def on_count(self, message: Count) -> int:
        return self.count

    def on_crash(self, message: Crash) -> None:
        raise Boom(self.context.name)

    def on_quit(self, message: Quit) -> None:
        self.context.stop()


class Team(Actor):
    """Starts workers a, b and c, in that order, on every start."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__()
        self.journal = journal

    async def on_start(self) -> None:
        for name in ("a", "b", "c"):
            await self.context.spawn(partial(Worker, self.journal), name=name)


class OneForOneTeam(Team):
    supervision = SupervisorPolicy(Strategy.ONE_FOR_ONE, backoff=NO_BACKOFF)


class OneForAllTeam(Team):
    supervision = SupervisorPolicy(Strategy.ONE_FOR_ALL, backoff=NO_BACKOFF)


class RestForOneTeam(Team):
    supervision = SupervisorPolicy(Strategy.REST_FOR_ONE, backoff=NO_BACKOFF)


class Keeper(Actor):
    """Keeps one worker, ``w``, with the given restart type; allows two restarts a minute."""

    supervision = SupervisorPolicy(max_restarts=2, within=60.0, backoff=NO_BACKOFF)

    def __init__(
        self, journal: list[str], restart: RestartType, errors: list[Exception | None]
    ) -> None:
        super().__init__()
        self.journal = journal
        self.restart = restart
        self.errors = errors

    async def on_start(self) -> None:
        await self.context.spawn(partial(Worker, self.journal), name="w", restart=self.restart)

    def on_restart(self, error: Exception | None) -> None:
        self.errors.append(error)


class PacedKeeper(Keeper):
    """A keeper whose repeated restarts back off by a second, give or take 20 %."""

    supervision = SupervisorPolicy(
        max_restarts=10, within=60.0, backoff=Backoff(initial=1.0, maximum=8.0, jitter=0.2)
    )


async def spawn_team(system: ActorSystem, team: type[Team], journal: list[str]) -> None:
    await system.spawn(partial(team, journal), name="team")
    journal.clear()


def at(system: ActorSystem, path: str) -> ActorRef:
    """The ref of the live actor at ``path``; fails the test if there is none."""
    ref = system.lookup(path)
    assert ref is not None, f"no actor at {path}"
    return ref


def restarts(system: ActorSystem, path: str) -> int:
    return snapshot_of(system, at(system, path)).restarts_total


def is_running(system: ActorSystem, path: str) -> bool:
    ref = system.lookup(path)
    return ref is not None and snapshot_of(system, ref).state == "running"


# -- strategies ----------------------------------------------------------------


async def test_one_for_one_restarts_only_the_failed_child(system: ActorSystem) -> None:
    journal: list[str] = []
    await spawn_team(system, OneForOneTeam, journal)
    a, b = at(system, "/team/a"), at(system, "/team/b")
    a.tell(Bump())
    a.tell(Bump())
    b.tell(Bump())
    b.tell(Crash())
    assert await b.ask(Count()) == 0
    assert await a.ask(Count()) == 2
    assert journal == ["stop b", "start b"]
    assert [restarts(system, f"/team/{name}") for name in "abc"] == [0, 1, 0]


async def test_one_for_all_restarts_every_sibling_with_fresh_state(system: ActorSystem) -> None:
    journal: list[str] = []
    await spawn_team(system, OneForAllTeam, journal)
    a, b, c = (at(system, f"/team/{name}") for name in "abc")
    a.tell(Bump())
    c.tell(Bump())
    b.tell(Crash())
    await until(lambda: [restarts(system, f"/team/{name}") for name in "abc"] == [1, 1, 1])
    assert [await ref.ask(Count()) for ref in (a, b, c)] == [0, 0, 0]


async def test_one_for_all_stops_siblings_last_started_first_then_starts_them_in_order(
    system: ActorSystem,
) -> None:
    journal: list[str] = []
    await spawn_team(system, OneForAllTeam, journal)
    b = at(system, "/team/b")
    b.tell(Crash())
    await b.ask(Count())
    assert journal == ["stop c", "stop b", "stop a", "start a", "start b", "start c"]


async def test_rest_for_one_restarts_the_failed_child_and_those_started_after_it(
    system: ActorSystem,
) -> None:
    journal: list[str] = []
    await spawn_team(system, RestForOneTeam, journal)
    a, b, c = (at(system, f"/team/{name}") for name in "abc")
    for ref in (a, b, c):
        ref.tell(Bump())
    b.tell(Crash())
    await until(lambda: [restarts(system, f"/team/{name}") for name in "abc"] == [0, 1, 1])
    assert [await ref.ask(Count()) for ref in (a, b, c)] == [1, 0, 0]
    assert journal == ["stop c", "stop b", "start b", "start c"]


async def test_the_children_of_a_restarted_group_keep_their_refs(system: ActorSystem) -> None:
    journal: list[str] = []
    await spawn_team(system, OneForAllTeam, journal)
    before = [at(system, f"/team/{name}") for name in "abc"]
    before[0].tell(Crash())
    await before[0].ask(Count())
    assert [system.lookup(f"/team/{name}") for name in "abc"] == before


async def test_a_temporary_sibling_is_stopped_not_restarted_by_one_for_all(
    system: ActorSystem,
) -> None:
    class TeamWithHelper(OneForAllTeam):
        async def on_start(self) -> None:
            await super().on_start()
            await self.context.spawn(partial(Worker, []), name="helper", restart="temporary")

    team = await system.spawn(partial(TeamWithHelper, []), name="team")
    assert system.lookup("/team/helper") is not None
    a = at(system, "/team/a")
    a.tell(Crash())
    assert await a.ask(Count()) == 0
    assert system.lookup("/team/helper") is None
    assert snapshot_of(system, team).children == ["/team/a", "/team/b", "/team/c"]


# -- restart types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("restart", "ending", "restarted"),
    [
        (RestartType.PERMANENT, Crash(), True),
        (RestartType.PERMANENT, Quit(), True),
        (RestartType.TRANSIENT, Crash(), True),
        (RestartType.TRANSIENT, Quit(), False),
        (RestartType.TEMPORARY, Crash(), False),
        (RestartType.TEMPORARY, Quit(), False),
    ],
    ids=[
        "permanent-after-a-failure",
        "permanent-after-a-normal-stop",
        "transient-after-a-failure",
        "transient-after-a-normal-stop",
        "temporary-after-a-failure",
        "temporary-after-a-normal-stop",
    ],
)
async def test_a_child_that_ended_is_restarted_according_to_its_restart_type(
    system: ActorSystem, restart: RestartType, ending: Crash | Quit, restarted: bool
) -> None:
    journal: list[str] = []
    await system.spawn(partial(Keeper, journal, restart, []), name="keeper")
    w = at(system, "/keeper/w")
    w.tell(Bump())
    w.tell(ending)
    count = w.ask(Count())
    if restarted:
        assert await count == 0
        assert restarts(system, "/keeper/w") == 1
        assert journal == ["start w", "stop w", "start w"]
    else:
        with pytest.raises(ActorDead):
            await count
        assert system.lookup("/keeper/w") is None
        assert journal == ["start w", "stop w"]


async def test_a_permanent_child_restarted_after_a_normal_stop_gets_no_error() -> None:
    causes: list[Exception | None] = []

    class Quitter(Worker):
        def on_restart(self, error: Exception | None) -> None:
            causes.append(error)

    policy = SupervisorPolicy(backoff=NO_BACKOFF)
    async with ActorSystem("test", clock=ManualClock(), supervision=policy) as system:
        w = await system.spawn(partial(Quitter, []), name="quitter")
        w.tell(Quit())
        w.tell(Crash())
        await until(lambda: len(causes) == 2)
    assert causes[0] is None
    assert isinstance(causes[1], Boom)


# -- intensity and escalation ---------------------------------------------------------


async def test_a_child_failing_beyond_the_intensity_makes_its_parent_escalate(
    system: ActorSystem,
) -> None:
    journal: list[str] = []
    errors: list[Exception | None] = []
    keeper = await system.spawn(
        partial(Keeper, journal, RestartType.PERMANENT, errors), name="keeper"
    )
    first = at(system, "/keeper/w")
    for _ in range(3):
        first.tell(Crash())
    await until(lambda: errors != [] and is_running(system, "/keeper/w"))
    assert snapshot_of(system, keeper).restarts_total == 1
    [error] = errors
    assert isinstance(error, Escalated)
    assert error.path == "/keeper/w"
    assert isinstance(error.cause, Boom)
    assert not first.alive
    assert restarts(system, "/keeper/w") == 0


async def test_failures_within_the_intensity_do_not_escalate(system: ActorSystem) -> None:
    journal: list[str] = []
    errors: list[Exception | None] = []
    keeper = await system.spawn(
        partial(Keeper, journal, RestartType.PERMANENT, errors), name="keeper"
    )
    w = at(system, "/keeper/w")
    w.tell(Crash())
    w.tell(Crash())
    assert await w.ask(Count()) == 0
    assert restarts(system, "/keeper/w") == 2
    assert snapshot_of(system, keeper).restarts_total == 0
    assert errors == []


async def test_restarts_older_than_the_period_no_longer_count(
    system: ActorSystem, clock: ManualClock
) -> None:
    errors: list[Exception | None] = []
    keeper = await system.spawn(partial(Keeper, [], RestartType.PERMANENT, errors), name="keeper")
    w = at(system, "/keeper/w")
    w.tell(Crash())
    w.tell(Crash())
    await w.ask(Count())
    clock.advance(61.0)
    w.tell(Crash())
    assert await w.ask(Count()) == 0
    assert restarts(system, "/keeper/w") == 3
    assert snapshot_of(system, keeper).restarts_total == 0
    assert errors == []


async def test_a_restarted_supervisor_counts_its_childrens_restarts_afresh(
    system: ActorSystem,
) -> None:
    errors: list[Exception | None] = []
    keeper = await system.spawn(partial(Keeper, [], RestartType.PERMANENT, errors), name="keeper")
    w = at(system, "/keeper/w")
    for _ in range(3):
        w.tell(Crash())
    await until(lambda: errors != [] and is_running(system, "/keeper/w"))
    fresh = at(system, "/keeper/w")
    fresh.tell(Crash())
    assert await fresh.ask(Count()) == 0
    assert restarts(system, "/keeper/w") == 1
    assert snapshot_of(system, keeper).restarts_total == 1


async def test_the_root_gives_up_on_a_top_level_actor_and_stops_the_system() -> None:
    journal: list[str] = []
    policy = SupervisorPolicy(max_restarts=1, backoff=NO_BACKOFF)
    async with ActorSystem("test", clock=ManualClock(), supervision=policy) as system:
        w = await system.spawn(partial(Worker, journal), name="w")
        w.tell(Crash())
        w.tell(Crash())
        await system.wait_stopped()
        assert not system.running
        assert isinstance(system.failure, Escalated)
        assert system.failure.path == "/w"
        assert isinstance(system.failure.cause, Boom)
        assert system.lookup("/w") is None
    assert journal == ["start w", "stop w", "start w", "stop w"]


async def test_the_root_does_not_restart_an_actor_that_can_never_start_forever() -> None:
    attempts: list[int] = []

    class Doomed(Actor):
        def on_start(self) -> None:
            attempts.append(len(attempts))
            raise Boom("cannot start")

    policy = SupervisorPolicy(max_restarts=3, backoff=NO_BACKOFF)
    async with ActorSystem("test", clock=ManualClock(), supervision=policy) as system:
        await system.spawn(Doomed, name="doomed")
        await system.wait_stopped()
        assert isinstance(system.failure, Escalated)
        assert isinstance(system.failure.cause, Boom)
    assert len(attempts) == 4


# -- backoff ---------------------------------------------------------------------------


async def test_a_lone_failure_restarts_at_once_despite_a_backoff(system: ActorSystem) -> None:
    await system.spawn(partial(PacedKeeper, [], RestartType.PERMANENT, []), name="keeper")
    w = at(system, "/keeper/w")
    w.tell(Crash())
    assert await w.ask(Count()) == 0
    assert restarts(system, "/keeper/w") == 1


async def test_the_second_restart_in_the_window_waits_for_the_backoff_within_its_jitter(
    system: ActorSystem, clock: ManualClock
) -> None:
    await system.spawn(partial(PacedKeeper, [], RestartType.PERMANENT, []), name="keeper")
    w = at(system, "/keeper/w")
    w.tell(Crash())
    await w.ask(Count())
    w.tell(Crash())
    count = w.ask(Count(), timeout=None)
    await until(lambda: snapshot_of(system, w).state == "restarting")
    clock.advance(0.79)
    await turns()
    assert snapshot_of(system, w).state == "restarting"
    assert restarts(system, "/keeper/w") == 1
    assert not count.done()
    clock.advance(1.2 - 0.79)
    await until(count.done)
    assert count.result() == 0
    assert restarts(system, "/keeper/w") == 2


async def test_a_third_restart_backs_off_twice_as_long(
    system: ActorSystem, clock: ManualClock
) -> None:
    await system.spawn(partial(PacedKeeper, [], RestartType.PERMANENT, []), name="keeper")
    w = at(system, "/keeper/w")
    w.tell(Crash())
    w.tell(Crash())
    await until(lambda: snapshot_of(system, w).state == "restarting")
    clock.advance(1.2)
    await until(lambda: snapshot_of(system, w).state == "running")
    w.tell(Crash())
    count = w.ask(Count(), timeout=None)
    await until(lambda: snapshot_of(system, w).state == "restarting")
    clock.advance(2.0 * 0.8 - 0.01)
    await turns()
    assert not count.done()
    clock.advance(2.0 * 0.4 + 0.01)
    await until(count.done)
    assert restarts(system, "/keeper/w") == 3


# -- failures while the supervisor itself starts ---------------------------------------------


class Hatchling(Worker):
    """Fails its start while the shared budget of failures lasts."""

    def __init__(self, journal: list[str], failures: list[int]) -> None:
        super().__init__(journal)
        self.failures = failures

    def on_start(self) -> None:
        if self.failures:
            self.failures.pop()
            raise Boom("hatching")
        super().on_start()


class Nest(Actor):
    """Spawns a hatchling, then goes on starting: its `on_start` suspends after the spawn."""

    supervision = SupervisorPolicy(backoff=NO_BACKOFF)

    def __init__(self, journal: list[str], failures: list[int]) -> None:
        super().__init__()
        self.journal = journal
        self.failures = failures

    async def on_start(self) -> None:
        await self.context.spawn(partial(Hatchling, self.journal, self.failures), name="chick")
        await turns(5)


async def test_a_child_failing_while_its_parent_first_starts_is_restarted(
    system: ActorSystem,
) -> None:
    await system.spawn(partial(Nest, [], [1]), name="nest")
    await until(lambda: is_running(system, "/nest/chick"))
    assert restarts(system, "/nest/chick") == 1


async def test_a_child_failing_while_its_parent_restarts_is_restarted(
    system: ActorSystem,
) -> None:
    failures: list[int] = []
    nest = await system.spawn(partial(Nest, [], failures), name="nest")
    failures.append(1)
    await nest.restart()
    await until(lambda: is_running(system, "/nest/chick"))
    assert restarts(system, "/nest/chick") == 1
