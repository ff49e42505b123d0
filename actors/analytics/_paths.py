"""Exact amounts along a swap path, and the input that maximises the path's profit.

Pure integer maths over the DEX layer's exact ``get_amount_out`` (V2) and
within-range swap (V3); no I/O, no floats.
"""

from __future__ import annotations

from functools import lru_cache, partial
from math import isqrt
from typing import TYPE_CHECKING, NamedTuple

from actors.dex import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    DexError,
    compute_swap_step,
    get_amount0_delta,
    get_amount1_delta,
    get_amount_out,
    get_next_sqrt_price_from_input,
    get_sqrt_ratio_at_tick,
    optimal_two_pool_input,
)
from messages.market import Pool, PoolState, V2State, V3State

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "POLISH_BUDGET",
    "Leg",
    "Sized",
    "best_input",
    "leg_amount_out",
    "marginal_rate",
    "optimal_v2_v2_input",
    "path_amount_out",
    "path_curve",
    "profitable_at_margin",
    "real_optimum",
    "rounding_bound",
]

_BPS = 10_000
_PIPS = 1_000_000
_Q192 = 1 << 192
_HUGE_INPUT = 1 << 200
_SAFE_INPUT = 1 << 160
_UINT160_MAX = (1 << 160) - 1
_UINT256_MAX = (1 << 256) - 1

POLISH_BUDGET = 64
"""Amounts examined on each side of a candidate before the walk gives up (see `best_input`)."""


class Leg(NamedTuple):
    """One swap of a path: a pool, its state, and the direction (selling token0 or token1)."""

    pool: Pool
    state: PoolState
    zero_for_one: bool

    @property
    def token_in(self) -> str:
        """The token sold into the pool."""
        return self.pool.token0 if self.zero_for_one else self.pool.token1

    @property
    def token_out(self) -> str:
        """The token bought from the pool."""
        return self.pool.token1 if self.zero_for_one else self.pool.token0


class Sized(NamedTuple):
    """A path's chosen input and what it returns, in start-token units (``0, 0``: none gains)."""

    amount_in: int
    amount_out: int

    @property
    def profit(self) -> int:
        """``amount_out - amount_in``, before gas."""
        return self.amount_out - self.amount_in


