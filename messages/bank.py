"""The memory bank's protocol: what is recorded, what is asked back, and the checkpoint.

The bank (``/app/bank``) is the only owner of the SQLite database. Writes are
the ``Record*`` messages: published on ``system.events`` (the bank subscribes
to them) or told to the bank they are best effort, batched and counted if
dropped; asked, the reply is a receipt that completes once the write's
transaction has committed (`actors.bank.write_durably` does both steps).
Reads are asks (``Query*``, `LoadCheckpoint`, `GetBankHealth`).

A checkpoint is not sent whole by anyone: each part of the system records
what it did, block by block (the chain client's `NewHead`s, each watcher's
`RecordPoolStates`, the nonce managers' `TxUpdated`s), and `LoadCheckpoint`
answers the newest block that every part has recorded -- a consistent cut,
with the header chain below it, the pool states at it and the transactions
in flight.

Hashes and addresses are lowercase ``0x`` hex strings; amounts are ints.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from messages.market import Pool, PoolState  # noqa: TC001 - msgspec reads field types at run time
from messages.tx import InFlightTx, TxRecord  # noqa: TC001 - same

__all__ = [
    "ActivityTotals",
    "BankHealth",
    "BankState",
    "BankWrite",
    "BlockRecord",
    "Checkpoint",
    "CheckpointHeader",
    "GetBankHealth",
    "Hop",
    "LoadCheckpoint",
    "Opportunity",
    "OpportunityStatus",
    "PoolCheckpoint",
    "PoolRecord",
    "QueryBlocks",
    "QueryInFlight",
    "QueryOpportunities",
    "QueryTotals",
    "QueryTxs",
    "RecordActorEvent",
    "RecordBlock",
    "RecordConfigChange",
    "RecordOpportunity",
    "RecordPoolStates",
    "RecordTx",
]

Limit = Annotated[int, msgspec.Meta(ge=1, le=1000)]

OpportunityStatus = Literal["new", "simulated", "executed", "stale", "skipped"]

BankState = Literal["starting", "ok", "failing", "unavailable"]
"""``ok`` writes commit; ``failing`` the database opened but writes fail
(disk full, read-only): they are refused until a retry succeeds;
``unavailable`` the database cannot be opened (corrupt, foreign, newer schema,
unreachable): reads answer empty and writes are refused."""


# -- records ------------------------------------------------------------------


class Hop(msgspec.Struct, frozen=True, kw_only=True):
    """One swap of an opportunity's path."""

    pool: str
    token_in: str
    token_out: str


class Opportunity(msgspec.Struct, frozen=True, kw_only=True):
    """An arbitrage opportunity: a row of ``GET /api/opportunities``.

    ``block`` is the block whose state it was computed on; ``amount_in`` and
    ``amount_out`` are in start-token units; ``expected_profit_wei`` is net of
    ``gas_cost_wei``; ``detected_at`` is Unix time in seconds; ``latency_us``
    runs from the head frame's arrival to the opportunity's emission.

    The executor fills the rest as it records a new status, in start-token
    units before gas: ``simulated_profit`` is what the arbitrage contract
    answered (``simulated``; on ``executed`` the pre-flight's answer),
    ``realised_profit`` what the sending account gained by the mined
    transaction ``tx_hash``.
    """

    id: str
    block: int
    path: list[Hop]
    amount_in: int
    amount_out: int
    expected_profit_wei: int
    gas_cost_wei: int
    detected_at: float
    latency_us: int
    status: OpportunityStatus = "new"
    simulated_profit: int | None = None
    realised_profit: int | None = None
    tx_hash: str | None = None


class PoolRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A pool and its state at the end of some block."""

    pool: Pool
    state: PoolState


class BlockRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A block a chain client processed."""

    chain: str
    number: int
    hash: str
    parent_hash: str
    timestamp: int


# -- writes ---------------------------------------------------------------------


class RecordBlock(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The chain client processed block ``number``.

    Recording block ``number`` with another hash than the one recorded
    forgets the chain's recorded blocks at and above it (a new branch, after
    a reorg); the same block again (a replay after a restore) changes nothing.
    The bank records every `NewHead` it sees this way, so the chain client
    need not send this itself.
    """

    chain: str
    number: int
    hash: str
    parent_hash: str
    timestamp: int


class RecordPoolStates(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A watcher's pools after block ``block_number``: one per processed block, in order.

    Send one for *every* block the watcher processes, with the pools that
    block changed (possibly none): the bank learns from it how far the DEX
    has got. ``complete`` says ``states`` holds every pool of the DEX (send
    it after reading them all from the chain: at start, after a re-read, and
    every so often). ``rewound`` says a reorg took the DEX back to
    ``block_number`` (the ancestor), with ``states`` the pools it put back.

    A record that does not follow the previous one (a block skipped because
    a record was lost) makes the bank leave the DEX out of checkpoints until
    its next ``complete`` record.
    """

    chain: str
    dex: str
    block_number: int
    block_hash: str
    states: list[PoolRecord] = msgspec.field(default_factory=list)
    complete: bool = False
    rewound: bool = False


