"""Actor timers: `schedule` once, `every` at a fixed rate, cancelled at stop and restart."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from messages.control import Ping
from runtime import Actor, ActorSystem, MailboxConfig, ManualClock, Timer
from tests.runtime.support import snapshot_of, until

if TYPE_CHECKING:
    from collections.abc import Callable

    from runtime import ActorRef


class Arm(msgspec.Struct, frozen=True):
    delay: float
    interval: float | None = None


class Tick(msgspec.Struct, frozen=True):
    pass


class Ticker(Actor):
    """Arms the timer it is asked for and records the clock time of every tick it handles."""

    def __init__(self, ticks: list[float]) -> None:
        super().__init__()
        self.ticks = ticks

    def on_arm(self, message: Arm) -> Timer:
        if message.interval is None:
            return self.context.schedule(message.delay, Tick())
        return self.context.every(message.interval, Tick(), initial_delay=message.delay)

    def on_tick(self, message: Tick) -> None:
        self.ticks.append(self.context.system.clock.time())


class _LateCall:
    def __init__(self, when: float, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class LateClock:
    """A clock whose callbacks run only when the test says the loop got round to them.

    `ManualClock` runs each callback at exactly its due time; this one lets a
    test run them late, as a busy loop would.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[_LateCall] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> _LateCall:
        call = _LateCall(self.now + delay, callback, args)
        self.calls.append(call)
        return call

    def run_late(self, now: float) -> None:
        """Set the time to ``now`` and only then run every callback that fell due."""
        self.now = now
        due = [call for call in self.calls if call.when <= now and not call.cancelled]
        self.calls = [call for call in self.calls if call not in due]
        for call in due:
            call.callback(*call.args)

    def next_due(self) -> float:
        return min(call.when for call in self.calls if not call.cancelled)


async def arm(ref: ActorRef, delay: float, interval: float | None = None) -> Timer:
    # No ask timeout: it would put a timer of its own on the clock.
    timer: Timer = await ref.ask(Arm(delay, interval), timeout=None)
    return timer


async def settle(ref: ActorRef) -> None:
    """Wait until ``ref`` has handled every tick delivered so far."""
    await ref.ask(Ping(), timeout=None)


@pytest.fixture
async def ticker(system: ActorSystem) -> tuple[ActorRef, list[float]]:
    ticks: list[float] = []
    return await system.spawn(partial(Ticker, ticks), name="ticker"), ticks


async def test_schedule_delivers_once_after_the_delay(
    clock: ManualClock, ticker: tuple[ActorRef, list[float]]
) -> None:
    ref, ticks = ticker
    await arm(ref, 2.0)
    clock.advance(1.5)
    await settle(ref)
    assert ticks == []
    clock.advance(0.5)
    await settle(ref)
    assert ticks == [2.0]
    clock.advance(100.0)
    await settle(ref)
    assert ticks == [2.0]
    assert clock.pending == 0


async def test_every_delivers_at_a_fixed_rate(
    clock: ManualClock, ticker: tuple[ActorRef, list[float]]
) -> None:
    ref, ticks = ticker
    await arm(ref, 1.0, 1.0)
    for _ in range(3):
        clock.advance(1.0)
        await settle(ref)
    assert ticks == [1.0, 2.0, 3.0]
    assert clock.next_deadline() == 4.0


async def test_every_waits_its_initial_delay_before_the_first_tick(
    clock: ManualClock, ticker: tuple[ActorRef, list[float]]
) -> None:
    ref, ticks = ticker
    await arm(ref, 0.25, 1.0)
    clock.advance(0.25)
    await settle(ref)
    clock.advance(1.0)
    await settle(ref)
    assert ticks == [0.25, 1.25]


async def test_every_skips_the_ticks_it_missed_instead_of_bursting() -> None:
    clock = LateClock()
    async with ActorSystem("late", clock=clock) as system:
        ticks: list[float] = []
        ref = await system.spawn(partial(Ticker, ticks), name="ticker")
        await arm(ref, 1.0, 1.0)
        clock.run_late(3.5)
        await settle(ref)
        assert ticks == [3.5]
        assert clock.next_due() == 4.0
        clock.run_late(4.0)
        await settle(ref)
        assert ticks == [3.5, 4.0]


async def test_every_keeps_its_rate_when_a_tick_runs_late() -> None:
    clock = LateClock()
    async with ActorSystem("late", clock=clock) as system:
        ref = await system.spawn(partial(Ticker, []), name="ticker")
        await arm(ref, 1.0, 1.0)
        clock.run_late(1.3)
        assert clock.next_due() == 2.0


async def test_timers_are_cancelled_when_the_actor_stops(
    system: ActorSystem, clock: ManualClock, ticker: tuple[ActorRef, list[float]]
) -> None:
    ref, _ = ticker
    once = await arm(ref, 1.0)
    repeating = await arm(ref, 0.5, 0.5)
    await ref.stop()
    assert (once.cancelled, repeating.cancelled) == (True, True)
    assert clock.pending == 0
    before = system.dead_letters_total
    clock.advance(10.0)
    assert system.dead_letters_total == before


async def test_timers_are_cancelled_when_the_actor_restarts(
    clock: ManualClock, ticker: tuple[ActorRef, list[float]]
) -> None:
    ref, ticks = ticker
    await arm(ref, 1.0)
    await arm(ref, 0.5, 0.5)
    await ref.restart()
    assert clock.pending == 0
    clock.advance(10.0)
    await settle(ref)
    assert ticks == []


async def test_a_cancelled_timer_delivers_nothing_more(
    clock: ManualClock, ticker: tuple[ActorRef, list[float]]
) -> None:
    ref, ticks = ticker
    timer = await arm(ref, 1.0, 1.0)
    clock.advance(1.0)
    await settle(ref)
    timer.cancel()
    timer.cancel()
    clock.advance(10.0)
    await settle(ref)
    assert ticks == [1.0]
    assert timer.cancelled
    assert clock.pending == 0


async def test_a_tick_that_meets_a_full_mailbox_is_dropped_and_counted(
    system: ActorSystem, clock: ManualClock
) -> None:
    ticks: list[float] = []
    ref = await system.spawn(
        partial(Ticker, ticks), name="ticker", mailbox=MailboxConfig(capacity=1)
    )
    await arm(ref, 1.0, 1.0)
    ref.pause()
    ref.tell(Ping())
    clock.advance(1.0)
    assert snapshot_of(system, ref).dropped_total == 1
    ref.resume()
    await until(lambda: snapshot_of(system, ref).mailbox_depth == 0)
    clock.advance(1.0)
    await until(lambda: ticks == [2.0])


@pytest.mark.parametrize(("delay", "interval"), [(-1.0, None), (1.0, 0.0), (1.0, -1.0)])
async def test_a_negative_delay_or_a_non_positive_interval_is_refused(
    ticker: tuple[ActorRef, list[float]], delay: float, interval: float | None
) -> None:
    ref, _ = ticker
    with pytest.raises(ValueError, match="timer delay must be >= 0 and interval > 0"):
        await arm(ref, delay, interval)
