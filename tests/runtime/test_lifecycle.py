"""Actor lifecycle: start and stop hooks, restarts, shutdown, dead letters, watches, the tree."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import msgspec
import pytest

from messages.control import Ping, Restart
from runtime import (
    Actor,
    ActorDead,
    ActorNameTaken,
    ActorRef,
    ActorSystem,
    Backoff,
    DeadLetter,
    Escalated,
    ManualClock,
    SupervisorPolicy,
    Terminated,
)
from tests.runtime.support import snapshot_of, turns, until

NO_BACKOFF = Backoff(initial=0.0)


class Note(msgspec.Struct, frozen=True):
    text: str


class Crash(msgspec.Struct, frozen=True):
    pass


class Wait(msgspec.Struct, frozen=True):
    pass


class Watch(msgspec.Struct, frozen=True):
    target: ActorRef


class Boom(Exception):
    pass


class Probe(Actor):
    """Writes its hooks and the notes it handles to a journal shared with the test."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__()
        self.journal = journal

    def on_start(self) -> Any:
        self.journal.append(f"{self.context.name} start")

    def on_stop(self) -> Any:
        self.journal.append(f"{self.context.name} stop")

    def on_note(self, message: Note) -> str:
        self.journal.append(f"{self.context.name} {message.text}")
        return message.text

    def on_crash(self, message: Crash) -> None:
        raise Boom(self.context.name)


type Layout = dict[str, Layout]
"""Names of children, each with its own children."""


class Tree(Probe):
    """Starts the children it is given, in order, each a `Tree` too."""

    def __init__(self, journal: list[str], children: Layout) -> None:
        super().__init__(journal)
        self.tree = children

    async def on_start(self) -> None:
        super().on_start()
        for name, grandchildren in self.tree.items():
            await self.context.spawn(partial(Tree, self.journal, grandchildren), name=name)


class Watcher(Actor):
    def __init__(self, seen: list[Terminated]) -> None:
        super().__init__()
        self.seen = seen

    def on_watch(self, message: Watch) -> None:
        self.context.watch(message.target)

    def on_terminated(self, message: Terminated) -> None:
        self.seen.append(message)


class DeadLetters(Actor):
    def __init__(self, letters: list[DeadLetter]) -> None:
        super().__init__()
        self.letters = letters

    def on_dead_letter(self, message: DeadLetter) -> None:
        self.letters.append(message)


def no_backoff_system() -> ActorSystem:
    return ActorSystem(
        "test", clock=ManualClock(), supervision=SupervisorPolicy(backoff=NO_BACKOFF)
    )


# -- start ------------------------------------------------------------------------------


async def test_on_start_runs_to_its_end_before_the_first_message(system: ActorSystem) -> None:
    journal: list[str] = []

    class EarlyBird(Probe):
        async def on_start(self) -> None:
            self.context.self_ref.tell(Note("first message"))
            await asyncio.sleep(0)  # wait-ok: suspends the hook, the case under test
            await asyncio.sleep(0)  # wait-ok: suspends the hook, the case under test
            super().on_start()

    bird = await system.spawn(partial(EarlyBird, journal), name="bird")
    await bird.ask(Note("second message"))
    assert journal == ["bird start", "bird first message", "bird second message"]


async def test_spawn_returns_once_on_start_has_run(system: ActorSystem) -> None:
    journal: list[str] = []

    class SlowStarter(Probe):
        async def on_start(self) -> None:
            await asyncio.sleep(0)  # wait-ok: suspends the hook, the case under test
            super().on_start()

    await system.spawn(partial(SlowStarter, journal), name="slow")
    assert journal == ["slow start"]


async def test_a_failing_on_start_is_a_failure_its_supervisor_restarts() -> None:
    journal: list[str] = []
    starts: list[int] = []

    class ShakyStart(Probe):
        def on_start(self) -> None:
            starts.append(len(starts))
            if len(starts) == 1:
                raise Boom("first start")
            super().on_start()

    async with no_backoff_system() as system:
        shaky = await system.spawn(partial(ShakyStart, journal), name="shaky")
        assert await shaky.ask(Note("hello")) == "hello"
        snapshot = snapshot_of(system, shaky)
        assert (snapshot.restarts_total, snapshot.failed_total) == (1, 1)
        assert snapshot.last_error == "Boom: first start"
    assert journal[-3:] == ["shaky start", "shaky hello", "shaky stop"]


