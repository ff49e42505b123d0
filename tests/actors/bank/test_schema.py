"""Which files the bank uses, and how their schema is migrated; real SQLite files."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import msgspec
import pytest

from actors.bank import APPLICATION_ID, SCHEMA_VERSION, ForeignDatabase, Store, open_database
from tests.actors.bank.conftest import opportunity

if TYPE_CHECKING:
    from pathlib import Path


def test_a_missing_file_becomes_a_new_database_at_the_current_version_in_wal_mode(
    db_path: Path,
) -> None:
    connection, version = open_database(db_path)
    try:
        assert version == SCHEMA_VERSION
        assert connection.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        assert connection.execute("SELECT version FROM schema_version").fetchall() == [
            (SCHEMA_VERSION,)
        ]
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        connection.close()


def test_synchronous_is_full_unless_normal_is_asked_for(db_path: Path) -> None:
    full, _ = open_database(db_path)
    assert full.execute("PRAGMA synchronous").fetchone() == (2,)
    full.close()
    normal, _ = open_database(db_path, synchronous="normal")
    assert normal.execute("PRAGMA synchronous").fetchone() == (1,)
    normal.close()


def test_an_empty_file_becomes_a_new_database(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.touch()
    connection, version = open_database(db_path)
    connection.close()
    assert version == SCHEMA_VERSION


def test_a_version_1_database_is_migrated_to_the_current_version_and_keeps_its_rows(
    db_path: Path,
) -> None:
    connection, version = open_database(db_path, upto=1)
    assert version == 1
    with connection:
        connection.execute(
            "INSERT INTO txs (hash, account, nonce, status, record, recorded_at)"
            " VALUES ('0xt1', '0xacc', 0, 'mined', ?, 1.0),"
            " ('0xt2', '0xacc', 1, 'pending', ?, 2.0)",
            (b"{}", b"{}"),
        )
        for n in range(3):
            record = opportunity(f"o{n}").opportunity
            connection.execute(
                "INSERT INTO opportunities (id, block, status, record, recorded_at)"
                " VALUES (?, 7, 'new', ?, 1.0)",
                (record.id, msgspec.json.encode(record)),
            )
    connection.close()

    store = Store.open(db_path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert [o.id for o in store.opportunities(10)] == ["o2", "o1", "o0"]
        totals = store.totals()
        assert totals.opportunities_total == 3
        assert totals.txs_total == {"mined": 1, "pending": 1}
    finally:
        store.close()
    check = sqlite3.connect(db_path)
    assert check.execute("SELECT hash, status FROM tx_events ORDER BY seq").fetchall() == [
        ("0xt1", "mined"),
        ("0xt2", "pending"),
    ]
    check.close()


def test_opening_again_at_the_current_version_changes_nothing(db_path: Path) -> None:
    Store.open(db_path).close()
    store = Store.open(db_path)
    store.close()
    assert store.schema_version == SCHEMA_VERSION


def test_a_file_that_is_not_sqlite_is_refused_by_name_and_left_as_it_was(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    content = b"my notes, not a database\n" * 100
    db_path.write_bytes(content)
    with pytest.raises(ForeignDatabase, match="is not an SQLite database") as raised:
        open_database(db_path)
    assert str(db_path) in str(raised.value)
    assert db_path.read_bytes() == content
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["bank.db"]


def test_another_applications_database_is_refused_naming_its_tables_and_left_as_it_was(
    db_path: Path,
) -> None:
    db_path.parent.mkdir(parents=True)
    other = sqlite3.connect(db_path)
    with other:
        other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
        other.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    other.close()
    content = db_path.read_bytes()
    with pytest.raises(ForeignDatabase, match=r"another application .*invoices") as raised:
        open_database(db_path)
    assert str(db_path) in str(raised.value)
    assert db_path.read_bytes() == content


def test_a_database_of_a_newer_schema_is_refused_and_left_as_it_was(db_path: Path) -> None:
    Store.open(db_path).close()
    newer = sqlite3.connect(db_path)
    with newer:
        newer.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    newer.close()
    content = db_path.read_bytes()
    with pytest.raises(ForeignDatabase, match=f"schema version {SCHEMA_VERSION + 1}, newer"):
        open_database(db_path)
    assert db_path.read_bytes() == content


def test_a_database_whose_schema_page_is_garbage_is_refused_as_corrupt(db_path: Path) -> None:
    Store.open(db_path).close()
    raw = bytearray(db_path.read_bytes())
    raw[100:4096] = b"\xa5" * (4096 - 100)  # page 1 after the header: sqlite_master
    db_path.write_bytes(bytes(raw))
    with pytest.raises(ForeignDatabase, match="is corrupt") as raised:
        open_database(db_path)
    assert str(db_path) in str(raised.value)
    assert db_path.read_bytes() == bytes(raw)


def test_a_directory_where_the_file_should_be_is_refused(db_path: Path) -> None:
    db_path.mkdir(parents=True)
    with pytest.raises(ForeignDatabase, match="is a directory"):
        open_database(db_path)
