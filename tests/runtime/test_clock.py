"""Clocks: the manual clock's ordering and cancelling, the loop clock, and `sleep`."""

from __future__ import annotations

import asyncio

import pytest

from runtime import LoopClock, ManualClock
from runtime._clock import sleep
from tests.runtime.support import turns, until


def test_a_manual_clock_starts_where_it_is_told_and_moves_only_when_advanced() -> None:
    clock = ManualClock(start=100.0)
    assert clock.time() == 100.0
    assert clock.advance(2.5) == 0
    assert clock.time() == 102.5


def test_advance_runs_due_callbacks_in_time_order_at_their_own_time() -> None:
    clock = ManualClock()
    seen: list[tuple[str, float]] = []
    clock.call_later(3.0, lambda: seen.append(("c", clock.time())))
    clock.call_later(1.0, lambda: seen.append(("a", clock.time())))
    clock.call_later(2.0, lambda: seen.append(("b", clock.time())))
    assert clock.advance(2.5) == 2
    assert seen == [("a", 1.0), ("b", 2.0)]
    assert clock.time() == 2.5
    assert clock.advance(0.5) == 1
    assert seen[-1] == ("c", 3.0)


def test_callbacks_due_at_the_same_time_run_in_the_order_they_were_scheduled() -> None:
    clock = ManualClock()
    seen: list[int] = []
    for n in range(5):
        clock.call_later(1.0, seen.append, n)
    clock.advance(1.0)
    assert seen == [0, 1, 2, 3, 4]


def test_a_cancelled_callback_does_not_run_and_is_not_pending() -> None:
    clock = ManualClock()
    seen: list[str] = []
    kept = clock.call_later(2.0, seen.append, "kept")
    dropped = clock.call_later(1.0, seen.append, "dropped")
    dropped.cancel()
    assert clock.pending == 1
    assert clock.next_deadline() == 2.0
    assert clock.advance(5.0) == 1
    assert seen == ["kept"]
    kept.cancel()
    assert (clock.pending, clock.next_deadline()) == (0, None)


def test_a_callback_scheduled_by_a_callback_runs_if_it_falls_due_within_the_advance() -> None:
    clock = ManualClock()
    seen: list[float] = []

    def tick() -> None:
        seen.append(clock.time())
        clock.call_later(1.0, tick)

    clock.call_later(1.0, tick)
    assert clock.advance(3.5) == 3
    assert seen == [1.0, 2.0, 3.0]
    assert clock.next_deadline() == 4.0


def test_a_zero_or_negative_delay_falls_due_now() -> None:
    clock = ManualClock(start=5.0)
    seen: list[str] = []
    clock.call_later(0.0, seen.append, "zero")
    clock.call_later(-1.0, seen.append, "negative")
    assert clock.next_deadline() == 5.0
    assert clock.advance(0.0) == 2
    assert sorted(seen) == ["negative", "zero"]


async def test_sleep_on_a_manual_clock_ends_when_the_clock_is_advanced() -> None:
    clock = ManualClock()
    nap = sleep(clock, 1.0)
    clock.advance(0.5)
    await turns()
    assert not nap.done()
    clock.advance(0.5)
    await nap


async def test_a_cancelled_sleep_cancels_its_timer() -> None:
    clock = ManualClock()
    nap = sleep(clock, 1.0)
    nap.cancel()
    with pytest.raises(asyncio.CancelledError):
        await nap
    await until(lambda: clock.pending == 0)


async def test_the_loop_clock_is_the_running_loops_clock() -> None:
    loop = asyncio.get_running_loop()
    clock = LoopClock()
    before = loop.time()
    assert before <= clock.time() <= loop.time()
    fired = loop.create_future()
    clock.call_later(0.0, fired.set_result, "fired")
    assert await fired == "fired"