async def test_an_on_start_that_keeps_failing_escalates_up_to_the_root() -> None:
    class Hopeless(Actor):
        def on_start(self) -> None:
            raise Boom("never starts")

    class Keeper(Actor):
        supervision = SupervisorPolicy(max_restarts=2, backoff=NO_BACKOFF)

        async def on_start(self) -> None:
            await self.context.spawn(Hopeless, name="hopeless")

    policy = SupervisorPolicy(max_restarts=1, backoff=NO_BACKOFF)
    async with ActorSystem("test", clock=ManualClock(), supervision=policy) as system:
        await system.spawn(Keeper, name="keeper")
        await system.wait_stopped()
        failure = system.failure
        assert isinstance(failure, Escalated)
        assert failure.path == "/keeper"
        assert isinstance(failure.cause, Escalated)
        assert failure.cause.path == "/keeper/hopeless"
        assert isinstance(failure.cause.cause, Boom)


# -- stop ---------------------------------------------------------------------------------


async def test_on_stop_runs_when_an_actor_is_stopped(system: ActorSystem) -> None:
    journal: list[str] = []
    probe = await system.spawn(partial(Probe, journal), name="probe")
    await probe.stop()
    assert journal == ["probe start", "probe stop"]
    assert not probe.alive
    assert system.lookup("/probe") is None


async def test_on_stop_runs_on_a_crashed_instance_before_its_replacement_starts(
    system: ActorSystem,
) -> None:
    journal: list[str] = []
    probe = await system.spawn(partial(Probe, journal), name="probe")
    probe.tell(Crash())
    await probe.ask(Note("after"))
    assert journal == ["probe start", "probe stop", "probe start", "probe after"]


async def test_on_stop_runs_for_every_actor_at_system_shutdown() -> None:
    journal: list[str] = []
    async with ActorSystem("test", clock=ManualClock()) as system:
        await system.spawn(partial(Tree, journal, {"db": {}}), name="app")
        await system.spawn(partial(Probe, journal), name="solo")
    assert sorted(entry for entry in journal if entry.endswith("stop")) == [
        "app stop",
        "db stop",
        "solo stop",
    ]


async def test_children_stop_before_their_parent_and_siblings_last_started_first() -> None:
    journal: list[str] = []
    async with ActorSystem("test", clock=ManualClock()) as system:
        tree: Layout = {"a": {"a1": {}, "a2": {}}, "b": {}, "c": {"c1": {}}}
        await system.spawn(partial(Tree, journal, tree), name="app")
        assert journal == [f"{name} start" for name in ("app", "a", "a1", "a2", "b", "c", "c1")]
        journal.clear()
    assert journal == [f"{name} stop" for name in ("c1", "c", "b", "a2", "a1", "a", "app")]


async def test_stopping_a_parent_stops_its_children_first(system: ActorSystem) -> None:
    journal: list[str] = []
    app = await system.spawn(partial(Tree, journal, {"a": {}, "b": {}}), name="app")
    journal.clear()
    await app.stop()
    assert journal == ["b stop", "a stop", "app stop"]
    assert [snapshot.path for snapshot in system.snapshot()] == ["/"]


async def test_async_hooks_are_awaited(system: ActorSystem) -> None:
    journal: list[str] = []

    class AsyncProbe(Probe):
        async def on_start(self) -> None:
            await asyncio.sleep(0)  # wait-ok: suspends the hook, the case under test
            super().on_start()

        async def on_stop(self) -> None:
            await asyncio.sleep(0)  # wait-ok: suspends the hook, the case under test
            super().on_stop()

    probe = await system.spawn(partial(AsyncProbe, journal), name="probe")
    await probe.stop()
    assert journal == ["probe start", "probe stop"]


