"""`Store`: the bank's database behind plain, blocking methods, used from one thread.

The bank actor calls it only from its own database thread, never from the
event loop. Records are kept as msgspec JSON (integers of any size stay
exact) next to the columns that order, find and prune them.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec
import structlog

from actors.bank._schema import Synchronous, corrupt, is_corrupt, open_database
from messages.bank import (
    ActivityTotals,
    BlockRecord,
    Checkpoint,
    CheckpointHeader,
    Opportunity,
    PoolCheckpoint,
    RecordActorEvent,
    RecordBlock,
    RecordConfigChange,
    RecordOpportunity,
    RecordPoolStates,
    RecordTx,
)
from messages.market import Pool, PoolState
from messages.tx import InFlightTx, TxRecord
from runtime import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from messages.bank import BankWrite

__all__ = ["Retention", "Store", "rows_of"]

_log = structlog.get_logger("arbiter.bank")

_encode = msgspec.json.Encoder().encode
_pool = msgspec.json.Decoder(Pool).decode
_state = msgspec.json.Decoder(PoolState).decode
_opportunity = msgspec.json.Decoder(Opportunity).decode
_tx = msgspec.json.Decoder(TxRecord).decode
_in_flight = msgspec.json.Decoder(InFlightTx).decode

# What a write's own values can make SQLite or the encoder raise (not the disk's fault).
_DATA_ERRORS = (
    sqlite3.IntegrityError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    msgspec.MsgspecError,
    OverflowError,
    TypeError,
    ValueError,
)
_HISTORY = ("opportunities", "txs", "tx_events", "actor_events", "config_changes")
# Most opportunities per INSERT statement (5 parameters each, well under SQLite's limit).
_CHUNK = 128
_COUNT_NEW_OPPORTUNITIES = (
    "INSERT INTO counters (name, value)"
    " SELECT 'opportunities', count(*) FROM opportunities WHERE seq > ?"
    " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value"
)
# Most rows one pruning transaction deletes, so a commit never waits long behind it.
_PRUNE_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history the bank keeps; what a restore needs is never pruned.

    Raises:
        ConfigError: a limit that would keep nothing.

    Args:
        max_age: seconds a history row (opportunity, transaction, event,
            config change) is kept.
        max_rows: the most rows kept per history table (the newest).
        blocks: blocks kept per chain below the newest, and the depth of
            pool-state history (each pool keeps its newest state below that).
    """

    max_age: float = 7 * 24 * 3600.0
    max_rows: int = 1_000_000
    blocks: int = 10_000

    def __post_init__(self) -> None:
        for key, value in (("max_age", self.max_age), ("max_rows", self.max_rows)):
            if value <= 0:
                raise ConfigError(f"[bank] retention_{key} = {value!r} must keep something")
        if self.blocks < 1:
            raise ConfigError(f"[bank] retention_blocks = {self.blocks!r} must keep something")


def rows_of(write: BankWrite) -> int:
    """How many rows a write adds: what the batch size ``batch_rows`` counts."""
    if type(write) is RecordPoolStates:
        return max(1, len(write.states))
    return 1


