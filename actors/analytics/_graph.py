"""`PriceGraph`: tokens as nodes, pools as edges, and the arbitrage cycles through them.

Pure logic, no I/O. Written for speed on the per-block path (guarded by
``arbiter bench analytics``): a block's re-evaluation touches only the
cycles through the pools that changed, and skips every cycle whose marginal
rates multiply to at most one before any search.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from actors.analytics._paths import Leg, Sized, best_input, marginal_rate, real_optimum
from messages.market import Pool, PoolState, V2State

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Cycle", "Finding", "GasModel", "PriceGraph", "pair_of"]

_Q192 = 1 << 192


def pair_of(pool: Pool) -> tuple[str, str]:
    """The pool's token pair as ``(token0, token1)`` (Uniswap sorts them by address)."""
    return (pool.token0, pool.token1) if pool.token0 < pool.token1 else (pool.token1, pool.token0)


@dataclass(frozen=True, slots=True)
class GasModel:
    """Gas units per swap of each kind, and the tip paid above the block's base fee (wei/gas).

    The defaults are measured on the devnet (``tests/actors/analytics/test_devnet.py``
    checks them): a one-hop swap through the DEX's router, in a later block
    than the pool's previous swap (so the pool's price accumulators or oracle
    are written, as they are for an arbitrage), used 97,796 gas for V2
    ``swapExactTokensForTokens`` and 123,312 to 124,228 for V3
    ``exactInputSingle`` (107,166 in the other direction), transaction base
    cost included; rounded up. (A pair's very first swap costs 131,926: its
    accumulators start at zero.)
    """

    v2_hop: int = 100_000
    v3_hop: int = 125_000
    tip_wei: int = 1_000_000_000

    def cost_wei(self, legs: Iterable[Leg], base_fee: int | None) -> int:
        """``gas units x (base fee + tip)``; a chain without base fee pays the tip only."""
        units = sum(self.v2_hop if leg.pool.kind == "uniswap_v2" else self.v3_hop for leg in legs)
        return units * ((base_fee or 0) + self.tip_wei)