async def test_a_failing_on_stop_does_not_keep_the_actor_from_stopping(
    system: ActorSystem,
) -> None:
    class BadStop(Probe):
        def on_stop(self) -> None:
            raise Boom("cannot stop")

    probe = await system.spawn(partial(BadStop, []), name="probe")
    await probe.stop()
    assert not probe.alive
    assert system.lookup("/probe") is None


async def test_a_graceful_stop_waits_for_the_handler_in_flight(system: ActorSystem) -> None:
    journal: list[str] = []
    release = asyncio.Event()

    class Slow(Probe):
        async def on_wait(self, message: Wait) -> str:
            self.journal.append("slow waiting")
            await release.wait()
            self.journal.append("slow done")
            return "finished"

    slow = await system.spawn(partial(Slow, journal), name="slow")
    reply = slow.ask(Wait())
    await until(lambda: "slow waiting" in journal)
    stopping = slow.stop()
    await turns()
    assert not stopping.done()
    assert journal[-1] == "slow waiting"
    release.set()
    await stopping
    assert await reply == "finished"
    assert journal[-3:] == ["slow waiting", "slow done", "slow stop"]


async def test_a_child_whose_on_stop_hangs_is_cancelled_after_its_shutdown_timeout(
    system: ActorSystem, clock: ManualClock
) -> None:
    journal: list[str] = []

    class Stuck(Probe):
        async def on_stop(self) -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.journal.append("stuck cancelled")
                raise

    class Holder(Probe):
        async def on_start(self) -> None:
            await self.context.spawn(
                partial(Stuck, self.journal), name="stuck", shutdown_timeout=2.0
            )

    holder = await system.spawn(partial(Holder, journal), name="holder")
    stopping = holder.stop()
    await turns()
    clock.advance(1.9)
    await turns()
    assert not stopping.done()
    assert journal == ["stuck start"]
    clock.advance(0.2)
    await until(stopping.done)
    assert journal == ["stuck start", "stuck cancelled", "holder stop"]
    assert system.lookup("/holder") is None


async def test_a_handler_stuck_past_the_shutdown_timeout_is_cancelled_and_on_stop_still_runs(
    system: ActorSystem, clock: ManualClock, gate: asyncio.Event
) -> None:
    journal: list[str] = []

    class Stuck(Probe):
        async def on_wait(self, message: Wait) -> None:
            await gate.wait()  # never opened while the test runs

    stuck = await system.spawn(partial(Stuck, journal), name="stuck", shutdown_timeout=2.0)
    stuck.tell(Wait())
    await turns(2)
    stopping = stuck.stop()
    await turns()
    assert not stopping.done()
    clock.advance(2.0)
    await until(stopping.done)
    assert journal == ["stuck start", "stuck stop"]  # on_stop released what it owned
    assert system.lookup("/stuck") is None


async def test_the_system_stops_within_its_shutdown_timeout_whatever_its_actors_do() -> None:
    clock = ManualClock()
    journal: list[str] = []

    class Stubborn(Probe):
        async def on_stop(self) -> None:
            await asyncio.Event().wait()

    system = await ActorSystem("test", clock=clock, shutdown_timeout=1.0).start()
    await system.spawn(partial(Stubborn, journal), name="stubborn", shutdown_timeout=60.0)
    await system.spawn(partial(Probe, journal), name="polite")
    shutdown = asyncio.ensure_future(system.shutdown())
    await turns()
    assert journal == ["stubborn start", "polite start", "polite stop"]
    assert not shutdown.done()
    clock.advance(1.01)
    await until(shutdown.done)
    assert not system.running


# -- restart ------------------------------------------------------------------------------


async def test_on_restart_receives_the_error_on_the_fresh_instance(system: ActorSystem) -> None:
    instances: list[Actor] = []
    restarts: list[tuple[Actor, Exception | None]] = []

    class Phoenix(Probe):
        def __init__(self) -> None:
            super().__init__([])
            instances.append(self)

        def on_restart(self, error: Exception | None) -> None:
            restarts.append((self, error))

    phoenix = await system.spawn(Phoenix, name="phoenix")
    with pytest.raises(Boom) as crash:
        await phoenix.ask(Crash())
    await phoenix.ask(Ping())
    assert len(instances) == 2
    assert restarts == [(instances[1], crash.value)]


