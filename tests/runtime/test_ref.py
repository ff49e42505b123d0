"""`ActorRef`: tell, ask (replies, errors, timeouts), send under backpressure, pause, control."""

from __future__ import annotations

import asyncio
from functools import partial

import msgspec
import pytest

from messages.control import Pause, Ping, Pong, Resume
from runtime import Actor, ActorDead, ActorSystem, AskTimeout, MailboxConfig, ManualClock
from runtime._deadlines import SWEEP_INTERVAL
from tests.runtime.support import snapshot_of, turns, until


class Item(msgspec.Struct, frozen=True):
    n: int


class Double(msgspec.Struct, frozen=True):
    n: int


class Fail(msgspec.Struct, frozen=True):
    reason: str


class Recorder(Actor):
    """Records every `Item` it handles; doubles numbers; fails on request."""

    def __init__(self, handled: list[int], raised: list[Exception] | None = None) -> None:
        super().__init__()
        self.handled = handled
        self.raised = raised if raised is not None else []

    def on_item(self, message: Item) -> None:
        self.handled.append(message.n)

    async def on_double(self, message: Double) -> int:
        return message.n * 2

    def on_fail(self, message: Fail) -> None:
        error = ValueError(message.reason)
        self.raised.append(error)
        raise error


async def test_ask_returns_the_handlers_value(system: ActorSystem) -> None:
    ref = await system.spawn(partial(Recorder, []), name="recorder")
    assert await ref.ask(Double(21)) == 42


async def test_ask_raises_the_exception_the_handler_raised(system: ActorSystem) -> None:
    raised: list[Exception] = []
    ref = await system.spawn(partial(Recorder, [], raised), name="recorder")
    with pytest.raises(ValueError, match=r"^no such pool$") as caught:
        await ref.ask(Fail("no such pool"))
    assert caught.value is raised[0]


async def test_a_short_ask_timeout_fires_when_it_is_due(
    system: ActorSystem, clock: ManualClock
) -> None:
    ref = await system.spawn(partial(Recorder, []), name="recorder")
    ref.pause()
    reply = ref.ask(Double(1), timeout=0.5)
    clock.advance(0.499)
    await turns()
    assert not reply.done()
    clock.advance(0.002)
    with pytest.raises(AskTimeout, match=r"no reply from /recorder to Double within 0\.5 s"):
        await reply


async def test_an_ask_timeout_is_a_timeout_error(system: ActorSystem, clock: ManualClock) -> None:
    ref = await system.spawn(partial(Recorder, []), name="recorder")
    ref.pause()
    reply = ref.ask(Double(1), timeout=0.1)
    clock.advance(0.1)
    with pytest.raises(TimeoutError):
        await reply


@pytest.mark.parametrize("timeout", [1.0, 1.37, 2.5])
@pytest.mark.parametrize("asked_at", [0.0, 0.02, 0.049])
async def test_a_long_ask_timeout_fires_within_one_sweep_after_it_is_due(
    system: ActorSystem, clock: ManualClock, timeout: float, asked_at: float
) -> None:
    ref = await system.spawn(partial(Recorder, []), name="recorder")
    ref.pause()
    # Another outstanding ask arms the sweep before ours, so ours is swept out of phase.
    ref.ask(Double(0), timeout=60.0).add_done_callback(lambda _: None)
    clock.advance(asked_at)
    reply = ref.ask(Double(1), timeout=timeout)
    while not reply.done():
        due = clock.next_deadline()
        assert due is not None
        clock.advance(due - clock.time())
    fired_after = clock.time() - asked_at
    assert timeout <= fired_after + 1e-9
    assert fired_after <= timeout + SWEEP_INTERVAL + 1e-9
    with pytest.raises(AskTimeout):
        await reply


async def test_an_answered_ask_is_not_failed_by_its_deadline_later(
    system: ActorSystem, clock: ManualClock
) -> None:
    ref = await system.spawn(partial(Recorder, []), name="recorder")
    short = ref.ask(Double(1), timeout=0.5)
    long = ref.ask(Double(2), timeout=3.0)
    assert (await short, await long) == (2, 4)
    clock.advance(10.0)
    assert (short.result(), long.result()) == (2, 4)


async def test_an_ask_without_a_timeout_waits_as_long_as_it_takes(
    system: ActorSystem, clock: ManualClock
) -> None:
    ref = await system.spawn(partial(Recorder, []), name="recorder")
    ref.pause()
    reply = ref.ask(Double(5), timeout=None)
    clock.advance(3600.0)
    await turns()
    assert not reply.done()
    ref.resume()
    assert await reply == 10


async def test_a_message_whose_ask_timed_out_is_still_handled(
    system: ActorSystem, clock: ManualClock
) -> None:
    handled: list[int] = []
    ref = await system.spawn(partial(Recorder, handled), name="recorder")
    ref.pause()
    reply = ref.ask(Item(7), timeout=0.5)
    clock.advance(0.5)
    with pytest.raises(AskTimeout):
        await reply
    ref.resume()
    await ref.ask(Ping())
    assert handled == [7]


