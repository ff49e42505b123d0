"""Uniswap V2 maths: the library's rounding and errors, and the two-pool optimum vs brute force."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from actors.dex import (
    DexError,
    InsufficientLiquidity,
    InvalidAmount,
    get_amount_in,
    get_amount_out,
    optimal_two_pool_input,
    spot_price,
    two_pool_profit,
    two_pool_profitable,
)
from runtime import ArbiterError

reserves = st.integers(min_value=1, max_value=2**112 - 1)
amounts = st.integers(min_value=1, max_value=2**112 - 1)
fees = st.integers(min_value=0, max_value=9_999)


def test_amounts_match_the_periphery_tests_of_uniswap_v2_library() -> None:
    assert get_amount_out(2, 100, 100) == 1
    assert get_amount_in(1, 100, 100) == 2


def test_a_thousand_units_into_an_even_pool_pay_what_997_over_1000_gives() -> None:
    reserve = 10**21
    amount_in = 10**18
    expected = amount_in * 997 * reserve // (reserve * 1000 + amount_in * 997)
    assert get_amount_out(amount_in, reserve, reserve) == expected


@given(amount_in=amounts, reserve_in=reserves, reserve_out=reserves)
def test_get_amount_out_is_the_library_formula_to_the_unit(
    amount_in: int, reserve_in: int, reserve_out: int
) -> None:
    library = amount_in * 997 * reserve_out // (reserve_in * 1000 + amount_in * 997)
    assert get_amount_out(amount_in, reserve_in, reserve_out) == library


@given(amount_in=amounts, reserve_in=reserves, reserve_out=reserves, fee_bps=fees)
def test_get_amount_out_never_reaches_the_out_reserve(
    amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int
) -> None:
    assert 0 <= get_amount_out(amount_in, reserve_in, reserve_out, fee_bps) < reserve_out


@given(
    amount_in=amounts,
    extra=st.integers(min_value=1, max_value=2**100),
    reserve_in=reserves,
    reserve_out=reserves,
)
def test_get_amount_out_is_monotone_in_the_input(
    amount_in: int, extra: int, reserve_in: int, reserve_out: int
) -> None:
    smaller = get_amount_out(amount_in, reserve_in, reserve_out)
    assert get_amount_out(amount_in + extra, reserve_in, reserve_out) >= smaller


@given(amount_in=amounts, reserve_in=reserves, reserve_out=reserves, fee_bps=fees)
def test_a_higher_fee_never_pays_more(
    amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int
) -> None:
    with_fee = get_amount_out(amount_in, reserve_in, reserve_out, fee_bps)
    assert with_fee <= get_amount_out(amount_in, reserve_in, reserve_out, 0)


@given(amount_in=amounts, reserve_in=reserves, reserve_out=reserves)
def test_buying_back_what_an_input_bought_costs_it_plus_at_most_one(
    amount_in: int, reserve_in: int, reserve_out: int
) -> None:
    amount_out = get_amount_out(amount_in, reserve_in, reserve_out)
    assume(amount_out > 0)
    assert get_amount_in(amount_out, reserve_in, reserve_out) <= amount_in + 1


@given(amount_out=amounts, reserve_in=reserves, reserve_out=reserves, fee_bps=fees)
def test_get_amount_in_buys_the_amount_and_overshoots_the_cheapest_input_by_at_most_one(
    amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int
) -> None:
    assume(amount_out < reserve_out)
    amount_in = get_amount_in(amount_out, reserve_in, reserve_out, fee_bps)
    assert get_amount_out(amount_in, reserve_in, reserve_out, fee_bps) >= amount_out
    if amount_in > 2:
        assert get_amount_out(amount_in - 2, reserve_in, reserve_out, fee_bps) < amount_out


def test_get_amount_in_overshoots_by_one_exactly_when_the_division_is_exact() -> None:
    # 997 * 1 * 1000 / ((1001 - 1) * 997) is exactly 1: one unit in buys the unit out,
    # and the library's "+ 1" asks for two.
    assert get_amount_in(1, 997, 1001) == 2
    assert get_amount_out(1, 997, 1001) == 1


@pytest.mark.parametrize(
    ("amount", "reserve_in", "reserve_out", "error"),
    [
        (0, 100, 100, InvalidAmount),
        (-5, 100, 100, InvalidAmount),
        (10, 0, 100, InsufficientLiquidity),
        (10, 100, 0, InsufficientLiquidity),
        (10, -1, 100, InsufficientLiquidity),
    ],
)
def test_get_amount_out_rejects_what_the_library_rejects(
    amount: int, reserve_in: int, reserve_out: int, error: type[DexError]
) -> None:
    with pytest.raises(error):
        get_amount_out(amount, reserve_in, reserve_out)


@pytest.mark.parametrize(
    ("amount", "reserve_in", "reserve_out", "error"),
    [
        (0, 100, 100, InvalidAmount),
        (10, 0, 100, InsufficientLiquidity),
        (100, 100, 100, InsufficientLiquidity),
        (101, 100, 100, InsufficientLiquidity),
    ],
)
def test_get_amount_in_rejects_what_the_library_rejects(
    amount: int, reserve_in: int, reserve_out: int, error: type[DexError]
) -> None:
    with pytest.raises(error):
        get_amount_in(amount, reserve_in, reserve_out)


@pytest.mark.parametrize("fee_bps", [-1, 10_000, 20_000])
def test_a_fee_outside_zero_to_ten_thousand_bps_is_an_invalid_amount(fee_bps: int) -> None:
    with pytest.raises(InvalidAmount):
        get_amount_out(10, 100, 100, fee_bps)


def test_v2_errors_are_arbiter_errors() -> None:
    assert issubclass(InvalidAmount, ArbiterError)
    assert issubclass(InsufficientLiquidity, ArbiterError)


def test_the_spot_price_is_the_exact_reserve_ratio() -> None:
    assert spot_price(3, 7) == Fraction(7, 3)
    with pytest.raises(InsufficientLiquidity):
        spot_price(0, 7)


@given(a1=reserves, b1=reserves, a2=reserves, b2=reserves)
def test_two_pools_are_profitable_exactly_when_the_design_inequality_holds(
    a1: int, b1: int, a2: int, b2: int
) -> None:
    assert two_pool_profitable(a1, b1, a2, b2) == (997**2 * a2 * b1 > 10**6 * a1 * b2)


@given(a1=reserves, b1=reserves, a2=reserves, b2=reserves)
def test_when_the_pools_are_not_profitable_no_input_is_suggested(
    a1: int, b1: int, a2: int, b2: int
) -> None:
    assume(not two_pool_profitable(a1, b1, a2, b2))
    assert optimal_two_pool_input(a1, b1, a2, b2) == 0


small_reserves = st.integers(min_value=1, max_value=2_000)


@settings(max_examples=150, deadline=None)
@given(a1=small_reserves, b1=small_reserves, a2=small_reserves, b2=small_reserves)
def test_the_optimal_input_is_the_cheapest_best_input_found_by_brute_force(
    a1: int, b1: int, a2: int, b2: int
) -> None:
    # Any input of a2 or more loses: pool 2 cannot pay out a2.
    profits = [two_pool_profit(x, a1, b1, a2, b2) for x in range(a2 + 1)]
    best = max(profits)
    expected = profits.index(best) if best > 0 else 0
    assert optimal_two_pool_input(a1, b1, a2, b2) == expected


@settings(max_examples=50, deadline=None)
@given(a1=small_reserves, b1=small_reserves, a2=small_reserves, b2=small_reserves, fee_bps=fees)
def test_the_optimal_input_is_best_for_any_fee(
    a1: int, b1: int, a2: int, b2: int, fee_bps: int
) -> None:
    best = max(two_pool_profit(x, a1, b1, a2, b2, fee_bps=fee_bps) for x in range(a2 + 1))
    found = optimal_two_pool_input(a1, b1, a2, b2, fee_bps=fee_bps)
    assert two_pool_profit(found, a1, b1, a2, b2, fee_bps=fee_bps) == best


def unrounded_profit_bound(a1: int, b1: int, a2: int, b2: int) -> Fraction:
    """The best unrounded profit over whole purchases y of B (or none): bounds every exact profit.

    Buying y of B costs at least d*a1*y / (g*(b1 - y)) of A and sells for at most
    g*y*a2 / (d*b2 + g*y); their difference is concave in y, so a ternary search over
    the integers finds its maximum.
    """

    def profit(y: int) -> Fraction:
        return Fraction(997 * y * a2, 1000 * b2 + 997 * y) - Fraction(1000 * a1 * y, 997 * (b1 - y))

    low, high = 1, b1 - 1
    while high - low > 2:
        third = (high - low) // 3
        if profit(low + third) < profit(high - third):
            low += third + 1
        else:
            high -= third
    return max([Fraction(0), *(profit(y) for y in range(low, high + 1))])


@settings(max_examples=200, deadline=None)
@given(
    a1=st.integers(min_value=10**12, max_value=10**27),
    price=st.fractions(min_value=Fraction(1, 10**12), max_value=10**12),
    premium_ppm=st.integers(min_value=6_100, max_value=300_000),
    depth=st.fractions(min_value=Fraction(1, 100), max_value=100),
)
def test_on_large_reserves_the_optimal_input_is_within_two_units_of_the_best_profit(
    a1: int, price: Fraction, premium_ppm: int, depth: Fraction
) -> None:
    b1 = max(1, int(a1 * price))
    a2 = max(1, int(a1 * depth))
    b2 = max(1, int(a2 * price * 10**6 / (10**6 + premium_ppm)))
    assume(two_pool_profitable(a1, b1, a2, b2))
    found = optimal_two_pool_input(a1, b1, a2, b2)
    profit = two_pool_profit(found, a1, b1, a2, b2)
    assert profit > unrounded_profit_bound(a1, b1, a2, b2) - 2
    for neighbour in range(max(found - 3, 0), found + 4):
        assert two_pool_profit(neighbour, a1, b1, a2, b2) <= profit


def test_a_negative_input_has_no_profit() -> None:
    with pytest.raises(InvalidAmount):
        two_pool_profit(-1, 100, 100, 100, 100)


def test_the_round_trip_of_nothing_gains_nothing() -> None:
    assert two_pool_profit(0, 100, 200, 300, 100) == 0
