"""What analytics publishes: arbitrage opportunities, and the rolling statistics it answers.

The analytics actor (``/app/analytics``) publishes every opportunity it finds
on ``system.events`` twice: as the `Opportunity` itself (an executor
subscribes to `Opportunity`; ``status`` is ``new``, or ``stale`` when a
reorg removed the block it came from) and as a `messages.bank.RecordOpportunity`
for the bank. Anyone may ask it `GetAnalyticsStats`.

`Opportunity` (its fields: ``GET /api/opportunities``), `Hop` and
`OpportunityStatus` are defined in `messages.bank` and re-exported here.

Hashes and addresses are lowercase ``0x`` hex strings; amounts are ints in
raw token units (or wei), never floats.
"""

from __future__ import annotations

import msgspec

# The records live with the bank's protocol (the bank stores them); analytics
# is where they come from, so they are importable from here too.
from messages.bank import Hop, Opportunity, OpportunityStatus

__all__ = [
    "AnalyticsStats",
    "DexStats",
    "GetAnalyticsStats",
    "Hop",
    "Opportunity",
    "OpportunityStatus",
    "PairStats",
]


class GetAnalyticsStats(msgspec.Struct, frozen=True, tag=True):
    """Asks the analytics actor for its `AnalyticsStats`."""


class PairStats(msgspec.Struct, frozen=True, kw_only=True):
    """One token pair over the rolling window.

    ``spread_bps`` is how far the dearest pool's price of ``token1`` in
    ``token0`` is above the cheapest one's (basis points, rounded down; 0
    with fewer than two pools). ``opportunities`` counts those whose path
    swaps this pair in the window, ``opportunities_per_hour`` scales that to
    an hour; ``best_profit_wei`` and ``median_profit_wei`` (the lower median)
    are over them, None when there were none.
    """

    token0: str
    token1: str
    pools: int
    spread_bps: int
    opportunities: int
    opportunities_per_hour: int
    best_profit_wei: int | None
    median_profit_wei: int | None


class DexStats(msgspec.Struct, frozen=True, kw_only=True):
    """One DEX over the rolling window; fields as `PairStats`.

    ``spread_bps`` is the widest spread between one of this DEX's pools and
    another pool of the same pair.
    """

    dex: str
    pools: int
    spread_bps: int
    opportunities: int
    opportunities_per_hour: int
    best_profit_wei: int | None
    median_profit_wei: int | None


class AnalyticsStats(msgspec.Struct, frozen=True, kw_only=True):
    """The analytics actor's state and rolling statistics (``window_s`` seconds).

    ``last_evaluation_us`` is how long the last block's re-evaluation took
    (the changed pools' cycles only).
    """

    window_s: int
    pools: int
    cycles: int
    blocks_evaluated: int
    cycles_evaluated_total: int
    opportunities_total: int
    last_block: int | None
    last_evaluation_us: int | None
    min_profit_wei: int
    max_hops: int
    pairs: list[PairStats]
    dexes: list[DexStats]
