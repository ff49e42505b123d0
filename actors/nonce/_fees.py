"""Fees: what a new transaction offers, what a replacement must offer, when it is due."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["StuckPolicy", "bumped_fees", "market_fees"]

# Nodes refuse a replacement that raises either fee by less than this.
_MIN_BUMP_PERCENT = 10


@dataclass(frozen=True, slots=True)
class StuckPolicy:
    """When a transaction counts as stuck and what is done about it.

    Args:
        rebroadcast_after: blocks without being mined before it is sent again
            as is (a node may have dropped it).
        replace_after: blocks since it was signed before it is replaced with
            the same nonce at bumped fees. Only the lowest pending nonce
            (the one everything waits for) is replaced, and any other whose
            fee cap is below the base fee (it cannot be mined as it is).
        max_replacements: fee bumps of a submitted transaction before it is
            cancelled (a zero-value self-transfer, itself bumped while stuck).
        bump_percent: the raise of both fee fields per replacement (>= 10).
        priority_fee: the tip offered when a request names none, in wei.
        max_fee_cap: no replacement offers a fee cap above this (wei); None
            for no cap. A replacement the cap leaves under +10 % is not sent.
    """

    rebroadcast_after: int = 3
    replace_after: int = 6
    max_replacements: int = 3
    bump_percent: int = 15
    priority_fee: int = 1_000_000_000
    max_fee_cap: int | None = None

    def __post_init__(self) -> None:
        if self.bump_percent < _MIN_BUMP_PERCENT:
            raise ValueError(f"bump_percent must be >= {_MIN_BUMP_PERCENT}")
        if not 0 < self.rebroadcast_after <= self.replace_after:
            raise ValueError("need 0 < rebroadcast_after <= replace_after")
        if self.max_replacements < 0 or self.priority_fee < 0:
            raise ValueError("max_replacements and priority_fee must be >= 0")


def market_fees(base_fee: int | None, priority_fee: int) -> tuple[int, int]:
    """``(max_fee_per_gas, max_priority_fee_per_gas)`` good for a few blocks of rising fees."""
    return 2 * (base_fee or 0) + priority_fee, priority_fee


def _plus_percent(value: int, percent: int) -> int:
    return value + -(-value * percent // 100)


def bumped_fees(
    max_fee: int, tip: int, base_fee: int | None, policy: StuckPolicy
) -> tuple[int, int] | None:
    """The fees of a replacement: both fields up by ``bump_percent``, and at market at least.

    Returns None when ``max_fee_cap`` leaves either field under the +10 %
    that nodes require of a replacement.
    """
    new_tip = max(_plus_percent(tip, policy.bump_percent), policy.priority_fee)
    new_max = max(_plus_percent(max_fee, policy.bump_percent), market_fees(base_fee, new_tip)[0])
    if policy.max_fee_cap is not None:
        new_max = min(new_max, policy.max_fee_cap)
        new_tip = min(new_tip, new_max)
    if new_max < _plus_percent(max_fee, _MIN_BUMP_PERCENT) or new_tip < _plus_percent(
        tip, _MIN_BUMP_PERCENT
    ):
        return None
    return new_max, new_tip
