"""Market models: tokens, pools and pool states as exact integers, shared by every actor.

Amounts are raw token units (``int``), prices are ratios of ints; there is
no float in anything that could be traded.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "GetPools",
    "Pool",
    "PoolSnapshot",
    "PoolState",
    "PoolUpdated",
    "Token",
    "V2State",
    "V3State",
]

PoolKind = Literal["uniswap_v2", "uniswap_v3"]


class Token(msgspec.Struct, frozen=True, kw_only=True):
    """An ERC-20 token."""

    address: str
    symbol: str
    decimals: int


class Pool(msgspec.Struct, frozen=True, kw_only=True):
    """A pool of one DEX. ``fee`` is in hundredths of a basis point (V2: 3000 = 0.3 %)."""

    address: str
    dex: str
    kind: PoolKind
    token0: str
    token1: str
    fee: int
    tick_spacing: int = 0


class V2State(msgspec.Struct, frozen=True, kw_only=True, tag="uniswap_v2"):
    """A Uniswap V2 pair's reserves (what its last ``Sync`` said)."""

    reserve0: int
    reserve1: int


class V3State(msgspec.Struct, frozen=True, kw_only=True, tag="uniswap_v3"):
    """A Uniswap V3 pool's price and in-range liquidity."""

    sqrt_price_x96: int
    liquidity: int
    tick: int


PoolState = V2State | V3State


class PoolUpdated(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A pool's state at the end of ``block`` (coalesced: one per pool per block).

    ``received_ns`` is carried over from the block's head frame, for latency.
    """

    pool: Pool
    block_number: int
    block_hash: str
    state: PoolState
    received_ns: int


class GetPools(msgspec.Struct, frozen=True, tag=True):
    """Asks a DEX watcher for a `PoolSnapshot` of each of its pools."""


class PoolSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """One pool as ``GET /api/pools`` shows it (state None until first read)."""

    pool: Pool
    block_number: int | None
    state: PoolState | None
