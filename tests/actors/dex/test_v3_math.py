"""Uniswap V3 maths: TickMath, SqrtPriceMath, SwapMath against the whitepaper and v3-core's tests.

The references below work from the whitepaper's formulas (6.13-6.16:
``delta(sqrt P) = delta y / L`` and ``delta(1/sqrt P) = delta x / L``) with exact
fractions, and round each result the way the contracts promise: the price moves
no further than the input pays for, inputs round up, outputs round down.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from actors.dex import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q96,
    InsufficientLiquidity,
    InvalidAmount,
    OutOfRange,
    amount_out_within_range,
    compute_swap_step,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    sqrt_price_to_price,
)
from messages.market import V3State

E18 = 10**18
UINT256 = 1 << 256
# encodePriceSqrt(101, 100) of v3-core's tests.
SQRT_PRICE_101_100 = 79623317895830914510639640423

ticks = st.integers(min_value=MIN_TICK, max_value=MAX_TICK)
prices = st.integers(min_value=MIN_SQRT_RATIO, max_value=MAX_SQRT_RATIO - 1)
liquidities = st.integers(min_value=1, max_value=2**128 - 1)
fee_pips = st.sampled_from([0, 100, 500, 3000, 10_000, 999_999])


def exact_next_price(price: int, liquidity: int, amount: int, zero_for_one: bool) -> Fraction:
    """The whitepaper's next sqrt price (Q96) after ``amount`` in, without rounding."""
    if zero_for_one:
        return Fraction(liquidity * Q96 * price, liquidity * Q96 + amount * price)
    return price + Fraction(amount * Q96, liquidity)


def exact_amount0(a: Fraction | int, b: Fraction | int, liquidity: int) -> Fraction:
    """``L * (1/sqrt(low) - 1/sqrt(high))`` in raw token0, prices in Q96."""
    low, high = min(a, b), max(a, b)
    return Fraction(liquidity * Q96) * (Fraction(1) / low - Fraction(1) / high)


def exact_amount1(a: Fraction | int, b: Fraction | int, liquidity: int) -> Fraction:
    """``L * (sqrt(high) - sqrt(low))`` in raw token1, prices in Q96."""
    return Fraction(liquidity) * abs(Fraction(b) - Fraction(a)) / Q96


def reference_exact_input_step(
    price: int, target: int, liquidity: int, amount: int, fee: int
) -> tuple[int, int, int, int]:
    """One exact-input step from the whitepaper: (next price, amount in, amount out, fee)."""
    zero_for_one = price >= target
    amount_in_of, amount_out_of = (
        (exact_amount0, exact_amount1) if zero_for_one else (exact_amount1, exact_amount0)
    )
    less_fee = amount * (10**6 - fee) // 10**6
    to_target = ceil(amount_in_of(price, target, liquidity))
    if less_fee >= to_target:
        fee_amount = ceil(Fraction(to_target * fee, 10**6 - fee))
        return target, to_target, floor(amount_out_of(price, target, liquidity)), fee_amount
    exact = exact_next_price(price, liquidity, less_fee, zero_for_one)
    next_price = ceil(exact) if zero_for_one else floor(exact)
    amount_in = ceil(amount_in_of(price, next_price, liquidity))
    return (
        next_price,
        amount_in,
        floor(amount_out_of(price, next_price, liquidity)),
        amount - amount_in,
    )


def no_overflow(price: int, liquidity: int, amount: int) -> bool:
    """Whether the contract takes its precise path (no 256-bit overflow) for token0 in."""
    return amount * price < UINT256 and (liquidity << 96) + amount * price < UINT256


# -- TickMath -----------------------------------------------------------------


def test_the_extreme_ticks_give_tickmath_s_min_and_max_sqrt_ratios() -> None:
    assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO == 4295128739
    assert (
        get_sqrt_ratio_at_tick(MAX_TICK)
        == MAX_SQRT_RATIO
        == 1461446703485210103287273052203988822378723970342
    )


def test_tick_zero_is_price_one() -> None:
    assert get_sqrt_ratio_at_tick(0) == Q96
    assert get_tick_at_sqrt_ratio(Q96) == 0


def test_the_extreme_sqrt_ratios_give_the_extreme_ticks() -> None:
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO) == MIN_TICK
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1


@pytest.mark.parametrize("tick", [MIN_TICK - 1, MAX_TICK + 1, 10**7])
def test_a_tick_beyond_the_limits_is_out_of_range(tick: int) -> None:
    with pytest.raises(OutOfRange):
        get_sqrt_ratio_at_tick(tick)


