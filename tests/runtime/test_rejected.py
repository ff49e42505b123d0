"""A handler that raises `Rejected` answers its asker with the error and the actor carries on."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import msgspec
import pytest

from runtime import Actor, Rejected
from tests.runtime.support import snapshot_of, turns, until

if TYPE_CHECKING:
    from runtime import ActorSystem


class Set(msgspec.Struct, frozen=True):
    value: int


class Get(msgspec.Struct, frozen=True):
    pass


class BadValue(Rejected):
    """A value out of range: the actor's kind of refusal."""


class Setting(Actor):
    """Keeps a non-negative value; refuses negative ones, sync or after an await."""

    starts = 0

    def __init__(self) -> None:
        super().__init__()
        self.value = 0
        Setting.starts += 1

    def on_set(self, msg: Set) -> int:
        if msg.value < 0:
            raise BadValue(f"value must be >= 0, got {msg.value}")
        self.value = msg.value
        return self.value

    async def on_get(self, msg: Get) -> int:
        await asyncio.sleep(0)  # wait-ok: suspends, so the refusal comes through the task path
        if self.value == 0:
            raise Rejected("nothing set yet")
        return self.value


@pytest.fixture(autouse=True)
def count_from_zero() -> None:
    Setting.starts = 0


async def test_a_rejected_ask_raises_in_the_asker_and_the_actor_keeps_its_state(
    system: ActorSystem,
) -> None:
    ref = await system.spawn(Setting, name="setting")
    assert await ref.ask(Set(5), timeout=0.5) == 5
    with pytest.raises(BadValue, match="got -1"):
        await ref.ask(Set(-1), timeout=0.5)
    assert await ref.ask(Get(), timeout=0.5) == 5
    snapshot = snapshot_of(system, ref)
    assert (snapshot.state, snapshot.restarts_total, snapshot.failed_total) == ("running", 0, 0)
    assert snapshot.rejected_total == 1
    assert Setting.starts == 1


async def test_a_rejection_after_an_await_answers_the_asker_without_a_restart(
    system: ActorSystem,
) -> None:
    ref = await system.spawn(Setting, name="setting")
    with pytest.raises(Rejected, match="nothing set yet"):
        await ref.ask(Get(), timeout=0.5)
    assert await ref.ask(Set(3), timeout=0.5) == 3
    assert snapshot_of(system, ref).rejected_total == 1
    assert Setting.starts == 1


async def test_messages_queued_behind_a_rejected_one_are_all_handled(system: ActorSystem) -> None:
    ref = await system.spawn(Setting, name="setting")
    ref.tell(Set(1))
    ref.tell(Set(-1))
    ref.tell(Set(2))
    reply = ref.ask(Get(), timeout=0.5)
    assert await reply == 2
    await until(lambda: snapshot_of(system, ref).handled_total == 4)
    assert snapshot_of(system, ref).rejected_total == 1


async def test_a_rejected_tell_is_logged_and_counted_not_a_failure(
    system: ActorSystem, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    ref = await system.spawn(Setting, name="setting")
    ref.tell(Set(-7))
    await until(lambda: snapshot_of(system, ref).rejected_total == 1)
    await turns()
    assert snapshot_of(system, ref).failed_total == 0
    # The console renderer or the stdlib handler, by how an earlier test configured logging.
    assert "message_rejected" in capsys.readouterr().out + caplog.text


async def test_any_other_error_still_fails_the_actor(system: ActorSystem) -> None:
    class Broken(Setting):
        def on_set(self, msg: Set) -> int:
            raise ValueError(msg.value)

    ref = await system.spawn(Broken, name="broken")
    with pytest.raises(ValueError, match="9"):
        await ref.ask(Set(9), timeout=0.5)
    await until(lambda: snapshot_of(system, ref).restarts_total == 1)
    assert snapshot_of(system, ref).rejected_total == 0