async def test_a_requested_restart_gives_fresh_state_and_no_error(system: ActorSystem) -> None:
    restarts: list[Exception | None] = []

    class Tally(Actor):
        def __init__(self) -> None:
            super().__init__()
            self.notes = 0

        def on_note(self, message: Note) -> int:
            self.notes += 1
            return self.notes

        def on_restart(self, error: Exception | None) -> None:
            restarts.append(error)

    tally = await system.spawn(Tally, name="tally")
    await tally.ask(Note("one"))
    await tally.restart()
    assert await tally.ask(Note("two")) == 1
    assert restarts == [None]
    assert snapshot_of(system, tally).restarts_total == 1


async def test_a_restart_control_keeps_the_mailbox(system: ActorSystem) -> None:
    journal: list[str] = []
    instances: list[int] = []

    class Numbered(Probe):
        def __init__(self) -> None:
            super().__init__(journal)
            instances.append(len(instances) + 1)
            self.number = len(instances)

        def on_note(self, message: Note) -> str:
            self.journal.append(f"instance {self.number}: {message.text}")
            return message.text

    numbered = await system.spawn(Numbered, name="numbered")
    numbered.pause()
    numbered.tell(Note("a"))
    last = numbered.ask(Note("b"))
    await numbered.control(Restart())
    numbered.resume()
    assert await last == "b"
    assert [entry for entry in journal if entry.startswith("instance")] == [
        "instance 2: a",
        "instance 2: b",
    ]


async def test_two_restarts_at_once_run_one_after_the_other(system: ActorSystem) -> None:
    journal: list[str] = []
    release = asyncio.Event()

    class Busy(Probe):
        async def on_wait(self, message: Wait) -> None:
            await release.wait()

    busy = await system.spawn(partial(Busy, journal), name="busy")
    busy.tell(Wait())
    await turns(2)
    first, second = busy.restart(), busy.restart()
    await turns()
    release.set()
    await first
    await second
    assert journal == ["busy start", "busy stop", "busy start", "busy stop", "busy start"]
    assert await busy.ask(Note("after")) == "after"
    assert snapshot_of(system, busy).restarts_total == 2


async def test_a_restart_cancels_a_handler_still_awaiting_after_the_shutdown_timeout(
    system: ActorSystem, clock: ManualClock, gate: asyncio.Event
) -> None:
    journal: list[str] = []

    class Stuck(Probe):
        async def on_wait(self, message: Wait) -> None:
            await gate.wait()  # never opened while the test runs

    stuck = await system.spawn(partial(Stuck, journal), name="stuck", shutdown_timeout=2.0)
    waiting = stuck.ask(Wait(), timeout=3.0)
    await turns(2)
    restarted = stuck.restart()
    await turns()
    assert not restarted.done()
    clock.advance(2.0)
    await restarted
    with pytest.raises(ActorDead):
        await waiting
    assert journal == ["stuck start", "stuck stop", "stuck start"]
    assert await stuck.ask(Note("after"), timeout=0.5) == "after"


async def test_a_failure_noticed_while_a_requested_restart_starts_leaves_a_working_actor(
    system: ActorSystem,
) -> None:
    journal: list[str] = []
    gate = asyncio.Event()

    class SlowRestart(Probe):
        async def on_start(self) -> None:
            if journal:
                await gate.wait()
            super().on_start()

    slow = await system.spawn(partial(SlowRestart, journal), name="slow")
    with pytest.raises(Boom):
        await slow.ask(Crash())
    requested = slow.restart()
    queued = slow.ask(Note("queued"))
    await turns()
    gate.set()
    await requested
    assert await queued == "queued"
    snapshot = snapshot_of(system, slow)
    assert (snapshot.state, snapshot.restarts_total, snapshot.failed_total) == ("running", 2, 1)