@pytest.mark.parametrize("price", [0, MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO, 2**160])
def test_a_sqrt_price_beyond_the_limits_is_out_of_range(price: int) -> None:
    with pytest.raises(OutOfRange):
        get_tick_at_sqrt_ratio(price)


@given(tick=ticks)
def test_a_tick_s_sqrt_ratio_is_sqrt_1_0001_to_the_tick_within_a_unit_and_1e_18(tick: int) -> None:
    with localcontext() as context:
        context.prec = 100
        exact = (Decimal("1.0001") ** tick).sqrt() * Q96
        assert abs(get_sqrt_ratio_at_tick(tick) - exact) <= 1 + exact / 10**18


@given(tick=st.integers(min_value=MIN_TICK, max_value=MAX_TICK - 1))
def test_sqrt_ratios_rise_strictly_with_the_tick(tick: int) -> None:
    assert get_sqrt_ratio_at_tick(tick) < get_sqrt_ratio_at_tick(tick + 1)


@given(tick=st.integers(min_value=MIN_TICK, max_value=MAX_TICK - 1))
def test_a_tick_s_own_sqrt_ratio_gives_the_tick_back(tick: int) -> None:
    assert get_tick_at_sqrt_ratio(get_sqrt_ratio_at_tick(tick)) == tick


@given(price=prices)
def test_the_tick_of_a_price_is_the_greatest_whose_ratio_does_not_exceed_it(price: int) -> None:
    tick = get_tick_at_sqrt_ratio(price)
    assert get_sqrt_ratio_at_tick(tick) <= price < get_sqrt_ratio_at_tick(tick + 1)


