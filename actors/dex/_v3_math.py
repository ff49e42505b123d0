"""Uniswap V3 swap maths within one tick range, integer-exact as the v3-core libraries.

Ports of ``TickMath``, ``SqrtPriceMath`` and ``SwapMath.computeSwapStep`` with the same
rounding, including the 256-bit overflow fallbacks that change rounding, and the same
reverts (raised as `DexError` subclasses). Prices are Q64.96 square roots of
token1 per token0 in raw units.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, NamedTuple

from actors.dex._exceptions import InsufficientLiquidity, InvalidAmount, OutOfRange

if TYPE_CHECKING:
    from messages.market import V3State

__all__ = [
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "Q96",
    "RangeSwap",
    "SwapStep",
    "amount_out_within_range",
    "compute_swap_step",
    "get_amount0_delta",
    "get_amount1_delta",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "sqrt_price_to_price",
]

Q96 = 1 << 96
MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342
FEE_PIPS_DENOMINATOR = 1_000_000

_UINT256_MAX = (1 << 256) - 1
_UINT160_MAX = (1 << 160) - 1
_UINT128_MAX = (1 << 128) - 1
_INT256_MAX = (1 << 255) - 1

# TickMath.getSqrtRatioAtTick: 1/sqrt(1.0001)^(2^i) as Q128.128, for bits 1 .. 2^19.
_TICK_FACTORS = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)
_LOG_SQRT10001 = 255738958999603826347141
_TICK_LOW_OFFSET = 3402992956809132418596140100660247210
_TICK_HIGH_OFFSET = 291339464771989622907027621153398088495


class SwapStep(NamedTuple):
    """What ``SwapMath.computeSwapStep`` returns."""

    sqrt_price_next_x96: int
    amount_in: int
    amount_out: int
    fee_amount: int


class RangeSwap(NamedTuple):
    """An exact-input swap against the liquidity of the current tick range only.

    ``amount_in`` is the input used, fee included: the whole request unless the price
    reached the range boundary with input left over. ``crossed`` is true when the
    price reached the boundary: past it the liquidity is unknown to us, so the swap
    stops there (with ``amount_in`` possibly below the request) and the pool's
    liquidity after the swap is unknown. ``tick`` is the pool's tick after the swap, as
    the pool would store it.
    """

    amount_out: int
    sqrt_price_x96: int
    amount_in: int
    tick: int
    crossed: bool


def _mul_div(a: int, b: int, denominator: int) -> int:
    if denominator == 0:
        raise InsufficientLiquidity("division by zero liquidity or price")
    result = a * b // denominator
    if result > _UINT256_MAX:
        raise InvalidAmount("result overflows uint256")
    return result


def _mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    if denominator == 0:
        raise InsufficientLiquidity("division by zero liquidity or price")
    result = -(-a * b // denominator)
    if result > _UINT256_MAX:
        raise InvalidAmount("result overflows uint256")
    return result


def _div_rounding_up(x: int, y: int) -> int:
    return -(-x // y)


def _to_uint160(value: int) -> int:
    if value > _UINT160_MAX:
        raise OutOfRange("sqrt price overflows uint160")
    return value


def sqrt_price_to_price(sqrt_price_x96: int) -> Fraction:
    """``sqrt_price_x96**2 / 2**192``: raw units of token1 per raw unit of token0, exactly."""
    return Fraction(sqrt_price_x96 * sqrt_price_x96, 1 << 192)


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """``TickMath.getSqrtRatioAtTick``: ``sqrt(1.0001**tick) * 2**96``, rounded up as the contract.

    Raises:
        OutOfRange: ``|tick| > MAX_TICK``.
    """
    abs_tick = -tick if tick < 0 else tick
    if abs_tick > MAX_TICK:
        raise OutOfRange(f"tick {tick} outside [{MIN_TICK}, {MAX_TICK}]")
    ratio = 0xFFFCB933BD6FAD37AA2D162D1A594001 if abs_tick & 0x1 else 1 << 128
    for bit, factor in _TICK_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = _UINT256_MAX // ratio
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """``TickMath.getTickAtSqrtRatio``: the greatest tick whose sqrt ratio is ``<=`` the price.

    The contract's fixed-point log2, bit for bit (its ``msb`` loop is ``bit_length``).

    Raises:
        OutOfRange: the price is outside ``[MIN_SQRT_RATIO, MAX_SQRT_RATIO)``.
    """
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise OutOfRange(f"sqrt price {sqrt_price_x96} outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")
    ratio = sqrt_price_x96 << 32
    msb = ratio.bit_length() - 1
    r = ratio >> (msb - 127) if msb >= 128 else ratio << (127 - msb)
    log_2 = (msb - 128) << 64
    for shift in range(63, 49, -1):
        r = (r * r) >> 127
        f = r >> 128
        log_2 |= f << shift
        r >>= f
    log_sqrt10001 = log_2 * _LOG_SQRT10001
    tick_low = (log_sqrt10001 - _TICK_LOW_OFFSET) >> 128
    tick_high = (log_sqrt10001 + _TICK_HIGH_OFFSET) >> 128
    if tick_low == tick_high:
        return tick_low
    return tick_high if get_sqrt_ratio_at_tick(tick_high) <= sqrt_price_x96 else tick_low


def _next_sqrt_price_from_amount0_rounding_up(
    sqrt_price_x96: int, liquidity: int, amount: int, *, add: bool
) -> int:
    if amount == 0:
        return sqrt_price_x96
    numerator1 = liquidity << 96
    product = amount * sqrt_price_x96
    if add:
        # The contract only takes the precise formula when neither the product nor the
        # denominator overflows 256 bits; the fallback rounds differently.
        if product <= _UINT256_MAX and numerator1 + product <= _UINT256_MAX:
            return _mul_div_rounding_up(numerator1, sqrt_price_x96, numerator1 + product)
        return _div_rounding_up(numerator1, numerator1 // sqrt_price_x96 + amount)
    if product > _UINT256_MAX or numerator1 <= product:
        raise InsufficientLiquidity("output exceeds the range's token0")
    return _to_uint160(_mul_div_rounding_up(numerator1, sqrt_price_x96, numerator1 - product))


def _next_sqrt_price_from_amount1_rounding_down(
    sqrt_price_x96: int, liquidity: int, amount: int, *, add: bool
) -> int:
    # The contract's two branches (shift or mulDiv) compute the same floor/ceil.
    if add:
        return _to_uint160(sqrt_price_x96 + _mul_div(amount, Q96, liquidity))
    quotient = _mul_div_rounding_up(amount, Q96, liquidity)
    if sqrt_price_x96 <= quotient:
        raise InsufficientLiquidity("output exceeds the range's token1")
    return sqrt_price_x96 - quotient


def _check_price_and_liquidity(sqrt_price_x96: int, liquidity: int) -> None:
    if not 0 < sqrt_price_x96 <= _UINT160_MAX:
        raise OutOfRange(f"sqrt price {sqrt_price_x96} is not a positive uint160")
    if not 0 < liquidity <= _UINT128_MAX:
        raise InsufficientLiquidity(f"liquidity {liquidity} is not a positive uint128")


def get_next_sqrt_price_from_input(
    sqrt_price_x96: int, liquidity: int, amount_in: int, zero_for_one: bool
) -> int:
    """``SqrtPriceMath.getNextSqrtPriceFromInput``: the price after adding ``amount_in``.

    Rounds so the price moves no further than the exact maths says (up for token0 in,
    down for token1 in).

    Raises:
        OutOfRange: the price is not a positive uint160, or the result overflows.
        InsufficientLiquidity: ``liquidity`` is not a positive uint128.
    """
    _check_price_and_liquidity(sqrt_price_x96, liquidity)
    if zero_for_one:
        return _next_sqrt_price_from_amount0_rounding_up(
            sqrt_price_x96, liquidity, amount_in, add=True
        )
    return _next_sqrt_price_from_amount1_rounding_down(
        sqrt_price_x96, liquidity, amount_in, add=True
    )


def get_next_sqrt_price_from_output(
    sqrt_price_x96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    """``SqrtPriceMath.getNextSqrtPriceFromOutput``: the price after removing ``amount_out``.

    Rounds so the price moves at least as far as the exact maths says.

    Raises:
        OutOfRange: the price is not a positive uint160, or the result overflows.
        InsufficientLiquidity: the liquidity is not positive, or the range does not hold
            ``amount_out``.
    """
    _check_price_and_liquidity(sqrt_price_x96, liquidity)
    if zero_for_one:
        return _next_sqrt_price_from_amount1_rounding_down(
            sqrt_price_x96, liquidity, amount_out, add=False
        )
    return _next_sqrt_price_from_amount0_rounding_up(
        sqrt_price_x96, liquidity, amount_out, add=False
    )


def get_amount0_delta(
    sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, *, round_up: bool
) -> int:
    """``SqrtPriceMath.getAmount0Delta``: token0 between two prices, ``L*(1/sqrtA - 1/sqrtB)``.

    Raises:
        OutOfRange: the lower price is zero.
    """
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    if sqrt_ratio_a_x96 <= 0:
        raise OutOfRange("sqrt price must be positive")
    numerator1 = liquidity << 96
    numerator2 = sqrt_ratio_b_x96 - sqrt_ratio_a_x96
    if round_up:
        return _div_rounding_up(
            _mul_div_rounding_up(numerator1, numerator2, sqrt_ratio_b_x96), sqrt_ratio_a_x96
        )
    return _mul_div(numerator1, numerator2, sqrt_ratio_b_x96) // sqrt_ratio_a_x96


def get_amount1_delta(
    sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, *, round_up: bool
) -> int:
    """``SqrtPriceMath.getAmount1Delta``: token1 between two prices, ``L*(sqrtB - sqrtA)``."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    if round_up:
        return _mul_div_rounding_up(liquidity, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, Q96)
    return _mul_div(liquidity, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, Q96)


