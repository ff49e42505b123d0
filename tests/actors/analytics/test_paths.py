"""Path maths: the chosen input against brute force over every integer input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from actors.analytics import (
    Leg,
    best_input,
    leg_amount_out,
    optimal_v2_v2_input,
    path_amount_out,
    profitable_at_margin,
    real_optimum,
)
from actors.analytics._paths import _v3_swap
from actors.dex import amount_out_within_range, get_sqrt_ratio_at_tick
from messages.market import Pool, V2State, V3State

TOKENS = ("0x" + "0a" * 20, "0x" + "0b" * 20)


def v2_pool(address: str = "0x" + "11" * 20) -> Pool:
    return Pool(
        address=address, dex="v2", kind="uniswap_v2", token0=TOKENS[0], token1=TOKENS[1], fee=3000
    )


def v3_pool(fee: int, spacing: int) -> Pool:
    return Pool(
        address="0x" + "33" * 20,
        dex="v3",
        kind="uniswap_v3",
        token0=TOKENS[0],
        token1=TOKENS[1],
        fee=fee,
        tick_spacing=spacing,
    )


small_reserves = st.integers(min_value=50, max_value=1_000)


@st.composite
def v2_legs(draw: st.DrawFn) -> Leg:
    state = V2State(reserve0=draw(small_reserves), reserve1=draw(small_reserves))
    return Leg(v2_pool(), state, draw(st.booleans()))


@st.composite
def v3_legs(draw: st.DrawFn) -> Leg:
    tick = draw(st.integers(min_value=-300, max_value=300))
    low, high = get_sqrt_ratio_at_tick(tick), get_sqrt_ratio_at_tick(tick + 1)
    state = V3State(
        sqrt_price_x96=draw(st.integers(min_value=low, max_value=high - 1)),
        liquidity=draw(st.integers(min_value=1_000, max_value=100_000)),
        tick=tick,
    )
    pool = v3_pool(draw(st.sampled_from([500, 3000, 10_000])), draw(st.sampled_from([1, 10, 60])))
    return Leg(pool, state, draw(st.booleans()))


any_legs = st.one_of(v2_legs(), v3_legs())


def profit(legs: list[Leg], amount_in: int) -> int | None:
    out = path_amount_out(legs, amount_in)
    return None if out is None else out - amount_in


def brute_force_best(legs: list[Leg]) -> int:
    """The highest exact profit over every input until the path stops answering or must lose."""
    # Past the most the last pool can pay out, no output covers its input.
    last = legs[-1]
    if isinstance(last.state, V2State):
        limit = last.state.reserve0 if not last.zero_for_one else last.state.reserve1
    else:
        whole_range = amount_out_within_range(
            last.state,
            2**120,
            last.zero_for_one,
            last.pool.fee,
            tick_spacing=last.pool.tick_spacing,
        )
        limit = whole_range.amount_out
    best = 0
    for amount_in in range(1, limit + 1):
        gained = profit(legs, amount_in)
        if gained is None:
            return best
        best = max(best, gained)
    return best


@given(leg=v3_legs(), amount_in=st.integers(min_value=1, max_value=10**6))
def test_a_v3_leg_pays_what_the_within_range_swap_pays_until_the_range_ends(
    leg: Leg, amount_in: int
) -> None:
    assert isinstance(leg.state, V3State)
    swap = amount_out_within_range(
        leg.state, amount_in, leg.zero_for_one, leg.pool.fee, tick_spacing=leg.pool.tick_spacing
    )
    if swap.amount_in < amount_in:
        assert leg_amount_out(leg, amount_in) is None
    else:
        assert leg_amount_out(leg, amount_in) == swap.amount_out


@settings(max_examples=150, deadline=None)
@given(first=v2_legs(), second=v2_legs())
def test_the_v2_v2_closed_form_is_the_brute_force_optimum(first: Leg, second: Leg) -> None:
    second = second._replace(zero_for_one=not first.zero_for_one)
    best = brute_force_best([first, second])
    chosen = optimal_v2_v2_input(first, second)
    if best <= 0:
        assert chosen == 0
    else:
        assert profit([first, second], chosen) == best


@settings(max_examples=150, deadline=None)
@given(legs=st.lists(any_legs, min_size=2, max_size=3))
def test_no_input_beats_the_chosen_one_on_v2_and_v3_paths(legs: list[Leg]) -> None:
    best = brute_force_best(legs)
    chosen = best_input(legs)
    assert best <= real_optimum(legs)[1]
    if best <= 0:
        assert chosen.amount_in == chosen.amount_out == 0
    else:
        assert chosen.profit == best
        assert path_amount_out(legs, chosen.amount_in) == chosen.amount_out


@settings(max_examples=100, deadline=None)
@given(legs=st.lists(any_legs, min_size=2, max_size=3))
def test_a_path_that_loses_at_the_margin_loses_at_every_input(legs: list[Leg]) -> None:
    if not profitable_at_margin(legs):
        assert brute_force_best(legs) == 0


def test_a_v3_hop_is_capped_at_the_end_of_its_tick_range() -> None:
    tick = 30
    state = V3State(sqrt_price_x96=get_sqrt_ratio_at_tick(tick), liquidity=10**6, tick=tick)
    cheap = Leg(v3_pool(500, 60), state, zero_for_one=False)
    dear = Leg(v2_pool(), V2State(reserve0=10**9, reserve1=2 * 10**9), zero_for_one=True)
    chosen = best_input([cheap, dear])
    assert chosen.amount_in > 0
    assert path_amount_out([cheap, dear], chosen.amount_in) == chosen.amount_out
    # The whole range is worth buying: the answer sits at its end, where the path stops answering.
    beyond = [path_amount_out([cheap, dear], chosen.amount_in + n) for n in range(1, 10)]
    assert None in beyond


def test_on_deep_v2_pools_no_neighbouring_input_beats_the_closed_form() -> None:
    first = Leg(v2_pool(), V2State(reserve0=10**21, reserve1=2 * 10**21 + 7), zero_for_one=True)
    second = Leg(
        v2_pool(), V2State(reserve0=1_031 * 10**18, reserve1=2 * 10**21), zero_for_one=False
    )
    chosen = best_input([first, second])
    assert chosen.profit > 10**16
    for amount_in in range(chosen.amount_in - 100, chosen.amount_in + 101):
        assert profit([first, second], amount_in) <= chosen.profit  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(v3_legs(), st.integers(min_value=0, max_value=2**40))
def test_a_compiled_v3_leg_pays_what_leg_amount_out_says_for_every_input(
    leg: Leg, start: int
) -> None:
    swap = _v3_swap(leg)
    amounts = [*range(64), *range(start, start + 64), 2**100, 2**170]
    assert [swap(x) for x in amounts] == [leg_amount_out(leg, x) if x else 0 for x in amounts]