async def test_a_tell_to_a_stopped_actor_is_a_dead_letter(system: ActorSystem) -> None:
    ref = await system.spawn(partial(Recorder, []), name="recorder")
    await ref.stop()
    before = system.dead_letters_total
    ref.tell(Item(1))
    assert system.dead_letters_total == before + 1
    assert not ref.alive


async def test_an_ask_to_a_stopped_actor_raises_actor_dead(system: ActorSystem) -> None:
    ref = await system.spawn(partial(Recorder, []), name="recorder")
    await ref.stop()
    with pytest.raises(ActorDead, match="/recorder stopped before handling Double"):
        await ref.ask(Double(1))


async def test_an_ask_still_queued_when_the_actor_stops_raises_actor_dead(
    system: ActorSystem,
) -> None:
    ref = await system.spawn(partial(Recorder, []), name="recorder")
    ref.pause()
    reply = ref.ask(Double(1))
    await ref.stop()
    with pytest.raises(ActorDead):
        await reply


async def test_send_waits_for_room_and_completes_when_the_actor_drains(
    system: ActorSystem,
) -> None:
    handled: list[int] = []
    ref = await system.spawn(
        partial(Recorder, handled), name="recorder", mailbox=MailboxConfig(capacity=2)
    )
    ref.pause()
    ref.tell(Item(1))
    ref.tell(Item(2))
    sending = asyncio.ensure_future(ref.send(Item(3)))
    await turns()
    assert not sending.done()
    assert snapshot_of(system, ref).mailbox_depth == 2
    ref.resume()
    await sending
    await ref.ask(Ping())
    assert handled == [1, 2, 3]


async def test_send_to_a_mailbox_with_room_does_not_wait(system: ActorSystem) -> None:
    handled: list[int] = []
    ref = await system.spawn(
        partial(Recorder, handled), name="recorder", mailbox=MailboxConfig(capacity=2)
    )
    ref.pause()
    await ref.send(Item(1))
    assert snapshot_of(system, ref).mailbox_depth == 1


async def test_a_sender_waiting_when_the_actor_stops_returns_and_its_message_is_a_dead_letter(
    system: ActorSystem,
) -> None:
    ref = await system.spawn(
        partial(Recorder, []), name="recorder", mailbox=MailboxConfig(capacity=1)
    )
    ref.pause()
    ref.tell(Item(1))
    sending = asyncio.ensure_future(ref.send(Item(2)))
    await turns()
    before = system.dead_letters_total
    await ref.stop()
    await until(sending.done)
    assert sending.result() is None
    assert system.dead_letters_total == before + 2


async def test_a_cancelled_send_leaves_its_message_unsent(system: ActorSystem) -> None:
    handled: list[int] = []
    ref = await system.spawn(
        partial(Recorder, handled), name="recorder", mailbox=MailboxConfig(capacity=1)
    )
    ref.pause()
    ref.tell(Item(1))
    sending = asyncio.ensure_future(ref.send(Item(2)))
    await turns()
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    ref.resume()
    await ref.send(Item(3))
    await until(lambda: handled == [1, 3])


async def test_a_sender_cancelled_just_after_it_was_woken_passes_the_room_on(
    system: ActorSystem,
) -> None:
    handled: list[int] = []
    ref = await system.spawn(
        partial(Recorder, handled), name="recorder", mailbox=MailboxConfig(capacity=1)
    )
    ref.pause()
    ref.tell(Item(1))
    first = asyncio.ensure_future(ref.send(Item(2)))
    second = asyncio.ensure_future(ref.send(Item(3)))
    await turns()
    ref.resume()
    # Runs right after the drain that wakes `first`, before `first` resumes.
    asyncio.get_running_loop().call_soon(first.cancel)
    await until(second.done)
    await until(lambda: handled == [1, 3])
    assert first.cancelled()


async def test_pause_holds_queued_messages_and_resume_releases_them(
    system: ActorSystem,
) -> None:
    handled: list[int] = []
    ref = await system.spawn(partial(Recorder, handled), name="recorder")
    ref.tell(Item(1))
    await ref.ask(Ping())
    ref.pause()
    ref.tell(Item(2))
    ref.tell(Item(3))
    await turns()
    assert handled == [1]
    status = snapshot_of(system, ref)
    assert (status.paused, status.mailbox_depth) == (True, 2)
    ref.resume()
    await ref.ask(Ping())
    assert handled == [1, 2, 3]
    assert not snapshot_of(system, ref).paused


async def test_control_pauses_resumes_and_asks(system: ActorSystem) -> None:
    handled: list[int] = []
    ref = await system.spawn(partial(Recorder, handled), name="recorder")
    assert await ref.control(Pause()) is None
    ref.tell(Item(1))
    await turns()
    assert handled == []
    assert await ref.control(Resume()) is None
    await until(lambda: handled == [1])
    assert await ref.control(Ping()) == Pong(path="/recorder")