async def test_restarting_a_stopped_actor_fails_with_actor_dead(system: ActorSystem) -> None:
    probe = await system.spawn(partial(Probe, []), name="probe")
    await probe.stop()
    with pytest.raises(ActorDead):
        await probe.restart()


# -- dead letters ------------------------------------------------------------------------------


async def test_messages_queued_at_a_stop_become_dead_letters_and_their_asks_fail(
    system: ActorSystem,
) -> None:
    journal: list[str] = []
    letters: list[DeadLetter] = []
    collector = await system.spawn(partial(DeadLetters, letters), name="collector")
    system.events.subscribe(DeadLetter, collector)
    probe = await system.spawn(partial(Probe, journal), name="probe")
    probe.pause()
    probe.tell(Note("a"))
    probe.tell(Note("b"))
    pending = probe.ask(Note("c"))
    await probe.stop()
    with pytest.raises(ActorDead):
        await pending
    await until(lambda: len(letters) == 3)
    assert [letter.message for letter in letters] == [Note("a"), Note("b"), Note("c")]
    assert {(letter.target, letter.reason) for letter in letters} == {("/probe", "stopped")}
    assert system.dead_letters_total == 3
    assert journal == ["probe start", "probe stop"]


async def test_messages_to_a_stopped_actor_become_dead_letters(system: ActorSystem) -> None:
    probe = await system.spawn(partial(Probe, []), name="probe")
    await probe.stop()
    probe.tell(Note("late"))
    with pytest.raises(ActorDead):
        await probe.ask(Note("later"))
    assert system.dead_letters_total == 2


# -- watch ----------------------------------------------------------------------------------


async def test_a_watcher_learns_the_error_that_ended_a_temporary_child(
    system: ActorSystem,
) -> None:
    seen: list[Terminated] = []
    watcher = await system.spawn(partial(Watcher, seen), name="watcher")
    worker = await system.spawn(partial(Probe, []), name="worker", restart="temporary")
    await watcher.ask(Watch(worker))
    with pytest.raises(Boom) as crash:
        await worker.ask(Crash())
    await until(lambda: seen != [])
    assert seen == [Terminated(ref=worker, reason=crash.value)]
    assert seen[0].reason is crash.value


async def test_a_watcher_learns_of_a_clean_stop_with_no_reason(system: ActorSystem) -> None:
    seen: list[Terminated] = []
    watcher = await system.spawn(partial(Watcher, seen), name="watcher")
    worker = await system.spawn(partial(Probe, []), name="worker")
    await watcher.ask(Watch(worker))
    await worker.stop()
    await until(lambda: seen != [])
    assert seen == [Terminated(ref=worker, reason=None)]


async def test_a_restart_is_not_a_termination(system: ActorSystem) -> None:
    seen: list[Terminated] = []
    watcher = await system.spawn(partial(Watcher, seen), name="watcher")
    worker = await system.spawn(partial(Probe, []), name="worker")
    await watcher.ask(Watch(worker))
    worker.tell(Crash())
    await worker.ask(Ping())
    await watcher.ask(Ping())
    assert seen == []


async def test_a_watch_ends_when_the_watcher_restarts(system: ActorSystem) -> None:
    seen: list[Terminated] = []
    watcher = await system.spawn(partial(Watcher, seen), name="watcher")
    worker = await system.spawn(partial(Probe, []), name="worker")
    await watcher.ask(Watch(worker))
    await watcher.restart()
    await worker.stop()
    await watcher.ask(Ping())
    assert seen == []


async def test_watching_a_stopped_actor_delivers_terminated_at_once(system: ActorSystem) -> None:
    seen: list[Terminated] = []
    watcher = await system.spawn(partial(Watcher, seen), name="watcher")
    worker = await system.spawn(partial(Probe, []), name="worker")
    await worker.stop()
    await watcher.ask(Watch(worker))
    await watcher.ask(Ping())
    assert seen == [Terminated(ref=worker, reason=None)]


# -- names and the tree -------------------------------------------------------------------------


async def test_spawning_with_a_taken_name_raises_actor_name_taken(system: ActorSystem) -> None:
    await system.spawn(partial(Probe, []), name="worker")
    with pytest.raises(ActorNameTaken):
        await system.spawn(partial(Probe, []), name="worker")


