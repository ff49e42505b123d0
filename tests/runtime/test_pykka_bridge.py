"""The pykka bridge: a pykka ThreadingActor as a supervised child, asked without blocking."""

from __future__ import annotations

import asyncio
import threading
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
import pykka
import pytest

from messages.control import Ping, Pong
from runtime import (
    Actor,
    ActorDead,
    ActorSystem,
    Backoff,
    Escalated,
    SupervisorPolicy,
)
from tests.runtime.support import eventually, snapshot_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runtime import ActorRef

NO_BACKOFF = SupervisorPolicy(backoff=Backoff(initial=0.0))


class Sign(msgspec.Struct, frozen=True):
    payload: str


class Hold(msgspec.Struct, frozen=True):
    pass


class Crash(msgspec.Struct, frozen=True):
    pass


class Whoami(msgspec.Struct, frozen=True):
    pass


class Boom(Exception):
    pass


class Gate:
    """Two events between the test and a pykka thread: the thread is in, the thread may go."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


class Signer(pykka.ThreadingActor):
    """Signs payloads in its own thread, counting them; writes its hooks to a journal."""

    def __init__(self, journal: list[str], gate: Gate | None = None) -> None:
        super().__init__()
        self.journal = journal
        self.gate = gate
        self.signed = 0

    def on_start(self) -> None:
        self.journal.append("start")

    def on_stop(self) -> None:
        self.journal.append("stop")

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Sign):
            self.signed += 1
            return f"signed {message.payload}"
        if isinstance(message, Whoami):
            return threading.current_thread(), self.signed
        if isinstance(message, Hold) and self.gate is not None:
            self.gate.entered.set()
            self.gate.release.wait(timeout=5.0)
            return "released"
        if isinstance(message, Crash):
            raise Boom("signer crashed")
        return super().on_receive(message)


class ShakySigner(Signer):
    """Fails its `on_start` while the shared budget of failures lasts."""

    def __init__(self, journal: list[str], failures: list[int]) -> None:
        super().__init__(journal)
        self.failures = failures

    def on_start(self) -> None:
        if self.failures:
            self.failures.pop()
            raise Boom("cannot start")
        super().on_start()


class Echo(Actor):
    """An asyncio actor: the built-in `Ping` handler is all it needs."""


class Vault(Actor):
    """Keeps a pykka signer as its child."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__()
        self.journal = journal

    async def on_start(self) -> None:
        await self.context.spawn_pykka(Signer, self.journal, name="signer")


@pytest.fixture
async def live_system() -> AsyncIterator[ActorSystem]:
    """A system on the loop's clock: pykka threads run in real time, so ask timeouts do too."""
    async with ActorSystem("test", supervision=NO_BACKOFF) as running:
        yield running


def restarted(system: ActorSystem, ref: ActorRef, times: int) -> bool:
    snapshot = snapshot_of(system, ref)
    return snapshot.restarts_total == times and snapshot.state == "running"


async def test_an_ask_returns_what_on_receive_returned(live_system: ActorSystem) -> None:
    signer = await live_system.spawn_pykka(Signer, [], name="signer")
    assert await signer.ask(Sign("tx-1"), timeout=5.0) == "signed tx-1"


async def test_on_receive_runs_in_the_actors_own_thread(live_system: ActorSystem) -> None:
    signer = await live_system.spawn_pykka(Signer, [], name="signer")
    signer.tell(Sign("told"))
    thread, signed = await signer.ask(Whoami(), timeout=5.0)
    assert thread is not threading.current_thread()
    assert signed == 1


async def test_on_start_has_run_when_spawn_pykka_returns(live_system: ActorSystem) -> None:
    journal: list[str] = []
    await live_system.spawn_pykka(Signer, journal, name="signer")
    assert journal == ["start"]


async def test_the_loop_keeps_running_while_a_pykka_actor_blocks(
    live_system: ActorSystem,
) -> None:
    gate = Gate()
    signer = await live_system.spawn_pykka(Signer, [], gate, name="signer")
    echo = await live_system.spawn(Echo, name="echo")
    try:
        held = signer.ask(Hold(), timeout=5.0)
        await eventually(gate.entered.is_set)
        assert await echo.ask(Ping(), timeout=1.0) == Pong(path="/echo")
        assert not held.done()
    finally:
        gate.release.set()
    assert await held == "released"


async def test_a_crash_reaches_the_asker_and_the_actor_restarts_in_a_fresh_thread(
    live_system: ActorSystem,
) -> None:
    signer = await live_system.spawn_pykka(Signer, [], name="signer")
    await signer.ask(Sign("before"), timeout=5.0)
    first_thread, signed = await signer.ask(Whoami(), timeout=5.0)
    assert signed == 1
    with pytest.raises(Boom, match="signer crashed"):
        await signer.ask(Crash(), timeout=5.0)
    await eventually(lambda: restarted(live_system, signer, 1))
    second_thread, signed = await signer.ask(Whoami(), timeout=5.0)
    assert second_thread is not first_thread
    assert signed == 0
    assert await signer.ask(Sign("after"), timeout=5.0) == "signed after"
    snapshot = snapshot_of(live_system, signer)
    assert (snapshot.restarts_total, snapshot.failed_total) == (1, 1)
    assert snapshot.actor == "Signer"
    await eventually(lambda: not first_thread.is_alive())


