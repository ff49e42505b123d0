"""Uniswap V2 constant-product maths, integer-exact as UniswapV2Library computes it."""

from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import TYPE_CHECKING

from actors.dex._exceptions import InsufficientLiquidity, InvalidAmount

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "get_amount_in",
    "get_amount_out",
    "optimal_two_pool_input",
    "spot_price",
    "two_pool_profit",
    "two_pool_profitable",
]

BPS = 10_000
# Candidates examined around the optimum of `optimal_two_pool_input`; see its docstring.
_MAX_CANDIDATES = 64


def _fee_factor(fee_bps: int) -> int:
    if not 0 <= fee_bps < BPS:
        raise InvalidAmount(f"fee_bps must be in [0, {BPS}), got {fee_bps}")
    return BPS - fee_bps


def _check_reserves(*reserves: int) -> None:
    for reserve in reserves:
        if reserve <= 0:
            raise InsufficientLiquidity(f"reserves must be positive, got {reserves}")


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """What a pair pays out for ``amount_in``, exactly as ``UniswapV2Library.getAmountOut``.

    ``amount_in * g * reserve_out // (reserve_in * 10_000 + amount_in * g)`` with
    ``g = 10_000 - fee_bps``; for 30 bps this is the library's 997/1000 to the unit.

    Raises:
        InvalidAmount: ``amount_in <= 0`` or ``fee_bps`` outside ``[0, 10_000)``.
        InsufficientLiquidity: a reserve is not positive.
    """
    g = _fee_factor(fee_bps)
    if amount_in <= 0:
        raise InvalidAmount(f"amount_in must be positive, got {amount_in}")
    _check_reserves(reserve_in, reserve_out)
    amount_in_with_fee = amount_in * g
    return amount_in_with_fee * reserve_out // (reserve_in * BPS + amount_in_with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """What a pair wants in for ``amount_out``, exactly as ``UniswapV2Library.getAmountIn``.

    ``reserve_in * amount_out * 10_000 // ((reserve_out - amount_out) * g) + 1``: the
    library's ``+ 1`` rounds up, and overshoots by one when the division is exact.

    Raises:
        InvalidAmount: ``amount_out <= 0`` or ``fee_bps`` outside ``[0, 10_000)``.
        InsufficientLiquidity: a reserve is not positive, or ``amount_out >= reserve_out``.
    """
    g = _fee_factor(fee_bps)
    if amount_out <= 0:
        raise InvalidAmount(f"amount_out must be positive, got {amount_out}")
    _check_reserves(reserve_in, reserve_out)
    if amount_out >= reserve_out:
        raise InsufficientLiquidity(f"amount_out {amount_out} >= reserve_out {reserve_out}")
    return reserve_in * amount_out * BPS // ((reserve_out - amount_out) * g) + 1


def spot_price(reserve_in: int, reserve_out: int) -> Fraction:
    """The marginal price before fees: units of the out-token per unit of the in-token.

    Raises:
        InsufficientLiquidity: a reserve is not positive.
    """
    _check_reserves(reserve_in, reserve_out)
    return Fraction(reserve_out, reserve_in)


def two_pool_profitable(a1: int, b1: int, a2: int, b2: int, *, fee_bps: int = 30) -> bool:
    """Whether selling A for B on pool 1 and B back for A on pool 2 gains at the margin.

    Pool 1 holds ``(a1, b1)`` of tokens (A, B), pool 2 ``(a2, b2)``. For 30 bps this is
    ``997**2 * a2 * b1 > 10**6 * a1 * b2``; the fee factor generalises it.

    Raises:
        InvalidAmount: ``fee_bps`` outside ``[0, 10_000)``.
        InsufficientLiquidity: a reserve is not positive.
    """
    g = _fee_factor(fee_bps)
    _check_reserves(a1, b1, a2, b2)
    return g * g * a2 * b1 > BPS * BPS * a1 * b2


def two_pool_profit(
    amount_in: int, a1: int, b1: int, a2: int, b2: int, *, fee_bps: int = 30
) -> int:
    """The exact gain, in A, of putting ``amount_in`` of A through pool 1 then pool 2.

    Negative when the round trip loses; ``0`` for ``amount_in == 0``.

    Raises:
        InvalidAmount: ``amount_in < 0`` or ``fee_bps`` outside ``[0, 10_000)``.
        InsufficientLiquidity: a reserve is not positive.
    """
    g = _fee_factor(fee_bps)
    _check_reserves(a1, b1, a2, b2)
    if amount_in < 0:
        raise InvalidAmount(f"amount_in must not be negative, got {amount_in}")
    return _round_trip(amount_in, a1, b1, a2, b2, g=g) - amount_in


def _round_trip(x: int, a1: int, b1: int, a2: int, b2: int, *, g: int) -> int:
    y = x * g * b1 // (a1 * BPS + x * g)
    return y * g * a2 // (b2 * BPS + y * g)


def optimal_two_pool_input(a1: int, b1: int, a2: int, b2: int, *, fee_bps: int = 30) -> int:
    """The amount of A to sell on pool 1 (then B on pool 2) that maximises the exact profit.

    Returns ``0`` when no input gains at least one unit. Among equal profits found,
    the smaller input wins.

    Derivation, with ``g = 10_000 - fee_bps`` and ``d = 10_000``. Without rounding,
    selling ``x`` of A round the two pools returns ``K*x / (C + D*x)`` with
    ``K = g*g*a2*b1``, ``C = d*d*a1*b2``, ``D = g*(d*b2 + g*b1)``, so the real profit
    ``P(x)`` is concave with its top at ``x* = (sqrt(K*C) - C) / D``. The contracts floor
    both swaps, which loses less than 2 units of A, so the exact optimum lies where
    ``P`` is within 2 of its top, and not always next to ``x*``: when one unit of A buys
    many units of B, many inputs tie or beat their neighbours by a unit of rounding.
    The search examines the amounts around ``x*``, then walks outward while ``P``
    (compared exactly, in integers) can still reach the best profit found.

    When B is the dearer token (``b1 < a1``) many inputs buy the same amount ``y`` of B
    and only the cheapest matters, ``x(y) = ceil(d*a1*y / (g*(b1 - y)))``; the search
    then walks over ``y`` instead, from ``y* = (g*S2*b1 - d*b2*S1) / (g*(S1 + S2))`` with
    ``S1 = sqrt(a1*b1)``, ``S2 = sqrt(a2*b2)`` (``isqrt`` with extra bits), bounded by
    the real profit of buying ``y`` (concave too).

    On large reserves the plateau near the top can span billions of amounts whose
    profits differ by a unit or two of rounding: the walk stops after 64 amounts, and
    the answer's profit is then within 2 units of A of the maximum. Whenever the
    plateau fits (small reserves, or a steep top) the answer is the exact maximum.

    Raises:
        InvalidAmount: ``fee_bps`` outside ``[0, 10_000)``.
        InsufficientLiquidity: a reserve is not positive.
    """
    if not two_pool_profitable(a1, b1, a2, b2, fee_bps=fee_bps):
        return 0
    g = BPS - fee_bps
    if b1 >= a1:
        return _search_inputs(a1, b1, a2, b2, g)
    return _search_purchases(a1, b1, a2, b2, g)


def _search_inputs(a1: int, b1: int, a2: int, b2: int, g: int) -> int:
    k, c, slope = g * g * a2 * b1, BPS * BPS * a1 * b2, g * (BPS * b2 + g * b1)
    top = (isqrt(k * c) - c) // slope

    def reaches(x: int, target: int) -> bool:
        den = c + slope * x
        return k * x - x * den >= target * den

    return _walk(top, a2, lambda x: x, reaches, lambda x: _round_trip(x, a1, b1, a2, b2, g=g))


def _search_purchases(a1: int, b1: int, a2: int, b2: int, g: int) -> int:
    bits = max(b1, b2).bit_length() + 8
    s1 = isqrt((a1 * b1) << (2 * bits))
    s2 = isqrt((a2 * b2) << (2 * bits))
    top = (g * s2 * b1 - BPS * b2 * s1) // (g * (s1 + s2))

    def cost(y: int) -> int:
        return -(-BPS * a1 * y // (g * (b1 - y)))

    def reaches(y: int, target: int) -> bool:
        den1, den2 = BPS * b2 + g * y, g * (b1 - y)
        return g * y * a2 * den2 - BPS * a1 * y * den1 >= target * den1 * den2

    return _walk(top, b1, cost, reaches, lambda x: _round_trip(x, a1, b1, a2, b2, g=g))


def _walk(
    top: int,
    end: int,
    cost: Callable[[int], int],
    reaches: Callable[[int, int], bool],
    returns: Callable[[int], int],
) -> int:
    """The cheapest best input over amounts ``v`` in ``(0, end)`` near ``top``.

    ``cost(v)`` is the input for amount ``v``, ``returns(x)`` what input ``x`` gets back,
    and ``reaches(v, t)`` whether the real (unrounded) profit at ``v`` is at least ``t``.
    """
    best_v, best_x, best_profit = 0, 0, 0

    def examine(v: int) -> bool:
        nonlocal best_v, best_x, best_profit
        x = cost(v)
        profit = returns(x) - x
        if profit > best_profit or (profit == best_profit > 0 and x < best_x):
            best_v, best_x, best_profit = v, x, profit
            return True
        return False

    # `top` may be a unit or two off the real optimum: its neighbours are examined anyway.
    for v in range(max(top - 2, 1), min(top + 3, end)):
        examine(v)
    budget = _MAX_CANDIDATES
    for step in (-1, 1):
        v = top + 3 * step
        while budget and 0 < v < end and reaches(v, max(best_profit, 1)):
            examine(v)
            budget -= 1
            v += step
    # A walk cut short may stop next to a better amount: climb until none of
    # the best's neighbours beats it.
    for _ in range(_MAX_CANDIDATES):
        # A list, not a generator: every neighbour is examined, not just up to the first.
        if not any([examine(v) for v in range(max(best_v - 3, 1), min(best_v + 4, end))]):  # noqa: C419
            break
    return best_x
