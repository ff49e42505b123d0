"""The bank's database: what a file must be before it is used, and the schema's migrations.

A file is used only if it is absent or empty (a new database is created),
or is an SQLite database that arbiter created (its ``application_id``) at a
schema version this arbiter knows; it is then migrated forward, one version
per transaction. Anything else raises `ForeignDatabase` and the file is left
exactly as it was: checks only read, and nothing is written before they pass.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Literal

from actors.bank._exceptions import ForeignDatabase

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Synchronous",
    "corrupt",
    "is_corrupt",
    "migrate",
    "open_database",
]

APPLICATION_ID = 0x41524249
"""``ARBI``: written in the SQLite header of every database arbiter creates."""

_SQLITE_HEADER = b"SQLite format 3\x00"
_LEAVE_IT = "arbiter leaves it alone: move it away or set [bank] path to another file"
# The WAL is truncated back to this size after a checkpoint, so it does not
# keep the size of the largest burst of writes.
_JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

Synchronous = Literal["full", "normal"]

_V1 = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "INSERT INTO schema_version (version) VALUES (0)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE blocks (
        chain TEXT NOT NULL, number INTEGER NOT NULL, hash TEXT NOT NULL,
        parent_hash TEXT NOT NULL, timestamp INTEGER NOT NULL, recorded_at REAL NOT NULL,
        PRIMARY KEY (chain, number)) WITHOUT ROWID""",
    """CREATE TABLE pools (
        chain TEXT NOT NULL, dex TEXT NOT NULL, address TEXT NOT NULL, pool BLOB NOT NULL,
        PRIMARY KEY (chain, dex, address)) WITHOUT ROWID""",
    """CREATE TABLE pool_states (
        chain TEXT NOT NULL, dex TEXT NOT NULL, address TEXT NOT NULL,
        block_number INTEGER NOT NULL, block_hash TEXT NOT NULL,
        state BLOB NOT NULL, recorded_at REAL NOT NULL,
        PRIMARY KEY (chain, dex, address, block_number)) WITHOUT ROWID""",
    # A DEX's rows above a block are forgotten at every record: by block, not by pool.
    "CREATE INDEX pool_states_by_block ON pool_states (chain, dex, block_number)",
    """CREATE TABLE pool_progress (
        chain TEXT NOT NULL, dex TEXT NOT NULL, block_number INTEGER, block_hash TEXT,
        PRIMARY KEY (chain, dex)) WITHOUT ROWID""",
    """CREATE TABLE opportunities (
        seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, block INTEGER NOT NULL,
        status TEXT NOT NULL, record BLOB NOT NULL, recorded_at REAL NOT NULL)""",
    """CREATE TABLE txs (
        seq INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, account TEXT NOT NULL,
        nonce INTEGER NOT NULL, status TEXT NOT NULL, record BLOB NOT NULL,
        recorded_at REAL NOT NULL)""",
    """CREATE TABLE in_flight (
        account TEXT NOT NULL, nonce INTEGER NOT NULL, record BLOB NOT NULL,
        PRIMARY KEY (account, nonce)) WITHOUT ROWID""",
)