async def test_a_child_name_taken_by_a_sibling_raises_actor_name_taken(
    system: ActorSystem,
) -> None:
    outcome: list[BaseException] = []

    class Twins(Actor):
        async def on_start(self) -> None:
            await self.context.spawn(partial(Probe, []), name="twin")
            try:
                await self.context.spawn(partial(Probe, []), name="twin")
            except ActorNameTaken as exc:
                outcome.append(exc)

    await system.spawn(Twins, name="twins")
    assert len(outcome) == 1
    assert [snapshot.path for snapshot in system.snapshot()] == ["/", "/twins", "/twins/twin"]


async def test_a_name_is_free_again_once_its_actor_has_stopped(system: ActorSystem) -> None:
    first = await system.spawn(partial(Probe, []), name="worker")
    await first.stop()
    second = await system.spawn(partial(Probe, []), name="worker")
    assert second is not first
    assert system.lookup("/worker") is second


@pytest.mark.parametrize("name", ["Worker", "two words", "a/b", "", "naïve", "dot.ted"])
async def test_a_name_outside_lowercase_letters_digits_dash_and_underscore_is_refused(
    system: ActorSystem, name: str
) -> None:
    with pytest.raises(ValueError, match=r"\[a-z0-9_-\]\+"):
        await system.spawn(partial(Probe, []), name=name)
    assert [snapshot.path for snapshot in system.snapshot()] == ["/"]


@pytest.mark.parametrize("name", ["worker", "uniswap_v2-a", "0", "a-b_c9"])
async def test_lowercase_letters_digits_dash_and_underscore_make_a_name(
    system: ActorSystem, name: str
) -> None:
    ref = await system.spawn(partial(Probe, []), name=name)
    assert ref.path == f"/{name}"


async def test_lookup_finds_an_actor_by_its_path(system: ActorSystem) -> None:
    await system.spawn(partial(Tree, [], {"worker": {}, "chain": {"devnet": {}}}), name="app")
    worker = system.lookup("/app/worker")
    devnet = system.lookup("/app/chain/devnet")
    assert worker is not None
    assert devnet is not None
    assert (worker.path, worker.name) == ("/app/worker", "worker")
    assert devnet.path == "/app/chain/devnet"
    assert await devnet.ask(Note("hi")) == "hi"
    assert system.lookup("/") is system.root.ref


@pytest.mark.parametrize("path", ["/app/missing", "/missing", "/app/worker/deeper", "/app/chain/x"])
async def test_lookup_of_a_path_with_no_actor_is_none(system: ActorSystem, path: str) -> None:
    await system.spawn(partial(Tree, [], {"worker": {}, "chain": {}}), name="app")
    assert system.lookup(path) is None


async def test_the_snapshot_lists_parents_before_children_and_siblings_in_start_order(
    system: ActorSystem,
) -> None:
    await system.spawn(partial(Tree, [], {"worker": {}, "chain": {"devnet": {}}}), name="app")
    await system.spawn(partial(Probe, []), name="solo")
    snapshots = system.snapshot()
    assert [(s.path, s.supervisor) for s in snapshots] == [
        ("/", None),
        ("/app", "/"),
        ("/app/worker", "/app"),
        ("/app/chain", "/app"),
        ("/app/chain/devnet", "/app/chain"),
        ("/solo", "/"),
    ]
    assert snapshots[1].children == ["/app/worker", "/app/chain"]
    assert {s.state for s in snapshots} == {"running"}
    assert snapshots[1].actor == "Tree"


async def test_a_stopped_subtree_leaves_the_lookup_and_the_snapshot(system: ActorSystem) -> None:
    await system.spawn(partial(Tree, [], {"worker": {}, "chain": {"devnet": {}}}), name="app")
    chain = system.lookup("/app/chain")
    assert chain is not None
    await chain.stop()
    assert system.lookup("/app/chain") is None
    assert system.lookup("/app/chain/devnet") is None
    assert [s.path for s in system.snapshot()] == ["/", "/app", "/app/worker"]