async def test_a_told_crash_is_a_failure_too(live_system: ActorSystem) -> None:
    signer = await live_system.spawn_pykka(Signer, [], name="signer")
    signer.tell(Crash())
    await eventually(lambda: restarted(live_system, signer, 1))
    assert await signer.ask(Sign("after"), timeout=5.0) == "signed after"


async def test_asks_queued_behind_a_crash_fail_with_actor_dead(live_system: ActorSystem) -> None:
    gate = Gate()
    signer = await live_system.spawn_pykka(Signer, [], gate, name="signer")
    try:
        held = signer.ask(Hold(), timeout=5.0)
        await eventually(gate.entered.is_set)
        crash = signer.ask(Crash(), timeout=5.0)
        behind = signer.ask(Sign("behind"), timeout=5.0)
    finally:
        gate.release.set()
    assert await held == "released"
    with pytest.raises(Boom):
        await crash
    with pytest.raises(ActorDead):
        await behind
    await eventually(lambda: restarted(live_system, signer, 1))


async def test_on_stop_runs_when_a_pykka_actor_is_stopped(live_system: ActorSystem) -> None:
    journal: list[str] = []
    signer = await live_system.spawn_pykka(Signer, journal, name="signer")
    await signer.stop()
    assert journal == ["start", "stop"]
    assert live_system.lookup("/signer") is None
    with pytest.raises(ActorDead):
        await signer.ask(Sign("late"), timeout=5.0)


async def test_on_stop_runs_after_a_pykka_actor_crashes(live_system: ActorSystem) -> None:
    journal: list[str] = []
    signer = await live_system.spawn_pykka(Signer, journal, name="signer")
    signer.tell(Crash())
    await eventually(lambda: restarted(live_system, signer, 1))
    assert journal == ["start", "stop", "start"]


async def test_a_requested_restart_stops_the_thread_and_starts_a_fresh_one(
    live_system: ActorSystem,
) -> None:
    journal: list[str] = []
    signer = await live_system.spawn_pykka(Signer, journal, name="signer")
    await signer.ask(Sign("before"), timeout=5.0)
    first_thread, _ = await signer.ask(Whoami(), timeout=5.0)
    await signer.restart()
    second_thread, signed = await signer.ask(Whoami(), timeout=5.0)
    assert second_thread is not first_thread
    assert signed == 0
    assert journal == ["start", "stop", "start"]
    assert snapshot_of(live_system, signer).restarts_total == 1


async def test_on_stop_runs_at_system_shutdown() -> None:
    journal: list[str] = []
    async with ActorSystem("test") as system:
        signer = await system.spawn_pykka(Signer, journal, name="signer")
        thread, _ = await signer.ask(Whoami(), timeout=5.0)
    assert journal == ["start", "stop"]
    await eventually(lambda: not thread.is_alive())


async def test_a_failing_on_start_is_restarted_by_the_supervisor(
    live_system: ActorSystem,
) -> None:
    journal: list[str] = []
    signer = await live_system.spawn_pykka(ShakySigner, journal, [1], name="signer")
    await eventually(lambda: restarted(live_system, signer, 1))
    assert await signer.ask(Sign("tx"), timeout=5.0) == "signed tx"
    assert journal == ["start"]


async def test_a_pykka_actor_that_never_starts_escalates_to_the_root() -> None:
    policy = SupervisorPolicy(max_restarts=2, backoff=Backoff(initial=0.0))
    async with ActorSystem("test", supervision=policy) as system:
        await system.spawn_pykka(ShakySigner, [], [1] * 10, name="signer")
        async with asyncio.timeout(5.0):
            await system.wait_stopped()
        assert isinstance(system.failure, Escalated)
        assert system.failure.path == "/signer"
        assert isinstance(system.failure.cause, Boom)


async def test_an_actor_spawns_a_pykka_child_from_its_context(live_system: ActorSystem) -> None:
    journal: list[str] = []
    await live_system.spawn(partial(Vault, journal), name="vault")
    signer = live_system.lookup("/vault/signer")
    assert signer is not None
    assert await signer.ask(Sign("tx"), timeout=5.0) == "signed tx"
    snapshot = snapshot_of(live_system, signer)
    assert (snapshot.supervisor, snapshot.actor) == ("/vault", "Signer")


async def test_a_pykka_child_is_named_after_its_class_by_default(
    live_system: ActorSystem,
) -> None:
    signer = await live_system.spawn_pykka(Signer, [])
    assert signer.path == "/signer"


async def test_spawn_pykka_refuses_a_class_that_is_not_a_threading_actor(
    live_system: ActorSystem,
) -> None:
    with pytest.raises(TypeError, match=r"not a pykka\.ThreadingActor"):
        await live_system.spawn_pykka(Echo, name="echo")
