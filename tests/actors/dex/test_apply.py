"""Applying pool events: Sync and V3 Swap replace a state, Mint and Burn move in-range liquidity."""

from __future__ import annotations

import pytest

from actors.dex import MalformedLog, V2Swap, V2Sync, V3Burn, V3Mint, V3Swap, apply_event
from messages.market import V2State, V3State

V3 = V3State(sqrt_price_x96=2**96, liquidity=1_000, tick=10)
OWNER = "0x" + "11" * 20


def test_a_sync_gives_the_pair_its_new_reserves() -> None:
    assert apply_event(None, V2Sync(5, 7)) == V2State(reserve0=5, reserve1=7)
    assert apply_event(V2State(reserve0=1, reserve1=1), V2Sync(5, 7)) == V2State(
        reserve0=5, reserve1=7
    )


def test_a_v2_swap_leaves_the_reserves_to_its_sync() -> None:
    state = V2State(reserve0=1, reserve1=2)
    assert apply_event(state, V2Swap(OWNER, OWNER, 1, 0, 0, 1)) is state


def test_a_v3_swap_gives_the_pool_its_new_price_liquidity_and_tick() -> None:
    swap = V3Swap(OWNER, OWNER, 10, -9, 2**97, 77, 6931)
    assert apply_event(V3, swap) == V3State(sqrt_price_x96=2**97, liquidity=77, tick=6931)


@pytest.mark.parametrize(("lower", "upper"), [(0, 20), (10, 11), (-100, 100)])
def test_a_mint_around_the_tick_adds_its_liquidity(lower: int, upper: int) -> None:
    state = apply_event(V3, V3Mint(OWNER, OWNER, lower, upper, 500, 1, 1))
    assert state == V3State(sqrt_price_x96=2**96, liquidity=1_500, tick=10)


@pytest.mark.parametrize(("lower", "upper"), [(11, 20), (0, 10), (-100, -50)])
def test_a_mint_away_from_the_tick_changes_nothing(lower: int, upper: int) -> None:
    assert apply_event(V3, V3Mint(OWNER, OWNER, lower, upper, 500, 1, 1)) == V3


def test_a_burn_around_the_tick_removes_its_liquidity() -> None:
    state = apply_event(V3, V3Burn(OWNER, 0, 20, 400, 1, 1))
    assert state == V3State(sqrt_price_x96=2**96, liquidity=600, tick=10)


def test_a_burn_of_zero_only_collects_fees() -> None:
    assert apply_event(V3, V3Burn(OWNER, 0, 20, 0, 0, 0)) == V3


def test_a_burn_of_more_than_the_range_holds_is_malformed() -> None:
    with pytest.raises(MalformedLog):
        apply_event(V3, V3Burn(OWNER, 0, 20, 1_001, 1, 1))


def test_liquidity_changes_on_an_unknown_pool_leave_it_unknown() -> None:
    assert apply_event(None, V3Mint(OWNER, OWNER, 0, 20, 5, 1, 1)) is None
    assert apply_event(None, V3Burn(OWNER, 0, 20, 5, 1, 1)) is None


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (V3, V2Sync(1, 2)),
        (V3, V2Swap(OWNER, OWNER, 1, 0, 0, 1)),
        (V2State(reserve0=1, reserve1=1), V3Swap(OWNER, OWNER, 1, -1, 2**96, 1, 0)),
        (V2State(reserve0=1, reserve1=1), V3Mint(OWNER, OWNER, 0, 20, 5, 1, 1)),
        (V2State(reserve0=1, reserve1=1), V3Burn(OWNER, 0, 20, 5, 1, 1)),
    ],
)
def test_an_event_of_the_other_pool_kind_is_malformed(
    state: V2State | V3State, event: V2Sync | V2Swap | V3Swap | V3Mint | V3Burn
) -> None:
    with pytest.raises(MalformedLog):
        apply_event(state, event)