def leg_amount_out(leg: Leg, amount_in: int) -> int | None:
    """What ``leg`` pays for ``amount_in``, exactly as the pool would; None when we cannot know.

    V2 is ``UniswapV2Library.getAmountOut`` at the pool's fee. V3 knows only the
    current tick range's liquidity: an input that would push the price past the
    range's boundary (where liquidity may change) has no answer (None), so a V3
    hop is capped at what stays inside the current range. Within it the result
    is `actors.dex.amount_out_within_range`'s, to the unit (one
    ``computeSwapStep``; the tick after the swap, which we do not need, is not
    computed: this runs hundreds of times per search).
    """
    state = leg.state
    try:
        if isinstance(state, V2State):
            if leg.zero_for_one:
                return get_amount_out(
                    amount_in, state.reserve0, state.reserve1, leg.pool.fee // 100
                )
            return get_amount_out(amount_in, state.reserve1, state.reserve0, leg.pool.fee // 100)
        price = state.sqrt_price_x96
        target = _range_target(state.tick, max(leg.pool.tick_spacing, 1), leg.zero_for_one)
        if target is None or (target > price if leg.zero_for_one else target < price):
            return None  # the tick and the price disagree: we cannot know
        step = compute_swap_step(price, target, state.liquidity, amount_in, leg.pool.fee)
    except DexError:
        return None
    if step.sqrt_price_next_x96 == target and step.amount_in + step.fee_amount < amount_in:
        return None  # the range ran out before the input did
    return step.amount_out


@lru_cache(maxsize=4096)
def _range_target(tick: int, tick_spacing: int, zero_for_one: bool) -> int | None:
    """The sqrt price where the current range ends in the swap's direction (as the pool steps)."""
    if not MIN_TICK <= tick <= MAX_TICK:
        return None
    compressed = tick // tick_spacing
    if zero_for_one:
        return max(
            get_sqrt_ratio_at_tick(max(compressed * tick_spacing, MIN_TICK)), MIN_SQRT_RATIO + 1
        )
    boundary = min((compressed + 1) * tick_spacing, MAX_TICK)
    return min(get_sqrt_ratio_at_tick(boundary), MAX_SQRT_RATIO - 1)


def path_amount_out(legs: Sequence[Leg], amount_in: int) -> int | None:
    """The exact output of ``amount_in`` put through ``legs`` in order; None past a V3 range.

    An intermediate amount of zero ends the path at zero (nothing left to swap).
    """
    amount = amount_in
    for leg in legs:
        if amount == 0:
            return 0
        out = leg_amount_out(leg, amount)
        if out is None:
            return None
        amount = out
    return amount


def marginal_rate(leg: Leg) -> tuple[int, int]:
    """The leg's price for an infinitesimal input, after its fee, as ``(numerator, denominator)``.

    V2: ``g * reserve_out / (10_000 * reserve_in)``; V3: ``(1 - fee) * P`` selling
    token0 and ``(1 - fee) / P`` selling token1, with ``P = sqrt_price_x96**2 / 2**192``.
    Every real swap of the leg gets at most this rate (the curves are concave).
    """
    state = leg.state
    if isinstance(state, V2State):
        g = _BPS - leg.pool.fee // 100
        if leg.zero_for_one:
            return g * state.reserve1, _BPS * state.reserve0
        return g * state.reserve0, _BPS * state.reserve1
    keep = _PIPS - leg.pool.fee
    square = state.sqrt_price_x96 * state.sqrt_price_x96
    if leg.zero_for_one:
        return keep * square, _PIPS * _Q192
    return keep * _Q192, _PIPS * square


def profitable_at_margin(legs: Sequence[Leg]) -> bool:
    """Whether the product of the legs' marginal rates exceeds one (exact, in integers).

    This is necessary for any input to gain; a path that fails it is skipped
    without searching.
    """
    numerator = denominator = 1
    for leg in legs:
        num, den = marginal_rate(leg)
        numerator *= num
        denominator *= den
    return numerator > denominator


def rounding_bound(legs: Sequence[Leg]) -> int:
    """An upper bound, in start-token units, on what the pools' rounding takes from a path.

    Each swap floors its output (V3 also its input after the fee), losing less
    than one unit of its output and one of its input; a unit lost at hop ``i``
    is worth at most the product of the later hops' marginal rates (rounded up).
    The real (unrounded) profit therefore exceeds the exact one by less than this.
    """
    bound = 2
    carried = 1
    for leg in reversed(legs):
        num, den = marginal_rate(leg)
        rate = max(1, -(-num // den))
        bound += (1 + rate) * carried + carried
        carried *= rate
    return bound


def path_curve(legs: Sequence[Leg]) -> tuple[int, int, int]:
    """The path's output without rounding nor range limits, ``A*x / (B + C*x)``, as ``(A, B, C)``.

    Each swap is of that form: V2 ``g*r_out*x / (d*r_in + g*x)``; V3 within
    a range is a constant product over virtual reserves, so selling token0
    pays ``L*s**2*k*x / (2**192*L*e + 2**96*s*k*x)`` and selling token1
    ``2**192*L*k*x / (e*L*s**2 + 2**96*s*k*x)`` (``s`` the sqrt price X96,
    ``k = 1e6 - fee``, ``e = 1e6``). Such maps compose into the same form:
    ``A = A1*A2``, ``B = B1*B2``, ``C = B2*C1 + A1*C2``.
    """
    a, b, c = 1, 1, 0
    for leg in legs:
        state = leg.state
        if isinstance(state, V2State):
            g = _BPS - leg.pool.fee // 100
            r_in, r_out = (
                (state.reserve0, state.reserve1)
                if leg.zero_for_one
                else (state.reserve1, state.reserve0)
            )
            a2, b2, c2 = g * r_out, _BPS * r_in, g
        else:
            k, s, liquidity = _PIPS - leg.pool.fee, state.sqrt_price_x96, state.liquidity
            if leg.zero_for_one:
                a2, b2, c2 = liquidity * s * s * k, _Q192 * liquidity * _PIPS, (s << 96) * k
            else:
                a2, b2, c2 = _Q192 * liquidity * k, _PIPS * liquidity * s * s, (s << 96) * k
        a, b, c = a * a2, b * b2, b2 * c + a * c2
    return a, b, c


def real_optimum(legs: Sequence[Leg]) -> tuple[int, int]:
    """The unrounded optimum of `path_curve`, and an upper bound on any exact profit.

    ``P(x) = A*x / (B + C*x) - x`` peaks at ``x* = (sqrt(A*B) - B) / C`` with
    ``P(x*) = (sqrt(A) - sqrt(B))**2 / C``. The pools round down and V3 ranges
    only cut the curve short, so no input gains more than the bound (rounded
    up here). Returns ``(0, 0)`` when ``A <= B`` (the path loses at the margin).
    """
    a, b, c = path_curve(legs)
    if a <= b or c <= 0:
        return 0, 0
    x_star = (isqrt(a * b) - b) // c
    bound = (isqrt(a) + 1 - isqrt(b)) ** 2 // c + 1
    return max(x_star, 1), bound


def optimal_v2_v2_input(first: Leg, second: Leg) -> int:
    """The closed-form optimum of a two-pool V2 round trip, sold into ``first`` then ``second``.

    Let the start token be A, ``first`` hold ``(a1, b1)`` of (A, B) and ``second``
    ``(a2, b2)``, ``g = 10_000 - fee_bps`` and ``d = 10_000``. Without rounding,
    selling ``x`` of A buys ``y = g*b1*x / (d*a1 + g*x)`` of B, and selling ``y``
    returns ``g*a2*y / (d*b2 + g*y)``; substituting,

        out(x) = K*x / (C + D*x),  K = g*g*a2*b1,  C = d*d*a1*b2,  D = g*(d*b2 + g*b1).

    The profit ``P(x) = out(x) - x`` is concave; ``P'(x) = K*C / (C + D*x)**2 - 1``
    vanishes at ``(C + D*x)**2 = K*C``, so

        x* = (sqrt(K*C) - C) / D,

    positive exactly when ``K > C``, i.e. ``g**2 * a2 * b1 > d**2 * a1 * b2`` (for
    30 bps: ``997**2 * a2 * b1 > 1000**2 * a1 * b2``). The pools floor both
    swaps, so the exact optimum is an integer near ``x*`` where the floored
    profit peaks: `actors.dex.optimal_two_pool_input` takes ``isqrt`` of ``K*C``
    and searches the integers around ``x*`` with the floored maths; `best_input`
    then walks the neighbourhood (``POLISH_BUDGET`` each side) so that no nearby
    input beats the answer.

    Returns ``0`` when no input gains, or the pools' fees differ (then use `best_input`).
    """
    s1, s2 = first.state, second.state
    if not (isinstance(s1, V2State) and isinstance(s2, V2State)):
        raise TypeError("optimal_v2_v2_input takes two V2 legs")
    if first.pool.fee != second.pool.fee:
        return 0
    a1, b1 = (s1.reserve0, s1.reserve1) if first.zero_for_one else (s1.reserve1, s1.reserve0)
    b2, a2 = (s2.reserve0, s2.reserve1) if second.zero_for_one else (s2.reserve1, s2.reserve0)
    try:
        return optimal_two_pool_input(a1, b1, a2, b2, fee_bps=first.pool.fee // 100)
    except DexError:
        return 0


def best_input(legs: Sequence[Leg], *, budget: int = POLISH_BUDGET) -> Sized:
    """The input of the start token that maximises ``path_amount_out(legs, x) - x``.

    Two V2 legs of one fee start from the closed form (`optimal_v2_v2_input`);
    any other path brackets the top around the unrounded optimum
    (`real_optimum`): ``x*`` plus or minus ``max(budget, x* / 2**16)``, cut
    where a V3 hop would leave its tick range (found by bisection), and
    narrows the bracket by a golden-section search on the integer amount
    (Fibonacci search: one new amount per step). Both then
    walk from the candidate outwards, one amount at a time, while the real
    profit there could still beat the best exact profit found (exact profit
    plus the rounding bound): the real profit is concave,
    so past such an amount nothing can. With the walk uncut (up to ``budget``
    amounts each way) the answer is the exact maximum; on deep pools the top
    can be a plateau wider than that, and the answer is then the best within
    ``budget`` of it, and the largest on the plateau within the rounding bound.

    Among equal profits the first found wins. Returns ``Sized(0, 0)`` when no
    input gains at least one unit (or the path is not profitable at the margin).
    """
    if not legs or not profitable_at_margin(legs):
        return Sized(0, 0)
    swaps = _compiled(legs)
    if swaps is None:
        return Sized(0, 0)
    profit = _profits(swaps)
    slack = rounding_bound(legs)
    start = 0
    if len(legs) == 2 and all(isinstance(leg.state, V2State) for leg in legs):
        start = optimal_v2_v2_input(legs[0], legs[1])
    if start <= 0:
        x_star = real_optimum(legs)[0]
        # The rounded top lies where the real profit is within the rounding of its
        # peak: near x* (a relative 2**-16 is wide), unless a V3 range ends first.
        width = max(budget, x_star >> 16)
        hi = x_star + width
        if profit(hi) is None:  # the top is at most where the range ends
            hi = _last_valid_near(profit, _range_end_guess(legs), hi)
        start = _golden(profit, max(1, min(x_star - width, hi)), hi)
    best = _walk(profit, start, slack, budget)
    found = profit(best)
    if found is None or found <= 0:
        return Sized(0, 0)
    return Sized(best, best + found)


def _compiled(legs: Sequence[Leg]) -> list[Callable[[int], int | None]] | None:
    """Each leg as a function of its input, what `leg_amount_out` computes (None: no pool).

    Written for speed (``arbiter bench analytics``): a search calls these
    hundreds of times, so V2's ``getAmountOut`` is inlined with its
    constants bound once.
    """
    swaps: list[Callable[[int], int | None]] = []
    for leg in legs:
        state = leg.state
        if isinstance(state, V2State):
            reserve_in, reserve_out = (
                (state.reserve0, state.reserve1)
                if leg.zero_for_one
                else (state.reserve1, state.reserve0)
            )
            if reserve_in <= 0 or reserve_out <= 0 or not 0 <= leg.pool.fee < _PIPS:
                return None
            swaps.append(
                partial(_v2_out, _BPS - leg.pool.fee // 100, reserve_in * _BPS, reserve_out)
            )
        else:
            swaps.append(_v3_swap(leg))
    return swaps


def _v3_swap(leg: Leg) -> Callable[[int], int | None]:
    """`leg_amount_out` of a V3 leg with what does not depend on the input computed once.

    The input that reaches the range's end, its fee and the output there are
    the same for every amount; only an amount that stops short needs the
    next price. The same answers as ``computeSwapStep`` (any doubt: the
    general `leg_amount_out`). Written for speed (``arbiter bench e2e``).
    """
    constants = _v3_constants(leg)
    if constants is None:
        return partial(_leg_out_or_zero, leg)
    state = leg.state
    assert isinstance(state, V3State)  # noqa: S101 - `_v3_constants` checked it
    price, liquidity, zero_for_one = state.sqrt_price_x96, state.liquidity, leg.zero_for_one
    target, to_end, most, out_at_end = constants
    keep = _PIPS - leg.pool.fee

    def swap(amount_in: int) -> int | None:
        if amount_in <= 0:
            return 0
        if amount_in > _SAFE_INPUT:
            return leg_amount_out(leg, amount_in)
        less_fee = amount_in * keep // _PIPS
        if less_fee < to_end:
            try:
                after = get_next_sqrt_price_from_input(price, liquidity, less_fee, zero_for_one)
                if after != target:
                    return _output_between(price, after, liquidity, zero_for_one)
            except DexError:
                return None
        # At the range's end (the pool takes ``to_end`` plus its fee): more is past it.
        return None if most < amount_in else out_at_end

    return swap


def _v3_constants(leg: Leg) -> tuple[int, int, int, int] | None:
    """The range's end, the input and input-with-fee to reach it, the output there (None: odd)."""
    state, fee = leg.state, leg.pool.fee
    if not isinstance(state, V3State) or not 0 <= fee < _PIPS or state.liquidity <= 0:
        return None
    price, liquidity, zero_for_one = state.sqrt_price_x96, state.liquidity, leg.zero_for_one
    target = _range_target(state.tick, max(leg.pool.tick_spacing, 1), zero_for_one)
    if not 0 < price <= _UINT160_MAX or target is None:
        return None
    if target > price if zero_for_one else target < price:
        return None
    try:
        to_end = _input_between(price, target, liquidity, zero_for_one)
        out_at_end = _output_between(price, target, liquidity, zero_for_one)
    except DexError:
        return None
    fee_to_end = -(-to_end * fee // (_PIPS - fee))
    if fee_to_end > _UINT256_MAX:
        return None
    return target, to_end, to_end + fee_to_end, out_at_end


def _profits(swaps: list[Callable[[int], int | None]]) -> Callable[[int], int | None]:
    """``x -> out(x) - x`` through ``swaps`` (None past a V3 range), remembering each answer."""
    cache: dict[int, int | None] = {}

    def profit(x: int) -> int | None:
        if x not in cache:
            amount = x
            for swap in swaps:
                out = swap(amount)
                if out is None:
                    cache[x] = None
                    return None
                amount = out
            cache[x] = amount - x
        return cache[x]

    return profit


def _v2_out(g: int, scaled_reserve_in: int, reserve_out: int, amount_in: int) -> int:
    with_fee = amount_in * g
    return with_fee * reserve_out // (scaled_reserve_in + with_fee) if amount_in > 0 else 0


def _input_between(current: int, to: int, liquidity: int, zero_for_one: bool) -> int:
    if zero_for_one:
        return get_amount0_delta(to, current, liquidity, round_up=True)
    return get_amount1_delta(current, to, liquidity, round_up=True)


def _output_between(current: int, to: int, liquidity: int, zero_for_one: bool) -> int:
    if zero_for_one:
        return get_amount1_delta(to, current, liquidity, round_up=False)
    return get_amount0_delta(current, to, liquidity, round_up=False)


def _leg_out_or_zero(leg: Leg, amount_in: int) -> int | None:
    return leg_amount_out(leg, amount_in) if amount_in > 0 else 0


def _last_valid(profit: Callable[[int], int | None], good: int, bad: int) -> int:
    while bad - good > 1:
        middle = (good + bad) // 2
        if profit(middle) is None:
            bad = middle
        else:
            good = middle
    return good


def _last_valid_near(profit: Callable[[int], int | None], guess: int, bad: int) -> int:
    """`_last_valid` from 0 to ``bad``, found by galloping out from ``guess`` first.

    The same answer (validity only ends once along the amounts), in a few
    dozen fewer path evaluations when the guess is close: on the devnet's
    V3 paths this bisection was most of a block's analytics step.
    """
    good, step = min(max(guess, 0), bad - 1), 1
    if good == 0 or profit(good) is not None:
        while good + step < bad and profit(good + step) is not None:
            good += step
            step *= 2
        return _last_valid(profit, good, min(bad, good + step))
    bad = good
    while True:
        candidate = bad - step
        if candidate <= 0:
            return _last_valid(profit, 0, bad)
        if profit(candidate) is not None:
            return _last_valid(profit, candidate, bad)
        bad, step = candidate, step * 2


def _range_end_guess(legs: Sequence[Leg]) -> int:
    """About the largest input whose swaps all stay in their V3 tick ranges (0: no idea).

    Each V3 leg's input that just reaches its range's end (one
    ``computeSwapStep`` to the boundary), carried back to the path's input
    through the unrounded curve of the legs before it (`path_curve`); the
    smallest over the legs.
    """
    guess: int | None = None
    for index, leg in enumerate(legs):
        state = leg.state
        if isinstance(state, V2State):
            continue
        target = _range_target(state.tick, max(leg.pool.tick_spacing, 1), leg.zero_for_one)
        if target is None:
            return 0
        try:
            step = compute_swap_step(
                state.sqrt_price_x96, target, state.liquidity, _HUGE_INPUT, leg.pool.fee
            )
        except DexError:
            return 0
        cap = step.amount_in + step.fee_amount
        a, b, c = path_curve(legs[:index])
        if a <= cap * c:
            continue  # the legs before never pay this much
        x = cap * b // (a - cap * c)
        guess = x if guess is None else min(guess, x)
    return guess or 0


def _value(profit: Callable[[int], int | None], x: int) -> int:
    p = profit(x)
    return -(1 << 512) if p is None else p


def _golden(profit: Callable[[int], int | None], lo: int, hi: int) -> int:
    """Golden-section search on the integers (Fibonacci search): one new amount per step."""
    fib = [1, 1]
    while fib[-1] < hi - lo:
        fib.append(fib[-1] + fib[-2])
    n = len(fib) - 1
    # The interval [lo, lo + fib[n]] may reach past hi: there the profit is lower
    # (past the top) or unknown (past a V3 range), which `_value` ranks last.
    while n > 3:  # below four amounts, examine them all
        if _value(profit, lo + fib[n - 2]) < _value(profit, lo + fib[n - 1]):
            lo += fib[n - 2]
        n -= 1
    return max(range(lo, lo + fib[n] + 1), key=lambda x: (_value(profit, x), -x))


def _walk(profit: Callable[[int], int | None], start: int, slack: int, budget: int) -> int:
    """Walk outwards from ``start`` while an amount's real profit could beat the best found."""
    best_x = start
    best_p = _value(profit, start)
    # A walk cut short by the budget after it moved may stop next to a better
    # amount: walk again from the new best (a few rounds at most).
    for _ in range(8):
        cut_after_moving = False
        for step in (-1, 1):
            x, moved = best_x + step, False
            for _ in range(budget):
                p = profit(x) if x >= 1 else None
                if p is None:
                    break
                if p > best_p:
                    best_x, best_p, moved = x, p, True
                elif p + slack < best_p:
                    break
                x += step
            else:
                cut_after_moving = cut_after_moving or moved
        if not cut_after_moving:
            break
    return best_x