class Store:
    """The bank's database: one connection, one thread.

    ``synchronous``: in WAL mode ``normal`` makes a commit durable against a
    crash of the process (the WAL is in the OS's hands when COMMIT returns)
    but the last commits may be lost, never corrupted, on a power loss or
    OS crash; ``full`` also syncs the WAL to disk at each commit, so an
    acknowledged write survives a power loss too. The bank acknowledges an
    asked write only after its commit, and group commit pays one sync per
    batch, not per row (about 0.4 ms per commit on the development VM's
    disk), so ``full`` is the default.

    Not thread-safe: every call must come from the thread that opened it.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, version: int) -> None:
        self._db = connection
        self.path = path
        self.schema_version = version
        self._counts: dict[str, int] = {}  # what the transaction under way adds to the counters
        # (chain, dex, address) -> the pool's description as last written, to write it once.
        self._described: dict[tuple[str, str, str], bytes] = {}

    @classmethod
    def open(
        cls, path: Path, *, synchronous: Synchronous = "full", busy_timeout: float = 5.0
    ) -> Store:
        """Open (create, migrate) the database; see `open_database` for what it raises."""
        connection, version = open_database(
            path, synchronous=synchronous, busy_timeout=busy_timeout
        )
        return cls(connection, path, version)

    def close(self) -> None:
        """Close the connection; errors are ignored (the bank is letting go of it)."""
        try:
            self._db.close()
        except sqlite3.Error as exc:
            _log.warning("bank_close_failed", path=str(self.path), error=str(exc))

    # -- writes ---------------------------------------------------------------

    def commit(self, writes: Sequence[BankWrite], now: float) -> tuple[int, dict[int, str]]:
        """Apply ``writes`` in order, in one transaction.

        A write whose values SQLite refuses (an integer beyond 64 bits, a
        value of the wrong kind) is left out and the rest committed.

        Args:
            writes: the batch.
            now: Unix seconds, stamped on the rows for retention.

        Returns:
            The rows written, and the index in ``writes`` of each write left
            out with the reason.

        Raises:
            sqlite3.Error: the database could not be written (disk full,
                read-only, I/O error, corrupt); nothing of ``writes`` was written.
        """
        try:
            with self._transaction():
                self._counts = {}
                rows = self._apply_batch(writes, now)
                self._save_counts()
        except _DATA_ERRORS:
            self._described.clear()  # it may name pools whose rows were rolled back
        except BaseException:
            self._described.clear()
            raise
        else:
            return rows, {}
        # Rare: do it again with a savepoint per write, to find and leave out the bad ones.
        db = self._db
        rows = 0
        rejected: dict[int, str] = {}
        try:
            with self._transaction():
                self._counts = {}
                for index, write in enumerate(writes):
                    db.execute("SAVEPOINT write")
                    counts = dict(self._counts)
                    try:
                        rows += self._apply[type(write)](self, write, now)
                    except _DATA_ERRORS as exc:
                        db.execute("ROLLBACK TO write")
                        self._counts = counts
                        self._described.clear()
                        rejected[index] = f"{type(exc).__name__}: {exc}"
                    db.execute("RELEASE write")
                self._save_counts()
        except BaseException:
            self._described.clear()
            raise
        for index, reason in rejected.items():
            _log.error("bank_write_rejected", write=type(writes[index]).__name__, error=reason)
        return rows, rejected

    def probe(self, now: float) -> None:
        """Write one small row: whether the database takes writes (again).

        Raises:
            ForeignDatabase: the file turned out to be corrupt.
            sqlite3.Error: it cannot be written (disk full, read-only).
        """
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('probed_at', ?)", (str(now),)
                )
        except sqlite3.DatabaseError as exc:
            if is_corrupt(exc):
                raise corrupt(self.path, str(exc)) from exc
            raise

    def check(self) -> None:
        """Read the whole file (``PRAGMA quick_check``): slow on a big one.

        Raises:
            ForeignDatabase: it is corrupt.
        """
        try:
            found = [problem for (problem,) in self._db.execute("PRAGMA quick_check(3)")]
        except sqlite3.DatabaseError as exc:
            if is_corrupt(exc):
                raise corrupt(self.path, str(exc)) from exc
            raise
        if found != ["ok"]:
            raise corrupt(self.path, "; ".join(found))

    def _block(self, write: RecordBlock, now: float) -> int:
        # The same block again (a replay after a restore) keeps what is above it,
        # so the watchers' records above the checkpoint stay on the branch.
        self._db.execute(
            "DELETE FROM blocks WHERE chain = ? AND number >= ? AND NOT EXISTS"
            " (SELECT 1 FROM blocks WHERE chain = ? AND number = ? AND hash = ?)",
            (write.chain, write.number, write.chain, write.number, write.hash),
        )
        self._db.execute(
            "INSERT OR IGNORE INTO blocks"
            " (chain, number, hash, parent_hash, timestamp, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            (write.chain, write.number, write.hash, write.parent_hash, write.timestamp, now),
        )
        return 1

    def _pool_states(self, write: RecordPoolStates, now: float) -> int:
        db = self._db
        key = (write.chain, write.dex)
        row = db.execute(
            "SELECT block_number FROM pool_progress WHERE chain = ? AND dex = ?", key
        ).fetchone()
        progress: int | None = None if row is None else row[0]
        number = write.block_number
        if write.complete:
            forget_from = number
        elif progress is not None and write.rewound and number <= progress:
            forget_from = number + 1
        elif progress is not None and not write.rewound and number <= progress + 1:
            forget_from = number  # the next block, or one replayed after a restore
        else:
            if progress is not None or row is None:
                _log.warning(
                    "pool_states_gap", chain=write.chain, dex=write.dex, block=number, last=progress
                )
            db.execute(
                "INSERT INTO pool_progress (chain, dex, block_number, block_hash)"
                " VALUES (?, ?, NULL, NULL) ON CONFLICT (chain, dex)"
                " DO UPDATE SET block_number = NULL, block_hash = NULL",
                key,
            )
            return 1
        db.execute(
            "DELETE FROM pool_states WHERE chain = ? AND dex = ? AND block_number >= ?",
            (*key, forget_from),
        )
        if write.complete:
            # A pool the DEX no longer has drops out of its checkpoints.
            addresses = [entry.pool.address for entry in write.states]
            db.execute(
                "DELETE FROM pools WHERE chain = ? AND dex = ?"
                " AND address NOT IN (SELECT value FROM json_each(?))",
                (*key, _encode(addresses)),
            )
            self._described.clear()
        described = self._described
        for entry in write.states:
            pool = _encode(entry.pool)
            if described.get((*key, entry.pool.address)) != pool:
                db.execute(
                    "INSERT OR REPLACE INTO pools (chain, dex, address, pool) VALUES (?, ?, ?, ?)",
                    (*key, entry.pool.address, pool),
                )
                described[(*key, entry.pool.address)] = pool
        db.executemany(
            "INSERT OR REPLACE INTO pool_states"
            " (chain, dex, address, block_number, block_hash, state, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (*key, entry.pool.address, number, write.block_hash, _encode(entry.state), now)
                for entry in write.states
            ],
        )
        db.execute(
            "INSERT INTO pool_progress (chain, dex, block_number, block_hash) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (chain, dex) DO UPDATE"
            " SET block_number = excluded.block_number, block_hash = excluded.block_hash",
            (*key, number, write.block_hash),
        )
        return rows_of(write)

    def _opportunity(self, write: RecordOpportunity, now: float) -> int:
        db = self._db
        opportunity = write.opportunity
        record = _encode(opportunity)
        inserted = db.execute(
            "INSERT INTO opportunities (id, block, status, record, recorded_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (opportunity.id, opportunity.block, opportunity.status, record, now),
        ).rowcount
        if inserted:
            self._count("opportunities")
        else:
            db.execute(
                "UPDATE opportunities SET status = ?, record = ? WHERE id = ?",
                (opportunity.status, record, opportunity.id),
            )
        return 1

    def _tx(self, write: RecordTx, now: float) -> int:
        db = self._db
        record = write.record
        row = db.execute("SELECT status FROM txs WHERE hash = ?", (record.hash,)).fetchone()
        db.execute(
            "INSERT INTO txs (hash, account, nonce, status, record, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO UPDATE"
            " SET status = excluded.status, record = excluded.record",
            (
                record.hash,
                record.account.lower(),
                record.nonce,
                record.status,
                _encode(record),
                now,
            ),
        )
        if row is None or row[0] != record.status:
            db.execute(
                "INSERT INTO tx_events (hash, status, block, recorded_at) VALUES (?, ?, ?, ?)",
                (record.hash, record.status, record.block, now),
            )
            self._count(f"txs:{record.status}")
        in_flight = write.in_flight
        if in_flight is None:
            db.execute(
                "DELETE FROM in_flight WHERE account = ? AND nonce = ?",
                (record.account.lower(), record.nonce),
            )
        else:
            db.execute(
                "INSERT OR REPLACE INTO in_flight (account, nonce, record) VALUES (?, ?, ?)",
                (in_flight.account.lower(), in_flight.nonce, _encode(in_flight)),
            )
        return 1

    def _actor_event(self, write: RecordActorEvent, now: float) -> int:
        self._db.execute(
            "INSERT INTO actor_events (path, actor, event, error, at, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (write.path, write.actor, write.event, write.error, write.at, now),
        )
        return 1

    def _config_change(self, write: RecordConfigChange, now: float) -> int:
        self._db.execute(
            "INSERT INTO config_changes (path, name, value, at, recorded_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (write.path, write.name, write.value, write.at, now),
        )
        return 1

    def _apply_batch(self, writes: Sequence[BankWrite], now: float) -> int:
        """Apply ``writes``: the opportunities together, the rest one by one, in order.

        Written for speed (`benchmarks/bank.py`, ``group_commit``): the
        opportunities, most of the rows, go in a few multi-row statements.
        Only the order among writes of one kind matters: each kind has its
        own tables.
        """
        apply = self._apply
        opportunities = []
        rows = 0
        for write in writes:
            kind = type(write)
            if kind is RecordOpportunity:
                opportunities.append(write.opportunity)  # type: ignore[union-attr]
            else:
                rows += apply[kind](self, write, now)
        if opportunities:
            rows += self._opportunities(opportunities, now)
        return rows

    def _opportunities(self, opportunities: list[Opportunity], now: float) -> int:
        db = self._db
        # Rows above the highest seq before the statements are the new ones.
        (top,) = db.execute("SELECT coalesce(max(seq), 0) FROM opportunities").fetchone()
        start = 0
        for size in _chunk_sizes(len(opportunities)):
            values: list[object] = []
            for o in opportunities[start : start + size]:
                values += (o.id, o.block, o.status, _encode(o), now)
            db.execute(_upsert_opportunities(size), values)
            start += size
        db.execute(_COUNT_NEW_OPPORTUNITIES, (top,))
        return len(opportunities)

    def _count(self, name: str, amount: int = 1) -> None:
        self._counts[name] = self._counts.get(name, 0) + amount

    def _save_counts(self) -> None:
        """Add the transaction's counts to the counters (one statement per counter)."""
        self._db.executemany(
            "INSERT INTO counters (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            self._counts.items(),
        )

    _apply: ClassVar[dict[type, Callable[[Store, Any, float], int]]] = {
        RecordBlock: _block,
        RecordPoolStates: _pool_states,
        RecordOpportunity: _opportunity,
        RecordTx: _tx,
        RecordActorEvent: _actor_event,
        RecordConfigChange: _config_change,
    }

    # -- reads ------------------------------------------------------------------

    def opportunities(self, limit: int) -> list[Opportunity]:
        """The newest ``limit`` opportunities (by first record), newest first."""
        rows = self._db.execute(
            "SELECT record FROM opportunities ORDER BY seq DESC LIMIT ?", (limit,)
        )
        return [_opportunity(record) for (record,) in rows]

    def txs(self, limit: int) -> list[TxRecord]:
        """The newest ``limit`` transactions (by first record), newest first."""
        rows = self._db.execute("SELECT record FROM txs ORDER BY seq DESC LIMIT ?", (limit,))
        return [_tx(record) for (record,) in rows]

    def in_flight(self, account: str) -> list[InFlightTx]:
        """``account``'s nonces in flight, lowest first."""
        rows = self._db.execute(
            "SELECT record FROM in_flight WHERE account = ? ORDER BY nonce", (account.lower(),)
        )
        return [_in_flight(record) for (record,) in rows]

    def blocks(self, chain: str, limit: int) -> list[BlockRecord]:
        """A chain's newest ``limit`` recorded blocks, newest first."""
        rows = self._db.execute(
            "SELECT number, hash, parent_hash, timestamp FROM blocks WHERE chain = ?"
            " ORDER BY number DESC LIMIT ?",
            (chain, limit),
        )
        return [
            BlockRecord(chain=chain, number=n, hash=h, parent_hash=p, timestamp=t)
            for n, h, p, t in rows
        ]

    def totals(self) -> ActivityTotals:
        counters = dict(self._db.execute("SELECT name, value FROM counters"))
        return ActivityTotals(
            opportunities_total=counters.pop("opportunities", 0),
            txs_total={
                name.removeprefix("txs:"): value
                for name, value in sorted(counters.items())
                if name.startswith("txs:")
            },
        )

    def checkpoint(self, chain: str, depth: int = 128, dex: str | None = None) -> Checkpoint | None:
        """The newest block of ``chain`` that its blocks and every DEX in step have recorded.

        A DEX is left out when its record has a gap, when its block is not
        on the recorded branch, or when it is more than ``depth`` blocks
        behind the newest recorded block (a DEX no longer configured).
        With ``dex``, that DEX's own newest recorded block and its pools
        only (None if its record has a gap or is not on the branch).
        """
        db = self._db
        newest = db.execute(
            "SELECT number FROM blocks WHERE chain = ? ORDER BY number DESC LIMIT 1", (chain,)
        ).fetchone()
        if newest is None:
            return None
        cut: int = newest[0]
        dexes = []
        progress = db.execute(
            "SELECT p.dex, p.block_number FROM pool_progress p JOIN blocks b"
            " ON b.chain = p.chain AND b.number = p.block_number AND b.hash = p.block_hash"
            " WHERE p.chain = ? AND p.block_number >= ? AND p.dex = coalesce(?, p.dex)"
            " ORDER BY p.dex",
            (chain, -1 if dex is not None else cut - depth, dex),
        ).fetchall()
        if dex is not None and not progress:
            return None
        for name, number in progress:
            dexes.append(name)
            cut = min(cut, number)
        headers = self._headers(chain, cut, depth)
        pools = [
            PoolCheckpoint(pool=_pool(pool), block_number=number, state=_state(state))
            for name in dexes
            # SQLite takes the bare columns of a MAX() aggregate from the row holding the max.
            for pool, number, state in db.execute(
                "SELECT p.pool, s.number, s.state FROM pools p JOIN ("
                "SELECT address, MAX(block_number) AS number, state FROM pool_states"
                " WHERE chain = ? AND dex = ? AND block_number <= ? GROUP BY address) s"
                " ON p.address = s.address WHERE p.chain = ? AND p.dex = ?"
                " ORDER BY p.address",
                (chain, name, cut, chain, name),
            )
        ]
        in_flight = [
            _in_flight(record)
            for (record,) in db.execute("SELECT record FROM in_flight ORDER BY account, nonce")
        ]
        return Checkpoint(
            chain=chain,
            block_number=cut,
            block_hash=headers[-1].hash,
            headers=headers,
            dexes=dexes,
            pools=pools,
            in_flight=in_flight,
        )

    def _headers(self, chain: str, top: int, depth: int) -> list[CheckpointHeader]:
        """The recorded blocks ending at ``top``, each the parent of the next, oldest first."""
        rows = self._db.execute(
            "SELECT number, hash, parent_hash FROM blocks WHERE chain = ? AND number <= ?"
            " ORDER BY number DESC LIMIT ?",
            (chain, top, depth),
        ).fetchall()
        headers = [CheckpointHeader(number=rows[0][0], hash=rows[0][1], parent_hash=rows[0][2])]
        for number, block_hash, parent_hash in rows[1:]:
            child = headers[-1]
            if number != child.number - 1 or block_hash != child.parent_hash:
                break  # a block was never recorded: the window starts above it
            headers.append(
                CheckpointHeader(number=number, hash=block_hash, parent_hash=parent_hash)
            )
        headers.reverse()
        return headers

    # -- retention ------------------------------------------------------------

    def prune(self, retention: Retention, now: float) -> int:
        """Delete history older than ``retention`` allows; return the rows deleted.

        Each chunk of at most a few thousand rows is its own transaction.
        Kept whatever the age: the newest ``retention.blocks`` blocks per
        chain, each pool's newest state below them, and the transactions in
        flight.
        """
        deleted = 0
        for table in _HISTORY:
            deleted += self._prune_history(table, now - retention.max_age, retention.max_rows)
        chains = self._db.execute("SELECT chain, MAX(number) FROM blocks GROUP BY chain")
        for chain, newest in chains.fetchall():
            deleted += self._prune_chain(chain, newest - retention.blocks)
        return deleted

    def _prune_history(self, table: str, before: float, max_rows: int) -> int:
        db = self._db
        row = db.execute(
            f"SELECT seq FROM {table} ORDER BY seq DESC LIMIT 1 OFFSET ?",  # noqa: S608 - fixed names
            (max_rows,),
        ).fetchone()
        over = 0 if row is None else row[0]
        deleted = 0
        while True:
            # Rows are appended in time order, so the oldest chunk by seq holds the expired ones.
            (expired,) = db.execute(
                f"SELECT MAX(seq) FROM (SELECT seq, recorded_at FROM {table}"  # noqa: S608
                " ORDER BY seq LIMIT ?) WHERE recorded_at < ?",
                (_PRUNE_CHUNK, before),
            ).fetchone()
            upto = max(over, expired or 0)
            if not upto:
                return deleted
            with self._transaction():
                count = db.execute(
                    f"DELETE FROM {table} WHERE seq IN"  # noqa: S608
                    f" (SELECT seq FROM {table} WHERE seq <= ? ORDER BY seq LIMIT ?)",
                    (upto, _PRUNE_CHUNK),
                ).rowcount
            deleted += count
            if count < _PRUNE_CHUNK:
                return deleted

    def _prune_chain(self, chain: str, below: int) -> int:
        db = self._db
        (oldest,) = db.execute(
            "SELECT MIN(number) FROM blocks WHERE chain = ?", (chain,)
        ).fetchone()
        if oldest is None or oldest >= below:
            return 0
        # At most a chunk's worth of blocks per run: the next run goes on.
        below = min(below, oldest + _PRUNE_CHUNK)
        with self._transaction():
            blocks = db.execute(
                "DELETE FROM blocks WHERE chain = ? AND number < ?", (chain, below)
            ).rowcount
            states = db.execute(
                "DELETE FROM pool_states AS old WHERE chain = ? AND block_number < ? AND EXISTS"
                " (SELECT 1 FROM pool_states AS new WHERE new.chain = old.chain"
                " AND new.dex = old.dex AND new.address = old.address"
                " AND new.block_number > old.block_number AND new.block_number <= ?)",
                (chain, below, below),
            ).rowcount
        return blocks + states

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


def _chunk_sizes(count: int) -> list[int]:
    """``count`` rows as statements of `_CHUNK` rows, then powers of two (few SQL texts)."""
    sizes = [_CHUNK] * (count // _CHUNK)
    rest = count % _CHUNK
    sizes += [1 << bit for bit in reversed(range(rest.bit_length())) if rest >> bit & 1]
    return sizes


@functools.cache
def _upsert_opportunities(rows: int) -> str:
    """One statement for ``rows`` opportunities.

    Few statements, not ``executemany``: the sqlite3 module lets go of the GIL
    around every step and takes it back, which is slow while the event loop's
    thread is busy (`benchmarks/bank.py`, ``group_commit``).
    """
    return (
        "INSERT INTO opportunities (id, block, status, record, recorded_at) VALUES "  # noqa: S608 - placeholders only
        + ", ".join(["(?, ?, ?, ?, ?)"] * rows)
        + " ON CONFLICT (id) DO UPDATE SET status = excluded.status, record = excluded.record"
    )


class _Transaction:
    """``with``: BEGIN IMMEDIATE, then COMMIT, or ROLLBACK on an error."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self._db.execute("COMMIT")
        elif self._db.in_transaction:
            self._db.execute("ROLLBACK")