class RecordOpportunity(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """An opportunity, new or with a new status (recorded again under the same ``id``)."""

    opportunity: Opportunity


class RecordTx(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A transaction recorded or changed status; the fields of `messages.tx.TxUpdated`.

    ``in_flight`` is its nonce's state afterwards, kept for restore; None
    once the nonce's fate is known. The bank records every `TxUpdated` it
    sees this way; ask this to make a record durable before acting on it.
    """

    record: TxRecord
    in_flight: InFlightTx | None


class RecordActorEvent(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """An actor started, failed (with its error), restarted or stopped. ``at``: Unix seconds."""

    path: str
    actor: str
    event: Literal["started", "failed", "restarted", "stopped"]
    error: str | None = None
    at: float


class RecordConfigChange(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A setting changed at run time (`SetParam`); ``value`` as JSON text. ``at``: Unix seconds."""

    path: str
    name: str
    value: str
    at: float


BankWrite = (
    RecordBlock
    | RecordPoolStates
    | RecordOpportunity
    | RecordTx
    | RecordActorEvent
    | RecordConfigChange
)


# -- reads ----------------------------------------------------------------------


class QueryOpportunities(msgspec.Struct, frozen=True, tag=True):
    """Asks for the newest ``limit`` `Opportunity` records, newest first.

    The fields are those of ``GET /api/opportunities``; empty when the bank
    cannot read its database.
    """

    limit: Limit = 50


class QueryTxs(msgspec.Struct, frozen=True, tag=True):
    """Asks for the newest ``limit`` `TxRecord`s, newest first.

    The fields are those of ``GET /api/txs`` (and more); empty when the
    bank cannot read its database.
    """

    limit: Limit = 50


class QueryBlocks(msgspec.Struct, frozen=True, tag=True):
    """Asks for a chain's newest ``limit`` recorded blocks (`BlockRecord`), newest first."""

    chain: str
    limit: Limit = 50


class QueryInFlight(msgspec.Struct, frozen=True, tag=True):
    """Asks for ``account``'s nonces in flight (`InFlightTx`), lowest nonce first.

    What a nonce manager takes back after a restart of the process, whether
    or not any block was recorded (`LoadCheckpoint` answers None until one
    is); empty when the bank cannot read its database.
    """

    account: str


class QueryTotals(msgspec.Struct, frozen=True, tag=True):
    """Asks for `ActivityTotals`, the counters behind ``/metrics``."""


class ActivityTotals(msgspec.Struct, frozen=True, kw_only=True):
    """Opportunities recorded, and transactions by status (``pending``, ``mined``, ...).

    Counted as they are recorded, so pruning old rows does not lower them.
    """

    opportunities_total: int = 0
    txs_total: dict[str, int] = msgspec.field(default_factory=dict)


class LoadCheckpoint(msgspec.Struct, frozen=True, tag=True):
    """Asks for ``chain``'s `Checkpoint`, or None when there is none to resume from.

    With ``dex``, the checkpoint of that DEX alone: its newest recorded block
    that is on the recorded branch, with its pools only (a watcher resumes
    there, then asks the chain client to replay the blocks since). None
    also when the bank cannot read its database (`GetBankHealth` says why).
    """

    chain: str
    dex: str | None = None


class CheckpointHeader(msgspec.Struct, frozen=True, kw_only=True):
    """A processed block's place in the chain."""

    number: int
    hash: str
    parent_hash: str


class PoolCheckpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A pool's state at the checkpoint; ``block_number`` is the block that last changed it."""

    pool: Pool
    block_number: int
    state: PoolState


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """The newest block of a chain that every recorded part of the system had processed.

    Args:
        chain: the chain's name.
        block_number: the block to resume after.
        block_hash: its hash.
        headers: the recorded blocks up to it, oldest first, each the parent
            of the next; the last is the checkpoint block.
        dexes: the DEXes whose pools are in ``pools``. A DEX left out (it
            recorded a gap, is on another branch, or is far behind) must
            read its pools from the chain.
        pools: every pool of ``dexes``, as it was at ``block_number``.
        in_flight: every nonce whose transaction's fate is not known yet.
    """

    chain: str
    block_number: int
    block_hash: str
    headers: list[CheckpointHeader]
    dexes: list[str]
    pools: list[PoolCheckpoint]
    in_flight: list[InFlightTx]


class GetBankHealth(msgspec.Struct, frozen=True, tag=True):
    """Asks the bank for its `BankHealth`."""


class BankHealth(msgspec.Struct, frozen=True, kw_only=True):
    """The bank's state, for the health page and ``/readyz``.

    ``error`` says what is wrong (naming the database file) unless ``state``
    is ``ok``. Counters run since the bank started: rows and transactions
    committed, commits that failed, and writes dropped (refused while the
    database was failing or unavailable, over the pending bound, or in a
    failed commit).
    """

    path: str
    state: BankState
    error: str | None
    schema_version: int | None
    synchronous: str
    pending_rows: int
    committed_rows_total: int
    commits_total: int
    failed_commits_total: int
    dropped_writes_total: int
    pruned_rows_total: int
    last_commit_rows: int
    last_commit_ms: float | None
