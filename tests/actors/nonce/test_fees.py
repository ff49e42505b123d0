"""Fees: market offers, replacement bumps of at least +10 % on both fields, and the cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.nonce import StuckPolicy, bumped_fees, market_fees

GWEI = 10**9
wei = st.integers(0, 10**6 * GWEI)


def test_the_market_offer_is_twice_the_base_fee_plus_the_tip() -> None:
    assert market_fees(10 * GWEI, GWEI) == (21 * GWEI, GWEI)
    assert market_fees(None, GWEI) == (GWEI, GWEI)


def test_a_replacement_bumps_both_fields_by_the_policy_percentage() -> None:
    policy = StuckPolicy(bump_percent=15, priority_fee=GWEI)
    assert bumped_fees(100 * GWEI, 2 * GWEI, 10 * GWEI, policy) == (115 * GWEI, 23 * GWEI // 10)


def test_a_replacement_offers_at_least_the_market_when_the_base_fee_has_risen() -> None:
    policy = StuckPolicy(priority_fee=GWEI)
    assert bumped_fees(3 * GWEI, GWEI, 100 * GWEI, policy) == (201_150_000_000, 1_150_000_000)


def test_a_cap_that_leaves_less_than_ten_percent_means_no_replacement() -> None:
    policy = StuckPolicy(max_fee_cap=105 * GWEI)
    assert bumped_fees(100 * GWEI, GWEI, GWEI, policy) is None
    assert bumped_fees(95 * GWEI, GWEI, GWEI, policy) == (105 * GWEI, 1_150_000_000)


@pytest.mark.parametrize(
    ("field", "value"),
    [("bump_percent", 9), ("rebroadcast_after", 0), ("replace_after", 1), ("priority_fee", -1)],
)
def test_a_policy_that_nodes_or_sense_would_refuse_is_refused(field: str, value: int) -> None:
    settings = {"rebroadcast_after": 2, "replace_after": 4, field: value}
    with pytest.raises(ValueError, match=r"must be|need"):
        StuckPolicy(**settings)


@given(
    max_fee=wei,
    tip=wei,
    base_fee=st.none() | wei,
    percent=st.integers(10, 100),
    cap=st.none() | wei,
)
def test_a_replacement_raises_both_fees_by_ten_percent_or_is_not_offered(
    max_fee: int, tip: int, base_fee: int | None, percent: int, cap: int | None
) -> None:
    tip = min(tip, max_fee)
    policy = StuckPolicy(bump_percent=percent, priority_fee=GWEI, max_fee_cap=cap)
    fees = bumped_fees(max_fee, tip, base_fee, policy)
    if fees is None:
        assert cap is not None
        return
    new_max, new_tip = fees
    assert new_max * 10 >= max_fee * 11
    assert new_tip * 10 >= tip * 11
    assert new_tip <= new_max
    if cap is None:
        assert new_max >= 2 * (base_fee or 0) + new_tip
    else:
        assert new_max <= cap
