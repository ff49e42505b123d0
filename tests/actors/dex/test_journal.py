"""The per-block journal: rollbacks restore the ancestor's states, within its depth, no deeper."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.dex import BlockOutOfOrder, ReorgTooDeep, StateJournal
from runtime import ArbiterError, ConfigError


def block_hash(number: int, branch: str = "a") -> str:
    return f"0x{branch}{number:063x}"


def test_a_rollback_returns_each_pool_s_state_before_the_first_orphaned_block() -> None:
    journal = StateJournal[int](depth=8, base_block=100)
    journal.record(101, block_hash(101), "pool_a", 1)
    journal.record(102, block_hash(102), "pool_a", 2)
    journal.record(102, block_hash(102), "pool_b", 20)
    journal.record(103, block_hash(103), "pool_a", 3)
    assert journal.rollback_to(101) == {"pool_a": 2, "pool_b": 20}
    assert journal.newest_block == 101


def test_within_a_block_the_first_record_of_a_pool_wins() -> None:
    journal = StateJournal[int](base_block=0)
    journal.record(1, block_hash(1), "pool", 10)
    journal.record(1, block_hash(1), "pool", 11)
    assert journal.rollback_to(0) == {"pool": 10}


def test_a_pool_unknown_before_the_orphaned_blocks_rolls_back_to_none() -> None:
    journal = StateJournal[int](base_block=0)
    journal.record(1, block_hash(1), "new_pool", None)
    assert journal.rollback_to(0) == {"new_pool": None}


def test_a_rollback_to_the_newest_block_or_above_changes_nothing() -> None:
    journal = StateJournal[int](base_block=0)
    journal.record(1, block_hash(1), "pool", 10)
    assert journal.rollback_to(1) == {}
    assert journal.rollback_to(5) == {}
    assert journal.rollback_to(0) == {"pool": 10}


def test_after_a_rollback_the_new_branch_records_the_same_numbers() -> None:
    journal = StateJournal[int](base_block=0)
    journal.record(1, block_hash(1), "pool", 10)
    journal.record(2, block_hash(2), "pool", 11)
    journal.rollback_to(1)
    journal.record(2, block_hash(2, "b"), "pool", 11)
    assert journal.rollback_to(1) == {"pool": 11}


def test_a_reorg_deeper_than_the_depth_raises_reorg_too_deep_and_keeps_the_journal() -> None:
    journal = StateJournal[int](depth=3, base_block=0)
    for number in range(1, 11):
        journal.record(number, block_hash(number), "pool", number)
    assert journal.oldest_undoable == 7
    with pytest.raises(ReorgTooDeep) as raised:
        journal.rollback_to(6)
    assert (raised.value.ancestor_number, raised.value.oldest_undoable) == (6, 7)
    assert journal.newest_block == 10
    assert journal.rollback_to(7) == {"pool": 8}


def test_reorg_too_deep_is_an_arbiter_error() -> None:
    assert issubclass(ReorgTooDeep, ArbiterError)
    assert issubclass(BlockOutOfOrder, ArbiterError)


def test_quiet_blocks_do_not_count_against_the_depth() -> None:
    journal = StateJournal[int](depth=3, base_block=0)
    journal.record(1, block_hash(1), "pool", 0)
    journal.record(2, block_hash(2), "pool", 1)
    assert journal.rollback_to(0) == {"pool": 0}


def test_the_depth_counts_block_numbers_not_records() -> None:
    journal = StateJournal[int](depth=3, base_block=0)
    journal.record(1, block_hash(1), "pool", 0)
    journal.record(10, block_hash(10), "pool", 1)
    assert journal.oldest_undoable == 7
    assert len(journal) == 1
    with pytest.raises(ReorgTooDeep):
        journal.rollback_to(0)


def test_nothing_can_be_undone_below_the_base_block() -> None:
    journal = StateJournal[int](base_block=50)
    with pytest.raises(ReorgTooDeep):
        journal.rollback_to(49)
    assert journal.rollback_to(50) == {}


def test_without_a_base_the_first_recorded_block_is_the_lowest_undoable() -> None:
    journal = StateJournal[int]()
    assert journal.oldest_undoable is None
    assert journal.rollback_to(3) == {}
    journal.record(40, block_hash(40), "pool", 1)
    assert journal.oldest_undoable == 39
    with pytest.raises(ReorgTooDeep):
        journal.rollback_to(38)


def test_pruning_forgets_blocks_up_to_and_including_the_given_one() -> None:
    journal = StateJournal[int](base_block=0)
    for number in range(1, 6):
        journal.record(number, block_hash(number), "pool", number)
    journal.prune(3)
    assert journal.oldest_undoable == 3
    assert len(journal) == 2
    with pytest.raises(ReorgTooDeep):
        journal.rollback_to(2)
    assert journal.rollback_to(3) == {"pool": 4}


def test_a_reset_forgets_everything_and_moves_the_base() -> None:
    journal = StateJournal[int](base_block=0)
    journal.record(1, block_hash(1), "pool", 1)
    journal.reset(200)
    assert (len(journal), journal.newest_block, journal.oldest_undoable) == (0, None, 200)
    journal.record(201, block_hash(201), "pool", 5)
    assert journal.rollback_to(200) == {"pool": 5}


@pytest.mark.parametrize("number", [3, 4])
def test_a_block_below_the_newest_is_out_of_order(number: int) -> None:
    journal = StateJournal[int](base_block=0)
    journal.record(4, block_hash(4), "pool", 1)
    journal.record(5, block_hash(5), "pool", 1)
    with pytest.raises(BlockOutOfOrder):
        journal.record(number, block_hash(number), "pool", 2)


def test_the_newest_block_again_with_another_hash_is_out_of_order() -> None:
    journal = StateJournal[int](base_block=0)
    journal.record(4, block_hash(4), "pool", 1)
    with pytest.raises(BlockOutOfOrder):
        journal.record(4, block_hash(4, "b"), "other", 2)


def test_the_base_block_itself_cannot_be_recorded() -> None:
    journal = StateJournal[int](base_block=10)
    with pytest.raises(BlockOutOfOrder):
        journal.record(10, block_hash(10), "pool", 1)


@pytest.mark.parametrize("depth", [0, -1])
def test_a_depth_below_one_is_a_config_error(depth: int) -> None:
    with pytest.raises(ConfigError):
        StateJournal[int](depth=depth)


def test_the_default_depth_is_64_blocks() -> None:
    assert StateJournal[int]().depth == 64


POOLS = ["p0", "p1", "p2"]
changes = st.lists(st.sampled_from(POOLS), max_size=3)


@settings(max_examples=150)
@given(
    depth=st.integers(min_value=1, max_value=8),
    blocks=st.lists(st.tuples(st.integers(min_value=1, max_value=3), changes), max_size=25),
    back=st.integers(min_value=0, max_value=12),
)
def test_rolling_back_restores_exactly_the_states_at_the_ancestor_or_refuses(
    depth: int, blocks: list[tuple[int, list[str]]], back: int
) -> None:
    journal = StateJournal[int](depth=depth, base_block=0)
    states: dict[str, int | None] = dict.fromkeys(POOLS)
    history = {0: dict(states)}
    number = newest_recorded = 0
    for gap, pools in blocks:
        number += gap
        for pool in pools:
            journal.record(number, block_hash(number), pool, states[pool])
            states[pool] = number * 10 + POOLS.index(pool)
            newest_recorded = number
        for skipped in range(number - gap + 1, number + 1):
            history[skipped] = dict(states) if skipped == number else history[skipped - 1]
    ancestor = max(number - back, 0)
    if ancestor < newest_recorded - depth:
        with pytest.raises(ReorgTooDeep):
            journal.rollback_to(ancestor)
        return
    states.update(journal.rollback_to(ancestor))
    assert states == history[ancestor]