# Version 2: history (status changes, actor events, config changes) and
# counters that pruning does not lower, started from what version 1 holds.
_V2 = (
    """CREATE TABLE tx_events (
        seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, status TEXT NOT NULL, block INTEGER,
        recorded_at REAL NOT NULL)""",
    """CREATE TABLE actor_events (
        seq INTEGER PRIMARY KEY, path TEXT NOT NULL, actor TEXT NOT NULL, event TEXT NOT NULL,
        error TEXT, at REAL NOT NULL, recorded_at REAL NOT NULL)""",
    """CREATE TABLE config_changes (
        seq INTEGER PRIMARY KEY, path TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
        at REAL NOT NULL, recorded_at REAL NOT NULL)""",
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT INTO counters (name, value) SELECT 'opportunities', COUNT(*) FROM opportunities",
    """INSERT INTO counters (name, value)
        SELECT 'txs:' || status, COUNT(*) FROM txs GROUP BY status""",
    """INSERT INTO tx_events (hash, status, block, recorded_at)
        SELECT hash, status, NULL, recorded_at FROM txs ORDER BY seq""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
"""Statements that take the schema from version ``i`` to ``i + 1`` (index ``i``)."""

SCHEMA_VERSION = len(MIGRATIONS)


def open_database(
    path: Path,
    *,
    synchronous: Synchronous = "full",
    busy_timeout: float = 5.0,
    upto: int = SCHEMA_VERSION,
) -> tuple[sqlite3.Connection, int]:
    """Open the bank's database at ``path``, creating or migrating it; blocking.

    Args:
        path: the database file; it and its directory are created if absent.
        synchronous: SQLite's ``synchronous`` in WAL mode (see `Store`).
        busy_timeout: seconds to wait for a lock held by another process.
        upto: the schema version to migrate to (older ones only in tests).

    Returns:
        The connection (autocommit: transactions are explicit) and its schema version.

    Raises:
        ForeignDatabase: the file is not arbiter's database, is corrupt, or is
            of a newer schema; it was not modified.
        sqlite3.Error: the file could not be opened or migrated (no such
            directory, read-only, disk full).
        OSError: its directory could not be created.
    """
    _check_header(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)
    try:
        version = _identify(connection, path)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={synchronous.upper()}")
        connection.execute(f"PRAGMA journal_size_limit={_JOURNAL_SIZE_LIMIT}")
        version = migrate(connection, version, upto)
    except sqlite3.DatabaseError as exc:
        connection.close()
        if is_corrupt(exc):
            raise corrupt(path, str(exc)) from exc
        raise
    except BaseException:
        connection.close()
        raise
    return connection, version


def migrate(connection: sqlite3.Connection, version: int, upto: int = SCHEMA_VERSION) -> int:
    """Apply the migrations after ``version`` up to ``upto``, each in its own transaction.

    Returns:
        The schema version now.
    """
    for index in range(version, upto):
        connection.execute("BEGIN IMMEDIATE")
        try:
            if index == 0:
                connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
            for statement in MIGRATIONS[index]:
                connection.execute(statement)
            connection.execute("UPDATE schema_version SET version = ?", (index + 1,))
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    return max(version, upto)


def is_corrupt(error: BaseException | None) -> bool:
    """Whether ``error`` says the file itself is damaged (not the disk under it)."""
    return isinstance(error, sqlite3.Error) and error.sqlite_errorname in {
        "SQLITE_CORRUPT",
        "SQLITE_NOTADB",
    }


def corrupt(path: Path, detail: str) -> ForeignDatabase:
    """The error for a damaged database at ``path``."""
    return ForeignDatabase(f"{path} is corrupt ({detail}); {_LEAVE_IT}")


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except IsADirectoryError as exc:
        raise ForeignDatabase(f"{path} is a directory, not a database; {_LEAVE_IT}") from exc
    if head and head != _SQLITE_HEADER:
        raise ForeignDatabase(f"{path} is not an SQLite database; {_LEAVE_IT}")


def _identify(connection: sqlite3.Connection, path: Path) -> int:
    """The schema version of arbiter's database at ``path``; 0 for a new, empty one."""
    (application_id,) = connection.execute("PRAGMA application_id").fetchone()
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
    ]
    if application_id == 0 and not tables:
        return 0
    if application_id != APPLICATION_ID:
        listed = ", ".join(tables[:8]) + (", ..." if len(tables) > 8 else "")
        raise ForeignDatabase(
            f"{path} is the SQLite database of another application "
            f"(tables: {listed or 'none'}); {_LEAVE_IT}"
        )
    try:
        row = connection.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.OperationalError as exc:
        raise ForeignDatabase(f"{path} has no schema version ({exc}); {_LEAVE_IT}") from exc
    if row is None:
        raise ForeignDatabase(f"{path} has an empty schema version table; {_LEAVE_IT}")
    version = int(row[0])
    if version > SCHEMA_VERSION:
        raise ForeignDatabase(
            f"{path} has schema version {version}, newer than this arbiter's "
            f"{SCHEMA_VERSION}: it was written by a newer arbiter; upgrade arbiter or "
            "set [bank] path to another file"
        )
    return version
