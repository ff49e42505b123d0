"""The `Bank` actor on real SQLite files: group commit, receipts, failures, loop lag."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

import actors.bank._bank
from actors.bank import BankUnavailable, Retention, Store, write_durably
from messages.bank import (
    Checkpoint,
    LoadCheckpoint,
    QueryBlocks,
    QueryOpportunities,
    QueryTotals,
    QueryTxs,
)
from messages.chain import NewHead
from messages.control import Ping, Pong
from messages.tx import TxRecord, TxUpdated
from runtime import AskTimeout, ConfigError, ManualClock
from tests.actors.bank.conftest import (
    CHAIN,
    block,
    file_bytes,
    move_away,
    opportunity,
    read_only,
    resize_tmpfs,
    running_bank,
    states,
    tiny_tmpfs,
)
from tests.fixtures.waiting import eventually
from tests.runtime.support import turns

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from actors.bank import BankSettings, Receipt
    from tests.actors.bank.conftest import Running

pytestmark = pytest.mark.timeout(60)


def rows_in(path: Path, table: str) -> int:
    """Counted through a connection of the test's own, as another process would see it."""
    connection = sqlite3.connect(path)
    try:
        (count,) = connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # noqa: S608
    finally:
        connection.close()
    return int(count)


async def until_state(running: Running, state: str) -> None:
    async def reached() -> bool:
        return (await running.health()).state == state

    await eventually(reached, timeout=10)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"batch_rows": 0}, r"\[bank\] batch_rows = 0 is out of range"),
        ({"batch_interval": -1}, r"\[bank\] batch_interval = -1 is out of range"),
        ({"synchronous": "off"}, r"\[bank\] synchronous = 'off' is out of range"),
        ({"max_pending_rows": 10}, r"\[bank\] max_pending_rows = 10 is out of range"),
        (
            {"retention": Retention(blocks=100)},
            r"\[bank\] retention_blocks = 100 must be at least checkpoint_depth = 128",
        ),
    ],
)
def test_settings_out_of_range_are_refused_naming_the_key(
    settings: BankSettings, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        replace(settings, **change)


# -- group commit ---------------------------------------------------------------------


async def test_writes_wait_for_the_batch_interval_then_commit_in_one_transaction(
    settings: BankSettings, db_path: Path
) -> None:
    async with running_bank(settings, ManualClock(), batch_interval=0.01) as running:
        for number in range(1, 11):
            running.bank.tell(block(number))
        receipt: Receipt = await running.bank.ask(block(11))
        with pytest.raises(AskTimeout):
            await receipt.wait(0.2)
        assert rows_in(db_path, "blocks") == 0
        assert running.clock is not None
        running.clock.advance(0.01)
        await receipt.wait(5)
        health = await running.health()
        assert (health.commits_total, health.committed_rows_total) == (1, 11)
        assert health.pending_rows == 0
        assert rows_in(db_path, "blocks") == 11


class EarlyClock:
    """The loop's clock, but its timers fire a little early, as uvloop's may (1 ms resolution)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()

    def time(self) -> float:
        return self.loop.time()

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> Any:
        return self.loop.call_later(max(0.0, delay - 0.001), callback, *args)


async def test_a_flush_timer_that_fires_early_still_commits_its_batch(
    settings: BankSettings,
) -> None:
    async with running_bank(settings, EarlyClock(), batch_interval=0.05) as running:
        await write_durably(running.bank, block(1), timeout=5)


async def test_a_batch_is_committed_as_soon_as_it_holds_batch_rows_rows(
    settings: BankSettings,
) -> None:
    async with running_bank(settings, ManualClock(), batch_rows=100, batch_interval=1) as running:
        receipts: list[Receipt] = [await running.bank.ask(block(n)) for n in range(1, 251)]
        for receipt in receipts[:200]:
            await receipt.wait(5)
        with pytest.raises(AskTimeout):
            await receipts[200].wait(0.2)
        assert running.clock is not None
        running.clock.advance(1)
        await receipts[-1].wait(5)
        health = await running.health()
        assert (health.commits_total, health.committed_rows_total) == (3, 250)


async def test_with_one_row_per_batch_every_write_is_its_own_transaction(
    settings: BankSettings,
) -> None:
    async with running_bank(settings, batch_rows=1) as running:
        await asyncio.gather(*(write_durably(running.bank, block(n)) for n in range(1, 21)))
        assert (await running.health()).commits_total == 20


async def test_concurrent_asked_writes_share_transactions(settings: BankSettings) -> None:
    async with running_bank(settings) as running:
        await asyncio.gather(
            *(write_durably(running.bank, opportunity(f"o{n}")) for n in range(500))
        )
        health = await running.health()
        assert health.committed_rows_total == 500
        assert health.commits_total <= 50


async def test_an_acknowledged_write_is_in_the_file_when_its_receipt_completes(
    settings: BankSettings, db_path: Path
) -> None:
    async with running_bank(settings, ManualClock(), batch_rows=1) as running:
        await write_durably(running.bank, opportunity("o1"))
        assert rows_in(db_path, "opportunities") == 1


async def test_writes_beyond_max_pending_rows_are_refused_and_counted(
    settings: BankSettings,
) -> None:
    async with running_bank(
        settings, ManualClock(), batch_rows=5, max_pending_rows=5, batch_interval=1
    ) as running:
        for number in range(1, 8):
            running.bank.tell(block(number))  # 1-5 commit; 6 and 7 find 5 rows waiting
        refused: Receipt = await running.bank.ask(block(8))
        with pytest.raises(BankUnavailable, match="rows are waiting for their commit"):
            await refused.wait(5)
        assert (await running.health()).dropped_writes_total == 3


async def test_a_graceful_stop_commits_the_writes_it_holds(
    settings: BankSettings, db_path: Path
) -> None:
    async with running_bank(settings, ManualClock(), batch_interval=60) as running:
        for number in range(1, 11):
            running.bank.tell(block(number))
        assert (await running.health()).pending_rows == 10
    assert rows_in(db_path, "blocks") == 10


# -- what is recorded, and read back --------------------------------------------------


def head(number: int) -> NewHead:
    recorded = block(number)
    return NewHead(
        chain=CHAIN,
        number=number,
        hash=recorded.hash,
        parent_hash=recorded.parent_hash,
        timestamp=recorded.timestamp,
        base_fee=7,
        received_ns=0,
    )


async def test_heads_transactions_and_records_published_on_the_event_stream_are_recorded(
    settings: BankSettings,
) -> None:
    mined = TxRecord(hash="0x" + "11" * 32, account="0x" + "ab" * 20, nonce=0, status="mined")
    async with running_bank(settings) as running:
        events = running.system.events
        for number in range(1, 4):
            events.publish(head(number))
        events.publish(states(3, {"0xp1": 5}, complete=True))
        events.publish(TxUpdated(record=mined, in_flight=None))
        events.publish(opportunity("o1"))
        await write_durably(running.bank, opportunity("o2"))  # committed after all of the above

        blocks = await running.bank.ask(QueryBlocks(chain=CHAIN, limit=10))
        assert [b.number for b in blocks] == [3, 2, 1]
        assert await running.bank.ask(QueryTxs(limit=10)) == [mined]
        assert [o.id for o in await running.bank.ask(QueryOpportunities(limit=10))] == ["o2", "o1"]
        totals = await running.bank.ask(QueryTotals())
        assert (totals.opportunities_total, totals.txs_total) == (2, {"mined": 1})
        checkpoint: Checkpoint = await running.bank.ask(LoadCheckpoint(chain=CHAIN))
        assert (checkpoint.block_number, checkpoint.dexes) == (3, ["uniswap_v2_a"])


async def test_old_history_is_pruned_every_prune_interval(settings: BankSettings) -> None:
    async with running_bank(
        settings, ManualClock(), batch_rows=1, prune_interval=60, retention=Retention(max_rows=5)
    ) as running:
        for n in range(20):
            await write_durably(running.bank, opportunity(f"o{n}"))
        assert running.clock is not None
        running.clock.advance(60)

        async def pruned() -> bool:
            return (await running.health()).pruned_rows_total == 15

        await eventually(pruned, timeout=10)
        found = await running.bank.ask(QueryOpportunities(limit=100))
        assert [o.id for o in found] == [f"o{n}" for n in range(19, 14, -1)]


# -- files it must not use ------------------------------------------------------------------


def not_sqlite(path: Path) -> None:
    path.write_bytes(b"a spreadsheet, perhaps\n" * 64)


def another_application(path: Path) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    connection.close()


def newer_schema(path: Path) -> None:
    Store.open(path).close()
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE schema_version SET version = version + 1")
    connection.close()


def corrupt(path: Path) -> None:
    Store.open(path).close()
    raw = bytearray(path.read_bytes())
    raw[100:4096] = b"\xa5" * (4096 - 100)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (not_sqlite, "is not an SQLite database"),
        (another_application, "another application"),
        (newer_schema, "newer than this arbiter"),
        (corrupt, "is corrupt"),
    ],
)
async def test_a_file_the_bank_must_not_use_is_reported_by_name_and_never_touched(
    settings: BankSettings, db_path: Path, make: Callable[[Path], None], reason: str
) -> None:
    db_path.parent.mkdir(parents=True)
    make(db_path)
    content = file_bytes(db_path)
    async with running_bank(settings, ManualClock()) as running:
        health = await running.health()
        assert health.state == "unavailable"
        assert health.error is not None
        assert str(db_path) in health.error
        assert reason in health.error
        with pytest.raises(BankUnavailable, match=reason) as raised:
            await write_durably(running.bank, opportunity("o1"))
        assert str(db_path) in str(raised.value)
        assert await running.bank.ask(QueryOpportunities(limit=10)) == []
        assert await running.bank.ask(LoadCheckpoint(chain=CHAIN)) is None
        assert running.clock is not None
        running.clock.advance(settings.retry_interval)  # tries again, and leaves it alone again
        await turns()
        snapshot = running.system.snapshot()
        bank = next(actor for actor in snapshot if actor.path == "/bank")
        assert (bank.state, bank.restarts_total, bank.failed_total) == ("running", 0, 0)
    assert file_bytes(db_path) == content


async def test_once_the_foreign_file_is_moved_away_the_bank_starts_a_new_database(
    settings: BankSettings, db_path: Path
) -> None:
    db_path.parent.mkdir(parents=True)
    another_application(db_path)
    async with running_bank(settings, ManualClock(), batch_rows=1) as running:
        assert (await running.health()).state == "unavailable"
        theirs = move_away(db_path, "theirs.db")
        assert running.clock is not None
        running.clock.advance(settings.retry_interval)
        await until_state(running, "ok")
        await write_durably(running.bank, opportunity("o1"))
    assert rows_in(db_path, "opportunities") == 1
    assert rows_in(theirs, "invoices") == 0


def damage_every_page_but_the_first(path: Path) -> bytes:
    raw = bytearray(path.read_bytes())
    raw[4096:] = b"\x5a" * (len(raw) - 4096)
    path.write_bytes(bytes(raw))
    return bytes(raw)


async def test_damage_found_in_use_is_reported_and_the_file_is_never_written_again(
    settings: BankSettings, db_path: Path
) -> None:
    store = Store.open(db_path)
    store.commit([opportunity(f"o{n}") for n in range(200)], 1.0)
    store.close()
    damaged = damage_every_page_but_the_first(db_path)
    clock = ManualClock()
    async with running_bank(settings, clock, batch_rows=1) as running:
        # The first page is whole, so the file opens; the damage shows once it is used.
        assert await running.bank.ask(QueryOpportunities(limit=10)) == []
        health = await running.health()
        assert health.state == "unavailable"
        assert health.error is not None
        assert f"{db_path} is corrupt" in health.error
        clock.advance(settings.retry_interval)
        await turns()
        assert (await running.health()).state == "unavailable"
        with pytest.raises(BankUnavailable, match="is corrupt"):
            await write_durably(running.bank, opportunity("o-new"))
    assert file_bytes(db_path) == damaged


# -- a database that cannot be written ---------------------------------------------


async def test_a_read_only_database_is_reported_still_read_and_writes_are_refused(
    settings: BankSettings, db_path: Path
) -> None:
    async with running_bank(settings, batch_rows=1) as running:
        await write_durably(running.bank, opportunity("o1"))
    with read_only(db_path):
        async with running_bank(settings, ManualClock(), batch_rows=1) as running:
            health = await running.health()
            assert health.state == "failing"
            assert health.error is not None
            assert str(db_path) in health.error
            assert "readonly" in health.error
            assert [o.id for o in await running.bank.ask(QueryOpportunities(limit=10))] == ["o1"]
            with pytest.raises(BankUnavailable, match="readonly"):
                await write_durably(running.bank, opportunity("o2"))
            running.bank.tell(opportunity("o3"))
            assert (await running.health()).dropped_writes_total == 2
    assert rows_in(db_path, "opportunities") == 1


async def test_a_database_made_writable_again_is_written_after_the_next_retry(
    settings: BankSettings, db_path: Path
) -> None:
    Store.open(db_path).close()
    clock = ManualClock()
    with contextlib.ExitStack() as protection:
        protection.enter_context(read_only(db_path))
        async with running_bank(settings, clock, batch_rows=1) as running:
            assert (await running.health()).state == "failing"
            protection.close()
            clock.advance(settings.retry_interval)
            await until_state(running, "ok")
            await write_durably(running.bank, opportunity("o1"))
    assert rows_in(db_path, "opportunities") == 1


async def test_a_full_disk_is_reported_the_rest_keeps_running_and_writes_resume_with_room(
    settings: BankSettings, tmp_path: Path
) -> None:
    with tiny_tmpfs(tmp_path / "tiny", "256k") as directory:
        path = directory / "bank.db"
        clock = ManualClock()
        async with running_bank(settings, clock, path=path, batch_rows=1) as running:
            error, written = await fill(running)
            assert "full" in str(error)
            assert str(path) in str(error)
            health = await running.health()
            assert health.state == "failing"
            assert health.error is not None
            assert "full" in health.error
            assert await running.bank.ask(Ping(), timeout=5) == Pong(path="/bank")
            assert len(await running.bank.ask(QueryOpportunities(limit=1000))) == min(1000, written)
            running.bank.tell(opportunity("told"))
            assert (await running.health()).dropped_writes_total >= 2

            resize_tmpfs(directory, "8m")
            clock.advance(settings.retry_interval)
            await until_state(running, "ok")
            await write_durably(running.bank, opportunity("after"))
            assert (await running.bank.ask(QueryOpportunities(limit=1)))[0].id == "after"


async def fill(running: Running) -> tuple[BankUnavailable, int]:
    """Write until the disk is full: the error, and how many writes went in before it."""
    for written in range(100_000):
        try:
            await write_durably(running.bank, opportunity(f"o{written}-" + "x" * 200))
        except BankUnavailable as exc:
            return exc, written
    raise AssertionError("100,000 writes and the disk is not full")


# -- the loop ----------------------------------------------------------------------------


async def test_heavy_writing_commits_in_the_banks_thread_never_on_the_event_loop(
    settings: BankSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where, not how fast: the loop's lag while writing is `benchmarks/bank.py`'s
    # to measure (p99 about 1 ms); a timed assertion would flake on a busy machine.
    threads: set[str] = set()
    commit = actors.bank._bank._commit  # the one function every commit runs

    def recording(*args: Any) -> Any:
        threads.add(threading.current_thread().name)
        return commit(*args)

    monkeypatch.setattr(actors.bank._bank, "_commit", recording)
    async with running_bank(settings) as running:
        for burst in range(100):
            for n in range(500):
                running.bank.tell(opportunity(f"o{burst}-{n}"))
            await write_durably(running.bank, opportunity(f"acked-{burst}"), timeout=30)
        health = await running.health()
    assert health.committed_rows_total == 100 * 501
    assert threads
    assert all(name.startswith("arbiter-bank") for name in threads), threads
