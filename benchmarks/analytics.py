"""The analytics benchmark: one block's re-evaluation over 1,000 pools, 50 of them changed.

Run it with ``arbiter bench analytics --json`` or ``python -m benchmarks.analytics --json``.

The market: WETH and 150 tokens, each with a reference price in WETH; every
token has a pool with WETH on two or three of three DEXes (two Uniswap V2,
one V3), and random token pairs fill the rest up to 1,000 pools (pairs on one
or two DEXes). Reserves (1e21 to 1e24 raw units) and V3 prices follow the
reference price with up to 0.1 % of noise, so most cycles do not pay their
fees. Each block moves 50 random pools to within +-0.35 % of the reference price
(the market is arbitraged between blocks; a pool's moves do not add up).

Cases, measured on the same seeded sequence of blocks (milliseconds per block,
the pools' updates applied and the changed cycles re-evaluated, sized and
valued, as `actors.analytics.Analytics` does on a block):

- ``incremental``: `PriceGraph.touching` the changed pools, then `PriceGraph.evaluate`.
- ``naive``: the same updates, then every cycle of the graph evaluated.

Both must report the same opportunities for the cycles the block touched.
Benchmarks report; they do not assert. ``targets`` says whether the figures
meet the analytics goal (under 5 ms per block).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from fractions import Fraction
from math import isqrt
from typing import Any

from actors.analytics import GasModel, PriceGraph
from actors.dex import get_tick_at_sqrt_ratio
from benchmarks.runtime import machine, say, target
from messages.market import Pool, PoolState, V2State, V3State

__all__ = ["main", "run"]

SEED = 20261125
POOLS = 1_000
TOKENS = 150
CHANGED = 50
BLOCKS = 200
NAIVE_BLOCKS = BLOCKS
BASE_FEE = 10 * 10**9
TARGET_MS = 5.0
MOVE_BPS = 35
DEXES = (
    ("uniswap_v2_a", "uniswap_v2"),
    ("uniswap_v2_b", "uniswap_v2"),
    ("uniswap_v3", "uniswap_v3"),
)
WETH = "0x" + "ee" * 20
_Q192 = 1 << 192


class Market:
    """The pools, their reference prices, and a seeded stream of changes."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        tokens = [f"0x{index + 1:040x}" for index in range(TOKENS)]
        self.price = {WETH: Fraction(1)} | {
            token: Fraction(self.random.randint(10**3, 10**7), 10**5) for token in tokens
        }
        self.pools: list[Pool] = []
        self.states: dict[str, PoolState] = {}
        for token in tokens:
            for dex, kind in self.random.sample(DEXES, self.random.randint(2, 3)):
                self._add(token, WETH, dex, kind)
        while len(self.pools) < POOLS:
            token_a, token_b = self.random.sample(tokens, 2)
            for dex, kind in self.random.sample(DEXES, self.random.randint(1, 2)):
                if len(self.pools) < POOLS:
                    self._add(token_a, token_b, dex, kind)

    def _add(self, token_a: str, token_b: str, dex: str, kind: str) -> None:
        token0, token1 = sorted((token_a, token_b))
        address = f"0x{len(self.pools) + 0x1000:040x}"
        pool = Pool(
            address=address,
            dex=dex,
            kind="uniswap_v2" if kind == "uniswap_v2" else "uniswap_v3",
            token0=token0,
            token1=token1,
            fee=3000,
            tick_spacing=0 if kind == "uniswap_v2" else 60,
        )
        self.pools.append(pool)
        noise = Fraction(self.random.randint(9_990, 10_010), 10_000)
        # Price of token0 in token1 (raw units; every token has 18 decimals).
        price = self.price[token0] / self.price[token1] * noise
        if pool.kind == "uniswap_v2":
            reserve0 = self.random.randint(10**21, 10**24)
            self.states[address] = V2State(
                reserve0=reserve0, reserve1=reserve0 * price.numerator // price.denominator
            )
        else:
            sqrt_price = isqrt(price.numerator * _Q192 // price.denominator)
            self.states[address] = V3State(
                sqrt_price_x96=sqrt_price,
                liquidity=self.random.randint(10**21, 10**24),
                tick=get_tick_at_sqrt_ratio(sqrt_price),
            )

    def block(self) -> list[tuple[Pool, PoolState]]:
        """Move ``CHANGED`` random pools to within ``MOVE_BPS`` of their reference price."""
        moved = []
        for pool in self.random.sample(self.pools, CHANGED):
            state = self.states[pool.address]
            move = Fraction(10_000 + self.random.randint(-MOVE_BPS, MOVE_BPS), 10_000)
            price = self.price[pool.token0] / self.price[pool.token1] * move
            if isinstance(state, V2State):
                reserve1 = state.reserve0 * price.numerator // price.denominator
                new: PoolState = V2State(reserve0=state.reserve0, reserve1=reserve1)
            else:
                sqrt_price = isqrt(price.numerator * _Q192 // price.denominator)
                new = V3State(
                    sqrt_price_x96=sqrt_price,
                    liquidity=state.liquidity,
                    tick=get_tick_at_sqrt_ratio(sqrt_price),
                )
            self.states[pool.address] = new
            moved.append((pool, new))
        return moved


def graph_of(market: Market) -> PriceGraph:
    graph = PriceGraph(max_hops=3, weth=WETH)
    for pool in market.pools:
        graph.update(pool, market.states[pool.address])
    graph.rebuild()
    return graph


def run_blocks(naive: bool, blocks: int) -> tuple[list[float], list[set[tuple[Any, ...]]], int]:
    """Milliseconds per block, the opportunities each block found, and the cycles evaluated."""
    market = Market(SEED)
    graph = graph_of(market)
    gas = GasModel()
    graph.evaluate(range(len(graph.cycles)), gas, BASE_FEE, 0)  # the first block: everything
    timings, found, evaluated = [], [], 0
    everything = range(len(graph.cycles))
    for _ in range(blocks):
        changes = market.block()
        started = time.perf_counter()
        for pool, state in changes:
            graph.update(pool, state)
        indexes = everything if naive else graph.touching(pool.address for pool, _ in changes)
        findings = graph.evaluate(indexes, gas, BASE_FEE, 0)
        timings.append((time.perf_counter() - started) * 1000)
        evaluated += len(indexes)
        touched = graph.touching(pool.address for pool, _ in changes)
        found.append(
            {
                (f.cycle.hops, f.sized.amount_in, f.profit_wei)
                for f in findings
                if graph.cycles.index(f.cycle) in touched
            }
        )
    return timings, found, evaluated


def summary(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "mean_ms": round(statistics.fmean(ordered), 3),
        "p50_ms": round(ordered[len(ordered) // 2], 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)], 3),
        "max_ms": round(ordered[-1], 3),
    }


def run(json_output: bool) -> dict[str, Any]:
    """Run both cases, print what they find, and return (and with ``json_output`` print) it all."""
    started = time.perf_counter()
    say(f"arbiter analytics benchmark: Python {platform.python_version()}")
    market = Market(SEED)
    graph = graph_of(market)
    build_started = time.perf_counter()
    graph.rebuild()
    build_ms = (time.perf_counter() - build_started) * 1000
    cycles = len(graph.cycles)
    say(f"{len(graph.pools):,} pools, {cycles:,} cycles (2-3 pools), built in {build_ms:.0f} ms")
    incremental, found_incremental, evaluated = run_blocks(naive=False, blocks=BLOCKS)
    say(f"incremental: {summary(incremental)} over {BLOCKS} blocks")
    naive, found_naive, evaluated_naive = run_blocks(naive=True, blocks=NAIVE_BLOCKS)
    say(f"naive: {summary(naive)} over {NAIVE_BLOCKS} blocks")
    same = found_incremental[:NAIVE_BLOCKS] == found_naive
    opportunities = sum(len(block) for block in found_incremental)
    ours = summary(incremental)
    speedup = round(statistics.median(naive) / statistics.median(incremental), 1)
    result: dict[str, Any] = {
        "benchmark": "analytics",
        "python": platform.python_version(),
        "machine": machine(),
        "market": {
            "pools": len(graph.pools),
            "tokens": TOKENS + 1,
            "cycles": len(graph.cycles),
            "changed_per_block": CHANGED,
            "cycle_build_ms": round(build_ms, 1),
        },
        "cases": {
            "incremental": ours
            | {
                "blocks": BLOCKS,
                "cycles_per_block": evaluated // BLOCKS,
                "opportunities": opportunities,
            },
            "naive": summary(naive)
            | {"blocks": NAIVE_BLOCKS, "cycles_per_block": evaluated_naive // NAIVE_BLOCKS},
            "naive_over_incremental_p50": speedup,
            "same_opportunities": same,
        },
        "targets": {
            "block_p50_ms": target(ours["p50_ms"], TARGET_MS, ours["p50_ms"] < TARGET_MS),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    say(f"naive / incremental (p50): {speedup}x; same opportunities: {same}")
    if json_output:
        print(json.dumps(result), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.analytics [--json]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="benchmarks.analytics", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    run(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
