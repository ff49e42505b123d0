"""`Store`: writes, reads, checkpoints and retention on a real SQLite file, without a loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import pytest

from actors.bank import ForeignDatabase, Retention, Store
from messages.bank import (
    PoolCheckpoint,
    PoolRecord,
    RecordActorEvent,
    RecordBlock,
    RecordConfigChange,
    RecordPoolStates,
    RecordTx,
)
from messages.market import V2State
from messages.tx import InFlightTx, SentTx, TxRecord, TxRequest
from runtime import ConfigError
from tests.actors.bank.conftest import (
    BIG,
    CHAIN,
    block,
    block_hash,
    opportunity,
    pool,
    states,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from messages.bank import BankWrite, Checkpoint

NOW = 1_800_000_000.0
ACCOUNT = "0x" + "ab" * 20


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = Store.open(db_path)
    yield opened
    opened.close()


def commit(store: Store, *writes: BankWrite, now: float = NOW) -> None:
    _, rejected = store.commit(writes, now)
    assert not rejected


def chain_of(store: Store, upto: int, start: int = 1) -> None:
    commit(store, *(block(n) for n in range(start, upto + 1)))


def reserves(checkpoint: Checkpoint) -> dict[str, int]:
    return {
        p.pool.address: p.state.reserve0 for p in checkpoint.pools if isinstance(p.state, V2State)
    }


def tx(nonce: int, status: str = "pending", tx_hash: str | None = None) -> TxRecord:
    return TxRecord(
        hash=tx_hash or f"0x{nonce:064x}",
        account=ACCOUNT,
        nonce=nonce,
        status=status,  # type: ignore[arg-type]
        block=None if status == "pending" else 9,
    )


def in_flight(record: TxRecord) -> InFlightTx:
    request = TxRequest(to=ACCOUNT, gas=21_000)
    return InFlightTx(
        account=record.account,
        nonce=record.nonce,
        attempts=[SentTx(record=record, raw="0x02f8", request=request)],
    )


# -- records and reads ------------------------------------------------------------


def test_opportunities_come_back_newest_first_with_amounts_beyond_64_bits_exact(
    store: Store,
) -> None:
    commit(store, *(opportunity(f"o{n}") for n in range(5)))
    found = store.opportunities(3)
    assert [o.id for o in found] == ["o4", "o3", "o2"]
    assert found[0].amount_in == BIG
    assert found[0].amount_out == BIG + 1


def test_an_opportunity_recorded_again_changes_status_in_place_and_counts_once(
    store: Store,
) -> None:
    commit(store, opportunity("o1"), opportunity("o2"))
    commit(store, opportunity("o1", status="executed"))
    assert [(o.id, o.status) for o in store.opportunities(10)] == [
        ("o2", "new"),
        ("o1", "executed"),
    ]
    assert store.totals().opportunities_total == 2


def test_a_batch_of_many_opportunities_with_repeats_keeps_the_last_status_and_counts_each_once(
    store: Store,
) -> None:
    fresh = [opportunity(f"o{n}") for n in range(300)]
    repeated = [opportunity(f"o{n}", status="stale") for n in range(0, 300, 7)]
    commit(store, *fresh[:150], *repeated, *fresh[150:], opportunity("o1", status="executed"))
    statuses = {o.id: o.status for o in store.opportunities(1000)}
    assert len(statuses) == 300
    assert statuses["o1"] == "executed"
    assert statuses["o7"] == "stale"
    assert statuses["o8"] == "new"
    assert store.totals().opportunities_total == 300


def test_a_transaction_keeps_its_latest_status_and_each_status_is_counted_once(
    store: Store,
) -> None:
    pending = tx(0)
    commit(store, RecordTx(record=pending, in_flight=in_flight(pending)))
    commit(store, RecordTx(record=pending, in_flight=in_flight(pending)))
    commit(store, RecordTx(record=tx(0, "mined"), in_flight=None))
    assert [(r.hash, r.status) for r in store.txs(10)] == [(pending.hash, "mined")]
    assert store.totals().txs_total == {"mined": 1, "pending": 1}


def test_actor_events_and_config_changes_are_recorded(store: Store, db_path: Path) -> None:
    commit(
        store,
        RecordActorEvent(path="/app/x", actor="X", event="failed", error="boom", at=NOW),
        RecordConfigChange(path="/app/x", name="min_profit_wei", value="10", at=NOW),
    )
    check = Store.open(db_path)
    rows = check._db.execute("SELECT path, event, error FROM actor_events").fetchall()
    changes = check._db.execute("SELECT name, value FROM config_changes").fetchall()
    check.close()
    assert rows == [("/app/x", "failed", "boom")]
    assert changes == [("min_profit_wei", "10")]


def test_a_write_sqlite_refuses_is_left_out_and_the_rest_of_its_batch_committed(
    store: Store,
) -> None:
    too_big = RecordBlock(chain=CHAIN, number=2**70, hash="0x1", parent_hash="0x0", timestamp=0)
    rows, rejected = store.commit([block(1), too_big, block(2)], NOW)
    assert rows == 2
    assert list(rejected) == [1]
    assert "too large" in rejected[1]
    assert [b.number for b in store.blocks(CHAIN, 10)] == [2, 1]


def test_recording_a_block_again_forgets_the_blocks_above_it(store: Store) -> None:
    chain_of(store, 5)
    commit(store, block(4, branch="b", parent_branch="a"))
    assert [(b.number, b.hash) for b in store.blocks(CHAIN, 10)] == [
        (4, block_hash(4, "b")),
        (3, block_hash(3)),
        (2, block_hash(2)),
        (1, block_hash(1)),
    ]


def test_recording_the_same_block_again_keeps_the_blocks_above_it(store: Store) -> None:
    chain_of(store, 5)
    commit(store, block(3))  # a replay after a restore from block 2
    assert [b.number for b in store.blocks(CHAIN, 10)] == [5, 4, 3, 2, 1]


# -- checkpoints ------------------------------------------------------------------------


def test_a_dexs_own_checkpoint_is_its_newest_block_on_the_branch_with_its_pools_only(
    store: Store,
) -> None:
    chain_of(store, 6)
    commit(
        store,
        states(3, {"0xp1": 103}, complete=True),
        states(4, {"0xp1": 104}),
        states(5, {}),
        states(2, {"0xq1": 202}, dex="uniswap_v2_b", complete=True),
    )
    own = store.checkpoint(CHAIN, dex="uniswap_v2_a")
    assert own is not None
    assert (own.block_number, own.dexes, reserves(own)) == (5, ["uniswap_v2_a"], {"0xp1": 104})
    shared = store.checkpoint(CHAIN)
    assert shared is not None
    assert shared.block_number == 2
    assert store.checkpoint(CHAIN, dex="uniswap_v3") is None


def test_there_is_no_checkpoint_before_a_block_is_recorded(store: Store) -> None:
    assert store.checkpoint(CHAIN) is None


def test_without_watchers_the_checkpoint_is_the_newest_block_with_its_header_chain(
    store: Store,
) -> None:
    chain_of(store, 10)
    checkpoint = store.checkpoint(CHAIN, depth=4)
    assert checkpoint is not None
    assert (checkpoint.block_number, checkpoint.block_hash) == (10, block_hash(10))
    assert [h.number for h in checkpoint.headers] == [7, 8, 9, 10]
    assert all(
        child.parent_hash == parent.hash
        for parent, child in zip(checkpoint.headers, checkpoint.headers[1:], strict=False)
    )
    assert checkpoint.dexes == []


def test_the_checkpoint_is_the_newest_block_every_dex_has_recorded_with_pools_as_of_it(
    store: Store,
) -> None:
    chain_of(store, 6)
    commit(
        store,
        states(3, {"0xp1": 100, "0xp2": 200}, complete=True),
        states(4, {"0xp1": 101}),
        states(5, {}),
        states(3, {"0xq1": 300}, dex="uniswap_v3_b", complete=True),
        states(4, {"0xq1": 301}, dex="uniswap_v3_b"),
        states(5, {"0xp2": 202}),
        states(6, {"0xp1": 103}),
    )
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert checkpoint.block_number == 4  # uniswap_v3_b has got no further
    assert checkpoint.dexes == ["uniswap_v2_a", "uniswap_v3_b"]
    assert reserves(checkpoint) == {"0xp1": 101, "0xp2": 200, "0xq1": 301}
    assert checkpoint.pools[0] == PoolCheckpoint(
        pool=pool("0xp1"), block_number=4, state=V2State(reserve0=101, reserve1=1)
    )


def test_a_dex_whose_records_skip_a_block_is_left_out_until_its_next_complete_record(
    store: Store,
) -> None:
    chain_of(store, 8)
    commit(store, states(3, {"0xp1": 100}, complete=True), states(5, {"0xp1": 105}))
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert (checkpoint.block_number, checkpoint.dexes, checkpoint.pools) == (8, [], [])
    commit(store, states(6, {"0xp1": 106}))  # still no complete record: still out
    assert store.checkpoint(CHAIN).dexes == []  # type: ignore[union-attr]
    commit(store, states(7, {"0xp1": 107, "0xp2": 207}, complete=True))
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert checkpoint.block_number == 7
    assert reserves(checkpoint) == {"0xp1": 107, "0xp2": 207}


def test_a_dex_that_never_sent_a_complete_record_is_left_out(store: Store) -> None:
    chain_of(store, 4)
    commit(store, states(3, {"0xp1": 100}), states(4, {"0xp1": 101}))
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert checkpoint.block_number == 4
    assert checkpoint.dexes == []


def test_a_reorg_below_the_checkpoint_moves_it_back_to_the_ancestor(store: Store) -> None:
    chain_of(store, 6)
    commit(
        store,
        states(2, {"0xp1": 100, "0xp2": 200, "0xp3": 300}, complete=True),
        states(3, {"0xp1": 103, "0xp3": 303}),
        states(4, {"0xp2": 204}),
        states(5, {"0xp1": 105}),
        states(6, {}),
    )
    # The chain switches branches above block 3: the chain client records
    # block 4 of the new branch, the watcher rolls back to 3, putting back
    # the pools the orphaned blocks changed (not 0xp3, last changed in 3).
    commit(
        store,
        block(4, branch="b", parent_branch="a"),
        states(3, {"0xp1": 103, "0xp2": 200}, rewound=True),
    )
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert (checkpoint.block_number, checkpoint.block_hash) == (3, block_hash(3))
    assert reserves(checkpoint) == {"0xp1": 103, "0xp2": 200, "0xp3": 303}
    commit(store, states(4, {"0xp2": 999}, branch="b"))
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert (checkpoint.block_number, checkpoint.block_hash) == (4, block_hash(4, "b"))
    assert reserves(checkpoint) == {"0xp1": 103, "0xp2": 999, "0xp3": 303}


def test_a_dex_on_a_block_the_chain_no_longer_has_is_left_out(store: Store) -> None:
    chain_of(store, 5)
    commit(store, states(5, {"0xp1": 100}, complete=True))
    commit(store, block(5, branch="b", parent_branch="a"))  # the watcher has not heard yet
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert (checkpoint.block_hash, checkpoint.dexes) == (block_hash(5, "b"), [])


def test_a_dex_far_behind_the_chain_is_left_out_rather_than_holding_the_checkpoint_back(
    store: Store,
) -> None:
    chain_of(store, 20)
    commit(
        store,
        states(2, {"0xp1": 100}, complete=True, dex="removed"),
        states(18, {"0xq1": 100}, complete=True),
    )
    checkpoint = store.checkpoint(CHAIN, depth=8)
    assert checkpoint is not None
    assert (checkpoint.block_number, checkpoint.dexes) == (18, ["uniswap_v2_a"])


def test_a_block_never_recorded_shortens_the_header_chain_to_the_blocks_above_it(
    store: Store,
) -> None:
    chain_of(store, 4)
    chain_of(store, 9, start=6)
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert [h.number for h in checkpoint.headers] == [6, 7, 8, 9]


def test_a_replayed_block_after_a_restore_replaces_what_was_recorded_above_the_checkpoint(
    store: Store,
) -> None:
    chain_of(store, 5)
    commit(store, states(3, {"0xp1": 100}, complete=True), states(4, {"0xp1": 104}))
    # Restored at 4; block 5 was recorded by the chain but not by the watcher. On
    # replay both record 5 again, and the watcher's block 5 follows its block 4.
    commit(store, block(5), states(5, {"0xp1": 105}))
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert (checkpoint.block_number, reserves(checkpoint)) == (5, {"0xp1": 105})


def test_the_checkpoint_holds_the_transactions_in_flight_and_forgets_settled_ones(
    store: Store,
) -> None:
    chain_of(store, 2)
    first, second = tx(0), tx(1)
    commit(
        store,
        RecordTx(record=first, in_flight=in_flight(first)),
        RecordTx(record=second, in_flight=in_flight(second)),
    )
    commit(store, RecordTx(record=tx(0, "mined"), in_flight=None))
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert checkpoint.in_flight == [in_flight(second)]


# -- retention ------------------------------------------------------------------------


def test_history_beyond_max_rows_is_pruned_oldest_first(store: Store) -> None:
    commit(store, *(opportunity(f"o{n}") for n in range(50)))
    deleted = store.prune(Retention(max_rows=20), NOW)
    assert deleted == 30
    assert [o.id for o in store.opportunities(100)] == [f"o{n}" for n in range(49, 29, -1)]


def test_history_older_than_max_age_is_pruned_and_younger_history_kept(store: Store) -> None:
    commit(store, *(opportunity(f"old{n}") for n in range(10)), now=NOW - 7200)
    commit(store, *(opportunity(f"new{n}") for n in range(5)), now=NOW)
    store.prune(Retention(max_age=3600), NOW)
    assert sorted(o.id for o in store.opportunities(100)) == [f"new{n}" for n in range(5)]


def test_pruning_does_not_lower_the_totals(store: Store) -> None:
    commit(store, *(opportunity(f"o{n}") for n in range(10)))
    store.prune(Retention(max_rows=1), NOW)
    assert store.totals().opportunities_total == 10


def test_pruning_keeps_what_the_checkpoint_needs(store: Store) -> None:
    chain_of(store, 60)
    commit(store, states(1, {"0xp1": 1, "0xp2": 2, "0xp3": 3}, complete=True))
    commit(store, *(states(n, {f"0xp{n % 2 + 1}": n}) for n in range(2, 60)))
    before = store.checkpoint(CHAIN, depth=8)
    store.prune(Retention(blocks=10), NOW)
    after = store.checkpoint(CHAIN, depth=8)
    assert after == before
    assert before is not None
    assert reserves(before) == {"0xp1": 58, "0xp2": 59, "0xp3": 3}
    assert [b.number for b in store.blocks(CHAIN, 100)] == list(range(60, 49, -1))
    (kept,) = store._db.execute("SELECT COUNT(*) FROM pool_states").fetchone()
    assert kept <= 3 + 10


def test_the_file_stops_growing_when_retention_prunes_as_much_as_is_written(
    store: Store, db_path: Path
) -> None:
    retention = Retention(max_rows=500, blocks=200)
    sizes = []
    for round_number in range(12):
        base = round_number * 500
        commit(store, *(opportunity(f"o{base + n}") for n in range(500)))
        chain_of(store, base + 500, start=base + 1)
        store.prune(retention, NOW)
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes.append(db_path.stat().st_size)
    assert sizes[-1] <= sizes[3] * 1.1, sizes


@pytest.mark.parametrize("limits", [{"max_age": 0}, {"max_rows": 0}, {"blocks": 0}])
def test_retention_that_would_keep_nothing_is_refused_naming_the_key(
    limits: dict[str, float],
) -> None:
    (key,) = limits
    with pytest.raises(ConfigError, match=rf"\[bank\] retention_{key} = 0 must keep something"):
        Retention(**limits)  # type: ignore[arg-type]


def test_a_record_reads_back_as_the_same_struct(store: Store) -> None:
    record = opportunity("o1").opportunity
    commit(store, opportunity("o1"))
    assert msgspec.json.encode(store.opportunities(1)[0]) == msgspec.json.encode(record)


def test_a_check_of_the_whole_file_finds_a_damaged_page_the_first_page_does_not_show(
    db_path: Path,
) -> None:
    store = Store.open(db_path)
    commit(store, *(opportunity(f"o{n}") for n in range(300)))
    store.close()
    raw = bytearray(db_path.read_bytes())
    raw[-4096:] = b"\x5a" * 4096
    db_path.write_bytes(bytes(raw))
    damaged = Store.open(db_path)
    try:
        with pytest.raises(ForeignDatabase, match="is corrupt"):
            damaged.check()
    finally:
        damaged.close()


def test_a_pool_first_seen_in_a_batch_with_a_rejected_write_is_still_described(
    store: Store,
) -> None:
    chain_of(store, 3)
    too_big = RecordBlock(chain=CHAIN, number=2**70, hash="0x1", parent_hash="0x0", timestamp=0)
    _, rejected = store.commit([states(3, {"0xp9": 9}, complete=True), too_big], NOW)
    assert list(rejected) == [1]
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert reserves(checkpoint) == {"0xp9": 9}


def test_a_pool_whose_description_changes_is_described_anew(store: Store) -> None:
    chain_of(store, 4)
    commit(store, states(3, {"0xp1": 1}, complete=True))
    moved = msgspec.structs.replace(pool("0xp1"), fee=500)
    commit(
        store,
        RecordPoolStates(
            chain=CHAIN,
            dex="uniswap_v2_a",
            block_number=4,
            block_hash=block_hash(4),
            states=[PoolRecord(pool=moved, state=V2State(reserve0=2, reserve1=1))],
        ),
    )
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert [p.pool.fee for p in checkpoint.pools] == [500]


def test_a_pool_left_out_of_a_complete_record_drops_out_of_the_checkpoint(store: Store) -> None:
    chain_of(store, 5)
    commit(store, states(3, {"0xp1": 1, "0xp2": 2}, complete=True), states(4, {"0xp2": 4}))
    commit(store, states(5, {"0xp2": 5, "0xp3": 3}, complete=True))
    checkpoint = store.checkpoint(CHAIN)
    assert checkpoint is not None
    assert reserves(checkpoint) == {"0xp2": 5, "0xp3": 3}