def compute_swap_step(
    sqrt_ratio_current_x96: int,
    sqrt_ratio_target_x96: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> SwapStep:
    """``SwapMath.computeSwapStep``: one step of a swap towards ``sqrt_ratio_target_x96``.

    ``amount_remaining >= 0`` is an exact input (fee included), negative an exact
    output; the direction is zero-for-one when the target is not above the current
    price. ``fee_pips`` is in hundredths of a basis point (3000 = 0.3 %).

    Raises:
        InvalidAmount: ``fee_pips`` outside ``[0, 1_000_000)`` or ``amount_remaining``
            outside int256.
        OutOfRange, InsufficientLiquidity: where the contract reverts.
    """
    if not 0 <= fee_pips < FEE_PIPS_DENOMINATOR:
        raise InvalidAmount(f"fee_pips must be in [0, {FEE_PIPS_DENOMINATOR}), got {fee_pips}")
    if not -_INT256_MAX - 1 <= amount_remaining <= _INT256_MAX:
        raise InvalidAmount(f"amount_remaining {amount_remaining} outside int256")
    current, target = sqrt_ratio_current_x96, sqrt_ratio_target_x96
    zero_for_one = current >= target
    exact_in = amount_remaining >= 0

    if exact_in:
        less_fee = _mul_div(amount_remaining, FEE_PIPS_DENOMINATOR - fee_pips, FEE_PIPS_DENOMINATOR)
        amount_in = _input_between(current, target, liquidity, zero_for_one)
        reached = less_fee >= amount_in
        next_price = (
            target
            if reached
            else get_next_sqrt_price_from_input(current, liquidity, less_fee, zero_for_one)
        )
        if next_price != target:
            amount_in = _input_between(current, next_price, liquidity, zero_for_one)
        amount_out = _output_between(current, next_price, liquidity, zero_for_one)
    else:
        amount_out = _output_between(current, target, liquidity, zero_for_one)
        reached = -amount_remaining >= amount_out
        next_price = (
            target
            if reached
            else get_next_sqrt_price_from_output(
                current, liquidity, -amount_remaining, zero_for_one
            )
        )
        if next_price != target:
            amount_out = _output_between(current, next_price, liquidity, zero_for_one)
        amount_in = _input_between(current, next_price, liquidity, zero_for_one)
        amount_out = min(amount_out, -amount_remaining)

    if exact_in and next_price != target:
        fee_amount = amount_remaining - amount_in
    else:
        fee_amount = _mul_div_rounding_up(amount_in, fee_pips, FEE_PIPS_DENOMINATOR - fee_pips)
    return SwapStep(next_price, amount_in, amount_out, fee_amount)


def _input_between(current: int, to: int, liquidity: int, zero_for_one: bool) -> int:
    if zero_for_one:
        return get_amount0_delta(to, current, liquidity, round_up=True)
    return get_amount1_delta(current, to, liquidity, round_up=True)


def _output_between(current: int, to: int, liquidity: int, zero_for_one: bool) -> int:
    if zero_for_one:
        return get_amount1_delta(to, current, liquidity, round_up=False)
    return get_amount0_delta(current, to, liquidity, round_up=False)


def _range_target(state: V3State, zero_for_one: bool, tick_spacing: int) -> tuple[int, int, int]:
    """The boundary tick, its sqrt price, and the swap's target (clamped to the price limits)."""
    compressed = state.tick // tick_spacing
    if zero_for_one:
        boundary = max(compressed * tick_spacing, MIN_TICK)
        boundary_price = get_sqrt_ratio_at_tick(boundary)
        target = max(boundary_price, MIN_SQRT_RATIO + 1)
        if target > state.sqrt_price_x96:
            raise OutOfRange(f"sqrt price {state.sqrt_price_x96} is below tick {state.tick}")
    else:
        boundary = min((compressed + 1) * tick_spacing, MAX_TICK)
        boundary_price = get_sqrt_ratio_at_tick(boundary)
        target = min(boundary_price, MAX_SQRT_RATIO - 1)
        if target < state.sqrt_price_x96:
            raise OutOfRange(
                f"sqrt price {state.sqrt_price_x96} is above tick {state.tick}'s range"
            )
    return boundary, boundary_price, target


def amount_out_within_range(
    state: V3State,
    amount_in: int,
    zero_for_one: bool,
    fee_pips: int,
    *,
    tick_spacing: int = 1,
) -> RangeSwap:
    """Swap ``amount_in`` (fee included) against the current range's liquidity only.

    The range ends where liquidity may change: at the next multiple of
    ``tick_spacing`` below the pool's tick (selling token0) or above it (selling
    token1), as ``TickBitmap.nextInitializedTickWithinOneWord`` steps, clamped to the
    pool's price limits. Which ticks are initialised is unknown to us, so the swap is
    capped at that boundary and the result says so (`RangeSwap.crossed`). Within the
    range the result is what the pool would compute, to the unit.

    Args:
        state: the pool's price, in-range liquidity and tick (as its last event said).
        amount_in: the input, fee included, raw units of token0 (``zero_for_one``) or token1.
        zero_for_one: selling token0 for token1 (the price falls) or the reverse.
        fee_pips: the pool's fee in hundredths of a basis point (``Pool.fee``).
        tick_spacing: the pool's tick spacing (``Pool.tick_spacing``); 1 is always safe.

    Raises:
        InvalidAmount: ``amount_in`` not a positive int256, ``fee_pips`` outside
            ``[0, 1_000_000)``, or ``tick_spacing < 1``.
        OutOfRange: the price or tick outside TickMath's domain, or the tick and price
            disagree about which range the price is in.
        InsufficientLiquidity: the liquidity is not a uint128.
    """
    if not 0 < amount_in <= _INT256_MAX:
        raise InvalidAmount(f"amount_in must be a positive int256, got {amount_in}")
    if tick_spacing < 1:
        raise InvalidAmount(f"tick_spacing must be positive, got {tick_spacing}")
    price, liquidity, tick = state.sqrt_price_x96, state.liquidity, state.tick
    if not MIN_SQRT_RATIO <= price < MAX_SQRT_RATIO:
        raise OutOfRange(f"sqrt price {price} outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")
    if not MIN_TICK <= tick <= MAX_TICK:
        raise OutOfRange(f"tick {tick} outside [{MIN_TICK}, {MAX_TICK}]")
    if not 0 <= liquidity <= _UINT128_MAX:
        raise InsufficientLiquidity(f"liquidity {liquidity} is not a uint128")

    boundary, boundary_price, target = _range_target(state, zero_for_one, tick_spacing)
    step = compute_swap_step(price, target, liquidity, amount_in, fee_pips)
    next_price = step.sqrt_price_next_x96
    crossed = next_price == target
    if next_price == boundary_price:
        new_tick = boundary - 1 if zero_for_one else boundary
    elif next_price != price:
        new_tick = get_tick_at_sqrt_ratio(next_price)
    else:
        new_tick = tick
    return RangeSwap(
        amount_out=step.amount_out,
        sqrt_price_x96=next_price,
        amount_in=step.amount_in + step.fee_amount,
        tick=new_tick,
        crossed=crossed,
    )