def test_the_price_is_the_square_of_the_sqrt_price_over_2_to_the_192() -> None:
    assert sqrt_price_to_price(Q96) == 1
    assert sqrt_price_to_price(2 * Q96) == 4
    assert sqrt_price_to_price(Q96 // 2) == Fraction(1, 4)


# -- SqrtPriceMath --------------------------------------------------------------


def test_next_prices_match_v3_core_s_sqrt_price_math_tests() -> None:
    assert get_next_sqrt_price_from_input(Q96, E18, E18 // 10, False) == (
        87150978765690771352898345369
    )
    assert get_next_sqrt_price_from_input(Q96, E18, E18 // 10, True) == (
        72025602285694852357767227579
    )


@given(price=prices, liquidity=liquidities, amount=st.integers(min_value=0, max_value=2**128))
def test_token0_in_lowers_the_price_to_the_whitepaper_s_rounded_up(
    price: int, liquidity: int, amount: int
) -> None:
    assume(no_overflow(price, liquidity, amount))
    exact = exact_next_price(price, liquidity, amount, zero_for_one=True)
    assert get_next_sqrt_price_from_input(price, liquidity, amount, True) == ceil(exact)


@given(price=prices, liquidity=liquidities, amount=st.integers(min_value=0, max_value=2**128))
def test_token1_in_raises_the_price_to_the_whitepaper_s_rounded_down(
    price: int, liquidity: int, amount: int
) -> None:
    exact = exact_next_price(price, liquidity, amount, zero_for_one=False)
    assume(exact < 2**160)
    assert get_next_sqrt_price_from_input(price, liquidity, amount, False) == floor(exact)


@given(
    price=st.integers(min_value=2**100, max_value=2**160 - 1),
    liquidity=liquidities,
    amount=st.integers(min_value=2**160, max_value=2**200),
)
def test_when_the_precise_formula_overflows_the_price_still_moves_no_further_than_paid(
    price: int, liquidity: int, amount: int
) -> None:
    assume(not no_overflow(price, liquidity, amount))
    exact = exact_next_price(price, liquidity, amount, zero_for_one=True)
    assert get_next_sqrt_price_from_input(price, liquidity, amount, True) >= exact


def test_token1_in_that_overflows_uint160_is_out_of_range() -> None:
    with pytest.raises(OutOfRange):
        get_next_sqrt_price_from_input(MAX_SQRT_RATIO, 1, 2**100, False)


def test_taking_out_all_of_a_range_s_token0_is_insufficient_liquidity() -> None:
    with pytest.raises(InsufficientLiquidity):
        get_next_sqrt_price_from_output(Q96, E18, E18, False)
    with pytest.raises(InsufficientLiquidity):
        get_next_sqrt_price_from_output(Q96, E18, E18, True)


def test_zero_liquidity_or_zero_price_cannot_price_a_swap() -> None:
    with pytest.raises(InsufficientLiquidity):
        get_next_sqrt_price_from_input(Q96, 0, 1, True)
    with pytest.raises(OutOfRange):
        get_next_sqrt_price_from_input(0, E18, 1, True)


# -- SwapMath -------------------------------------------------------------------


def test_an_exact_input_capped_at_the_target_matches_v3_core() -> None:
    step = compute_swap_step(Q96, SQRT_PRICE_101_100, 2 * E18, E18, 600)
    assert step == (SQRT_PRICE_101_100, 9975124224178055, 9925619580021728, 5988667735148)


def test_an_exact_output_capped_at_the_target_matches_v3_core() -> None:
    step = compute_swap_step(Q96, SQRT_PRICE_101_100, 2 * E18, -E18, 600)
    assert step == (SQRT_PRICE_101_100, 9975124224178055, 9925619580021728, 5988667735148)


def test_an_exact_input_spent_fully_matches_v3_core() -> None:
    step = compute_swap_step(Q96, 10 * Q96 // 3, 2 * E18, E18, 600)
    assert step[1:] == (999400000000000000, 666399946655997866, 600000000000000)
    assert step.sqrt_price_next_x96 < 10 * Q96 // 3


def test_an_exact_output_spent_fully_matches_v3_core() -> None:
    step = compute_swap_step(Q96, 10 * Q96, 2 * E18, -E18, 600)
    assert step[1:] == (2000000000000000000, 1000000000000000000, 1200720432259356)


# Targets anywhere, and targets close enough for the input to reach them.
target_moves = st.one_of(
    st.integers(min_value=-(2**160), max_value=2**160),
    st.integers(min_value=-(2**90), max_value=2**90),
    st.integers(min_value=-(2**40), max_value=2**40),
)


def clamped(price: int, move: int) -> int:
    return min(max(price + move, MIN_SQRT_RATIO), MAX_SQRT_RATIO - 1)


@settings(max_examples=400)
@given(
    price=prices,
    move=target_moves,
    liquidity=liquidities,
    amount=st.integers(min_value=0, max_value=2**128),
    fee=fee_pips,
)
def test_an_exact_input_step_is_the_whitepaper_s_rounded_as_the_contract_promises(
    price: int, move: int, liquidity: int, amount: int, fee: int
) -> None:
    target = clamped(price, move)
    assume(no_overflow(price, liquidity, amount))
    next_price = exact_next_price(price, liquidity, amount, zero_for_one=price >= target)
    assume(next_price < 2**160)
    step = compute_swap_step(price, target, liquidity, amount, fee)
    assert step == reference_exact_input_step(price, target, liquidity, amount, fee)


@settings(max_examples=300)
@given(
    price=prices,
    move=target_moves,
    liquidity=liquidities,
    amount=st.integers(min_value=0, max_value=2**128),
    fee=fee_pips,
)
def test_an_exact_input_step_never_overspends_passes_its_target_or_overpays(
    price: int, move: int, liquidity: int, amount: int, fee: int
) -> None:
    target = clamped(price, move)
    zero_for_one = price >= target
    step = compute_swap_step(price, target, liquidity, amount, fee)
    assert step.amount_in + step.fee_amount <= amount
    if zero_for_one:
        assert target <= step.sqrt_price_next_x96 <= price
        paid_out = exact_amount1(price, step.sqrt_price_next_x96, liquidity)
    else:
        assert price <= step.sqrt_price_next_x96 <= target
        paid_out = exact_amount0(price, step.sqrt_price_next_x96, liquidity)
    assert step.amount_out <= paid_out


def test_a_fee_of_a_million_pips_or_more_is_invalid() -> None:
    with pytest.raises(InvalidAmount):
        compute_swap_step(Q96, SQRT_PRICE_101_100, E18, E18, 1_000_000)


# -- one tick range -------------------------------------------------------------


def state_at(tick: int, liquidity: int, offset: int = 0) -> V3State:
    return V3State(
        sqrt_price_x96=get_sqrt_ratio_at_tick(tick) + offset, liquidity=liquidity, tick=tick
    )


def test_a_small_swap_stays_in_range_and_fills_completely() -> None:
    state = state_at(5, 10**21, offset=12345)
    swap = amount_out_within_range(state, 10**15, False, 3000, tick_spacing=60)
    step = compute_swap_step(
        state.sqrt_price_x96, get_sqrt_ratio_at_tick(60), state.liquidity, 10**15, 3000
    )
    assert not swap.crossed
    assert swap.amount_in == 10**15
    assert (swap.amount_out, swap.sqrt_price_x96) == (step.amount_out, step.sqrt_price_next_x96)
    assert swap.tick == get_tick_at_sqrt_ratio(swap.sqrt_price_x96)


@pytest.mark.parametrize(("zero_for_one", "boundary", "new_tick"), [(True, 0, -1), (False, 60, 60)])
def test_a_large_swap_stops_at_the_range_boundary_and_says_it_crossed(
    zero_for_one: bool, boundary: int, new_tick: int
) -> None:
    state = state_at(5, 10**18, offset=12345)
    swap = amount_out_within_range(state, 10**24, zero_for_one, 3000, tick_spacing=60)
    boundary_price = get_sqrt_ratio_at_tick(boundary)
    exact_out = (exact_amount1 if zero_for_one else exact_amount0)(
        state.sqrt_price_x96, boundary_price, state.liquidity
    )
    assert swap.crossed
    assert swap.sqrt_price_x96 == boundary_price
    assert swap.tick == new_tick
    assert swap.amount_in < 10**24
    assert swap.amount_out == floor(exact_out)


def test_negative_ticks_find_their_range_below_as_the_tick_bitmap_does() -> None:
    state = state_at(-61, 10**18, offset=1)
    swap = amount_out_within_range(state, 10**24, True, 3000, tick_spacing=60)
    assert swap.crossed
    assert swap.sqrt_price_x96 == get_sqrt_ratio_at_tick(-120)


def test_a_range_without_liquidity_is_crossed_at_once_for_nothing() -> None:
    state = state_at(5, 0, offset=99)
    swap = amount_out_within_range(state, 10**18, True, 3000, tick_spacing=10)
    assert swap.crossed
    assert (swap.amount_out, swap.amount_in) == (0, 0)
    assert swap.sqrt_price_x96 == get_sqrt_ratio_at_tick(0)


def test_selling_token0_near_the_minimum_price_stops_at_the_pool_s_price_limit() -> None:
    state = V3State(sqrt_price_x96=MIN_SQRT_RATIO + 10, liquidity=10**18, tick=MIN_TICK)
    swap = amount_out_within_range(state, 10**30, True, 3000)
    assert swap.crossed
    assert swap.sqrt_price_x96 == MIN_SQRT_RATIO + 1
    assert swap.tick == get_tick_at_sqrt_ratio(MIN_SQRT_RATIO + 1)


@given(
    tick=st.integers(min_value=-100_000, max_value=100_000),
    offset=st.floats(min_value=0.0, max_value=0.999),
    liquidity=st.integers(min_value=10**6, max_value=10**30),
    amount=st.integers(min_value=1, max_value=10**30),
    extra=st.integers(min_value=1, max_value=10**30),
    zero_for_one=st.booleans(),
    spacing=st.sampled_from([1, 10, 60, 200]),
)
def test_more_input_never_gives_less_output_within_a_range(
    *,
    tick: int,
    offset: float,
    liquidity: int,
    amount: int,
    extra: int,
    zero_for_one: bool,
    spacing: int,
) -> None:
    low, high = get_sqrt_ratio_at_tick(tick), get_sqrt_ratio_at_tick(tick + 1)
    state = V3State(sqrt_price_x96=low + int((high - low) * offset), liquidity=liquidity, tick=tick)
    smaller = amount_out_within_range(state, amount, zero_for_one, 3000, tick_spacing=spacing)
    larger = amount_out_within_range(
        state, amount + extra, zero_for_one, 3000, tick_spacing=spacing
    )
    assert larger.amount_out >= smaller.amount_out
    assert smaller.amount_in <= amount
    assert smaller.crossed or smaller.amount_in == amount
    if smaller.crossed:
        assert larger.crossed
        assert larger.amount_out == smaller.amount_out


def test_a_tick_that_disagrees_with_the_price_is_out_of_range() -> None:
    state = V3State(sqrt_price_x96=get_sqrt_ratio_at_tick(100), liquidity=10**18, tick=-500)
    with pytest.raises(OutOfRange):
        amount_out_within_range(state, 10**18, False, 3000, tick_spacing=60)
    state = V3State(sqrt_price_x96=get_sqrt_ratio_at_tick(-500), liquidity=10**18, tick=100)
    with pytest.raises(OutOfRange):
        amount_out_within_range(state, 10**18, True, 3000, tick_spacing=60)


@pytest.mark.parametrize(
    ("amount", "spacing"), [(0, 1), (-1, 1), (2**255, 1), (10**18, 0), (10**18, -60)]
)
def test_a_range_swap_rejects_invalid_amounts_and_spacings(amount: int, spacing: int) -> None:
    with pytest.raises(InvalidAmount):
        amount_out_within_range(state_at(0, 10**18, 5), amount, True, 3000, tick_spacing=spacing)


def test_a_range_swap_rejects_a_price_beyond_tickmath_s_limits() -> None:
    state = V3State(sqrt_price_x96=MAX_SQRT_RATIO, liquidity=10**18, tick=MAX_TICK)
    with pytest.raises(OutOfRange):
        amount_out_within_range(state, 10**18, True, 3000)
