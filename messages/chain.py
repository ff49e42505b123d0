"""What the chain client publishes: heads, per-block pool logs, reorgs, and its status.

Hashes and addresses are lowercase ``0x`` hex strings; numbers are ints.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "ChainStatus",
    "GetChainStatus",
    "Log",
    "NewHead",
    "PoolLogs",
    "Reorg",
    "ReplayLogs",
    "Rpc",
    "WatchAddresses",
]


class Log(msgspec.Struct, frozen=True, kw_only=True):
    """One event log, as the node returned it (topics and data still hex)."""

    address: str
    topics: list[str]
    data: str
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int
    removed: bool = False


class NewHead(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A block the chain client has processed, in order, exactly once per branch.

    ``received_ns`` is ``time.perf_counter_ns()`` when the head's frame
    arrived: latencies downstream are measured from it.
    """

    chain: str
    number: int
    hash: str
    parent_hash: str
    timestamp: int
    base_fee: int | None
    received_ns: int


class PoolLogs(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """All watched-pool logs of one block, complete (fetched by block hash), in log order.

    Published before the block's `NewHead`, so a head means "its logs are in".
    """

    chain: str
    block_number: int
    block_hash: str
    logs: list[Log]
    received_ns: int


class Reorg(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The chain switched branches: blocks above ``ancestor_number`` are orphaned.

    Consumers roll their state back to the ancestor; the new branch's
    `PoolLogs` and `NewHead` follow in order.
    """

    chain: str
    ancestor_number: int
    ancestor_hash: str
    depth: int


class Rpc(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Asks the chain client to make one JSON-RPC call; the reply is the decoded ``result``.

    An error answer raises `ChainError` in the asker (an ``eth_call`` that
    reverts included): `actors.chain.RpcError`, a `runtime.Rejected`, so the
    chain client carries on.
    """

    method: str
    params: list[object] = msgspec.field(default_factory=list)


class WatchAddresses(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Tells the chain client which contract addresses' logs to fetch per block (replaces)."""

    owner: str
    addresses: list[str]


class ReplayLogs(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Asks the chain client for the `PoolLogs` of ``addresses`` after a block, up to now.

    For a watcher restored at block ``after_number`` (hash ``after_hash``)
    that started watching (`WatchAddresses`) after the client had gone past
    it: the reply is a `PoolLogs` (``received_ns`` 0) for every block the
    client has processed since, oldest first, each as it would have been
    published. Blocks the client processes later are published as usual.
    Empty when the client has not reached that block yet but the node's
    chain leads there (skip the blocks up to it as they are published).
    None when that block is not on the chain the client follows (a reorg):
    read the state from the chain instead.
    """

    addresses: list[str]
    after_number: int
    after_hash: str


class GetChainStatus(msgspec.Struct, frozen=True, tag=True):
    """Asks a chain client for its `ChainStatus`."""


class ChainStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One chain's health: the fields of ``GET /api/chain``."""

    chain: str
    chain_id: int
    head_block: int | None
    head_hash: str | None
    processed_block: int | None
    lag_blocks: int | None
    reorgs_total: int
    reconnects_total: int
    connected: bool
    resumed_from: int | None
    malformed_total: int