@dataclass(frozen=True, slots=True)
class Cycle:
    """A closed path of pools, ``hops`` as ``(pool address, zero_for_one)``, from ``start``."""

    hops: tuple[tuple[str, bool], ...]
    start: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A cycle's best size at the graph's current state, valued in wei net of gas."""

    cycle: Cycle
    legs: list[Leg]
    sized: Sized
    profit_wei: int
    gas_cost_wei: int


@dataclass(slots=True)
class PriceGraph:
    """The pools, their latest states, and the cycles of 2 to ``max_hops`` pools through them.

    ``weth``: cycles through WETH start there, and profits in other tokens
    are valued in wei at the spot price (before fees) of that token's
    deepest pool with WETH (V2: most WETH in reserve; else a V3 pool),
    ``floor(amount * price)``, exactly, in integers. Without ``weth``, or for
    a token with no WETH pool, one raw unit is valued at one wei (the
    devnet's tokens all have 18 decimals and no WETH pool).

    ``polish_budget``: amounts examined each side of a path's top (see
    `best_input`); past the rounding plateau's reach it only buys a few units.
    """

    max_hops: int = 3
    weth: str = ""
    polish_budget: int = 16
    pools: dict[str, Pool] = field(default_factory=dict)
    states: dict[str, PoolState] = field(default_factory=dict)
    cycles: list[Cycle] = field(default_factory=list)
    by_pool: dict[str, list[int]] = field(default_factory=dict)
    _rates: dict[tuple[str, bool], tuple[int, int]] = field(default_factory=dict)
    _stale_topology: bool = False
    _weth_pools: dict[str, list[str]] = field(default_factory=dict)

    # -- state ----------------------------------------------------------------

    def update(self, pool: Pool, state: PoolState) -> None:
        """Record a pool's new state (a new pool changes the cycles, rebuilt on next use)."""
        address = pool.address
        if address not in self.pools:
            self.pools[address] = pool
            self._stale_topology = True
        self.states[address] = state
        leg = Leg(pool, state, zero_for_one=True)
        self._rates[address, True] = marginal_rate(leg)
        self._rates[address, False] = marginal_rate(leg._replace(zero_for_one=False))

    def set_max_hops(self, max_hops: int) -> None:
        """Change the longest cycle searched (2 or more); the cycles are rebuilt on next use."""
        if max_hops < 2:
            raise ValueError(f"max_hops must be at least 2, got {max_hops}")
        self.max_hops = max_hops
        self._stale_topology = True

    # -- cycles ----------------------------------------------------------------

    def rebuild(self) -> None:
        """Enumerate every simple cycle of 2 to ``max_hops`` pools, each direction once."""
        neighbours: dict[str, list[tuple[str, str, bool]]] = {}
        weth_pools: dict[str, list[str]] = {}
        for address, pool in self.pools.items():
            neighbours.setdefault(pool.token0, []).append((address, pool.token1, True))
            neighbours.setdefault(pool.token1, []).append((address, pool.token0, False))
            if self.weth in (pool.token0, pool.token1):
                other = pool.token1 if pool.token0 == self.weth else pool.token0
                weth_pools.setdefault(other, []).append(address)
        self._weth_pools = weth_pools
        cycles: list[Cycle] = []
        for start in sorted(neighbours):
            self._extend(neighbours, start, start, hops=[], seen={start}, out=cycles)
        self.cycles = cycles
        self.by_pool = {}
        for index, cycle in enumerate(cycles):
            for address in {address for address, _ in cycle.hops}:
                self.by_pool.setdefault(address, []).append(index)
        self._stale_topology = False

    def _extend(
        self,
        neighbours: dict[str, list[tuple[str, str, bool]]],
        start: str,
        token: str,
        *,
        hops: list[tuple[str, bool]],
        seen: set[str],
        out: list[Cycle],
    ) -> None:
        # Each directed cycle is found once: from its smallest token, through larger ones.
        used = {address for address, _ in hops}
        for address, other, zero_for_one in neighbours.get(token, ()):
            if address in used:
                continue
            if other == start and hops:
                out.append(self._rotated((*hops, (address, zero_for_one)), start))
            elif other > start and other not in seen and len(hops) + 2 <= self.max_hops:
                seen.add(other)
                hops.append((address, zero_for_one))
                self._extend(neighbours, start, other, hops=hops, seen=seen, out=out)
                hops.pop()
                seen.discard(other)

    def _rotated(self, hops: tuple[tuple[str, bool], ...], start: str) -> Cycle:
        """Start at WETH, else at a token with a WETH pool, else at the smallest token."""
        tokens = [self._token_in(hop) for hop in hops]
        for wanted in (self.weth, *sorted(t for t in tokens if t in self._weth_pools)):
            if wanted and wanted in tokens:
                at = tokens.index(wanted)
                return Cycle(hops=hops[at:] + hops[:at], start=wanted)
        return Cycle(hops=hops, start=start)

    def _token_in(self, hop: tuple[str, bool]) -> str:
        pool = self.pools[hop[0]]
        return pool.token0 if hop[1] else pool.token1

    def touching(self, addresses: Iterable[str]) -> set[int]:
        """The indexes of the cycles through any of ``addresses``."""
        if self._stale_topology:
            self.rebuild()
        found: set[int] = set()
        for address in addresses:
            found.update(self.by_pool.get(address, ()))
        return found

    # -- evaluation ------------------------------------------------------------------

    def evaluate(
        self, indexes: Iterable[int], gas: GasModel, base_fee: int | None, min_profit_wei: int
    ) -> list[Finding]:
        """Size the given cycles; return those whose net profit in wei exceeds ``min_profit_wei``.

        A cycle whose pools lack a state is skipped.
        """
        if self._stale_topology:
            self.rebuild()
        rates, states = self._rates, self.states
        found = []
        for index in sorted(indexes):
            cycle = self.cycles[index]
            numerator = denominator = 1
            try:
                for hop in cycle.hops:
                    num, den = rates[hop]
                    numerator *= num
                    denominator *= den
            except KeyError:
                continue
            if numerator <= denominator:
                continue
            legs = [Leg(self.pools[a], states[a], zero_for_one) for a, zero_for_one in cycle.hops]
            gas_cost = gas.cost_wei(legs, base_fee)
            # No input gains more than the unrounded curve's top: a cycle
            # whose top cannot pay its gas is not searched.
            if self.value_wei(cycle.start, real_optimum(legs)[1]) - gas_cost <= min_profit_wei:
                continue
            sized = best_input(legs, budget=self.polish_budget)
            if sized.amount_in == 0:
                continue
            profit_wei = self.value_wei(cycle.start, sized.profit) - gas_cost
            if profit_wei > min_profit_wei:
                found.append(Finding(cycle, legs, sized, profit_wei, gas_cost))
        return found

    def value_wei(self, token: str, amount: int) -> int:
        """``amount`` of ``token`` in wei (see the class docstring for how)."""
        if not self.weth or token == self.weth:
            return amount
        price = self._weth_price(token)
        if price is None:
            return amount
        return amount * price.numerator // price.denominator

    def _weth_price(self, token: str) -> Fraction | None:
        best: tuple[int, Fraction] | None = None
        for address in self._weth_pools.get(token, ()):
            pool, state = self.pools[address], self.states.get(address)
            if state is None:
                continue
            if isinstance(state, V2State):
                if state.reserve0 == 0 or state.reserve1 == 0:
                    continue
                token_is_0 = pool.token0 == token
                weth_reserve = state.reserve1 if token_is_0 else state.reserve0
                token_reserve = state.reserve0 if token_is_0 else state.reserve1
                depth, price = weth_reserve, Fraction(weth_reserve, token_reserve)
            else:
                if state.sqrt_price_x96 == 0:
                    continue
                square = state.sqrt_price_x96 * state.sqrt_price_x96
                one = Fraction(square, _Q192)  # token1 per token0
                depth, price = -1, one if pool.token0 == token else 1 / one
            if best is None or depth > best[0]:
                best = (depth, price)
        return None if best is None else best[1]

    # -- spreads -------------------------------------------------------------------

    def mid_price(self, address: str) -> Fraction | None:
        """The pool's price of token0 in token1 before fees, or None without a usable state."""
        state = self.states.get(address)
        if isinstance(state, V2State):
            if state.reserve0 == 0 or state.reserve1 == 0:
                return None
            return Fraction(state.reserve1, state.reserve0)
        if state is None or state.sqrt_price_x96 == 0:
            return None
        return Fraction(state.sqrt_price_x96 * state.sqrt_price_x96, _Q192)
