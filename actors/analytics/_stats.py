"""`RollingStats`: opportunities per pair and per DEX over a sliding time window."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from actors.analytics._graph import pair_of
from messages.analytics import DexStats, PairStats

if TYPE_CHECKING:
    from fractions import Fraction

    from actors.analytics._graph import PriceGraph

__all__ = ["RollingStats"]

_HOUR = 3600
_BPS = 10_000


@dataclass(frozen=True, slots=True)
class _Seen:
    at: float
    profit_wei: int
    pairs: frozenset[tuple[str, str]]
    dexes: frozenset[str]


@dataclass(slots=True)
class RollingStats:
    """Opportunities seen in the last ``window`` seconds (times from the caller's clock)."""

    window: float = 3600.0
    _seen: deque[_Seen] = field(default_factory=deque)

    def record(
        self, at: float, profit_wei: int, pairs: frozenset[tuple[str, str]], dexes: frozenset[str]
    ) -> None:
        """Count an opportunity found at time ``at`` through ``pairs`` on ``dexes``."""
        self._seen.append(_Seen(at, profit_wei, pairs, dexes))

    def forget(self, now: float) -> None:
        """Drop what is older than the window."""
        while self._seen and self._seen[0].at <= now - self.window:
            self._seen.popleft()

    def summary(self, graph: PriceGraph, now: float) -> tuple[list[PairStats], list[DexStats]]:
        """Per pair and per DEX: spread now, and the window's opportunities and profits."""
        self.forget(now)
        by_pair: dict[tuple[str, str], list[str]] = {}
        by_dex: dict[str, list[str]] = {}
        for address, pool in graph.pools.items():
            by_pair.setdefault(pair_of(pool), []).append(address)
            by_dex.setdefault(pool.dex, []).append(address)
        prices = {address: graph.mid_price(address) for address in graph.pools}
        pair_profits: dict[tuple[str, str], list[int]] = {}
        dex_profits: dict[str, list[int]] = {}
        for seen in self._seen:
            for pair in seen.pairs:
                pair_profits.setdefault(pair, []).append(seen.profit_wei)
            for dex in seen.dexes:
                dex_profits.setdefault(dex, []).append(seen.profit_wei)
        pairs = [
            PairStats(
                token0=pair[0],
                token1=pair[1],
                pools=len(addresses),
                spread_bps=_spread([prices[a] for a in addresses]),
                **self._profits(pair_profits.get(pair, [])),
            )
            for pair, addresses in sorted(by_pair.items())
        ]
        dexes = []
        for dex, addresses in sorted(by_dex.items()):
            widest = 0
            for address in addresses:
                pair = pair_of(graph.pools[address])
                for other in by_pair[pair]:
                    if other != address:
                        widest = max(widest, _spread([prices[address], prices[other]]))
            dexes.append(
                DexStats(
                    dex=dex,
                    pools=len(addresses),
                    spread_bps=widest,
                    **self._profits(dex_profits.get(dex, [])),
                )
            )
        return pairs, dexes

    def _profits(self, profits: list[int]) -> dict[str, Any]:
        ordered = sorted(profits)
        return {
            "opportunities": len(ordered),
            "opportunities_per_hour": len(ordered) * _HOUR // max(int(self.window), 1),
            "best_profit_wei": ordered[-1] if ordered else None,
            "median_profit_wei": ordered[(len(ordered) - 1) // 2] if ordered else None,
        }


def _spread(prices: list[Fraction | None]) -> int:
    known = [price for price in prices if price is not None and price > 0]
    if len(known) < 2:
        return 0
    low, high = min(known), max(known)
    return int((high - low) * _BPS // low)
