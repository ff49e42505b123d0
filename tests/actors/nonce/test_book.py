"""The nonce book, pure: allocation, gaps, fates, repairs, reorgs, snapshots -- no loop, no node."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from actors.nonce import Action, Due, NonceBook, StuckPolicy
from messages.tx import TxKind, TxRequest

ACCOUNT = "0x00000000000000000000000000000000000000aa"
TO = "0x00000000000000000000000000000000000000bb"
POLICY = StuckPolicy(rebroadcast_after=2, replace_after=4, max_replacements=2)
FEES = (3_000, 1_000)
_hashes = itertools.count(1)


def request(value: int = 1) -> TxRequest:
    return TxRequest(to=TO, gas=21_000, value=value)


def send(book: NonceBook, nonce: int, kind: TxKind = "submit", fees: tuple[int, int] = FEES) -> str:
    tx_hash = f"0x{next(_hashes):064x}"
    book.sent(nonce, request(), kind, signed_hash=tx_hash, raw="0x02" + tx_hash[2:], fees=fees)
    return tx_hash


def started(pending: int = 0, mined: int = 0, head: int = 100) -> NonceBook:
    book = NonceBook(ACCOUNT)
    book.start(pending=pending, mined=mined, head=head)
    return book


def test_nonces_are_allocated_in_sequence_from_the_chains_pending_count() -> None:
    book = started(pending=7, mined=5)
    assert [book.allocate() for _ in range(3)] == [7, 8, 9]
    assert book.next_nonce == 10


def test_an_unstarted_book_allocates_nothing() -> None:
    with pytest.raises(RuntimeError, match="not been started"):
        NonceBook(ACCOUNT).allocate()


def test_releasing_the_last_allocation_gives_the_nonce_to_the_next() -> None:
    book = started()
    first, second = book.allocate(), book.allocate()
    book.release(second)
    assert book.allocate() == second
    assert first == 0


def test_a_nonce_released_below_the_top_is_a_hole_taken_first_and_filled_if_not() -> None:
    book = started()
    nonces = [book.allocate() for _ in range(3)]
    for nonce in (0, 2):
        send(book, nonce)
    book.release(1)
    assert book.holes == {1}
    assert Due(Action.FILL, 1) in book.due(POLICY, None)
    assert book.allocate() == 1
    assert book.allocate() == 3
    assert nonces == [0, 1, 2]


def test_a_refused_transaction_frees_its_nonce_unless_the_node_holds_another_there() -> None:
    book = started()
    tx = send(book, book.allocate())
    (record,) = book.refused(0, tx, "insufficient funds")
    assert (record.status, record.error) == ("dropped", "insufficient funds")
    assert book.allocate() == 0
    taken = send(book, 0)
    book.refused(0, taken, "replacement transaction underpriced", taken=True)
    assert book.allocate() == 1


def test_a_refused_replacement_puts_the_one_it_replaced_back_to_pending() -> None:
    book = started()
    first = send(book, book.allocate())
    second = send(book, 0, "replacement", (4_000, 1_200))
    assert {r.hash: r.status for r in book.records(10)} == {first: "replaced", second: "pending"}
    changed = book.refused(0, second, "replacement transaction underpriced")
    assert {r.hash: r.status for r in changed} == {first: "pending", second: "dropped"}
    assert book.in_flight(0) is not None


def test_a_consumed_nonce_is_settled_by_the_attempt_that_was_mined() -> None:
    book = started()
    first = send(book, book.allocate())
    second = send(book, 0, "replacement")
    assert book.consumed(1) == [(0, [second, first])]
    changed = book.settle(0, first, succeeded=False, block=101)
    assert {(r.hash, r.status, r.block) for r in changed} == {
        (first, "failed", 101),
        (second, "replaced", None),
    }
    assert not book.busy
    assert book.totals.failed == 1


def test_a_nonce_taken_by_a_stranger_drops_every_attempt() -> None:
    book = started()
    tx = send(book, book.allocate())
    (record,) = book.settle(0, None, succeeded=False, block=None)
    assert (record.hash, record.status) == (tx, "dropped")
    assert book.totals.dropped == 1


def test_start_puts_the_next_nonce_past_the_chain_the_pool_and_everything_in_flight() -> None:
    book = started()
    for _ in range(4):
        send(book, book.allocate())
    snapshot = [entry for entry in book.snapshot() if entry.nonce != 1]
    restored = NonceBook(ACCOUNT)
    restored.restore(snapshot)
    restored.start(pending=1, mined=0, head=120, pooled=[0, 5])
    assert restored.next_nonce == 6
    assert restored.holes == {1, 4}
    assert restored.snapshot() == snapshot
    assert [d for d in restored.due(POLICY, None) if d.action is Action.FILL] == [
        Due(Action.FILL, 1),
        Due(Action.FILL, 4),
    ]
    assert {d.nonce for d in restored.due(POLICY, None) if d.action is Action.REBROADCAST} == {
        0,
        2,
        3,
    }


def test_restoring_another_accounts_records_is_refused() -> None:
    book = started()
    send(book, book.allocate())
    other = NonceBook(TO)
    with pytest.raises(ValueError, match="cannot restore"):
        other.restore(book.snapshot())


def test_a_stuck_transaction_is_sent_again_then_replaced_then_cancelled() -> None:
    book = started(head=100)
    send(book, book.allocate())
    actions = []
    for head in range(101, 120):
        book.observe(0, head)
        for due in book.due(POLICY, None):
            actions.append((head, due.action))
            if due.action is Action.REBROADCAST:
                book.rebroadcast(0, resent=False)
            elif due.action is Action.REPLACE:
                send(book, 0, "replacement")
            else:
                send(book, 0, "cancel")
    assert actions == [
        (102, Action.REBROADCAST),
        (104, Action.REPLACE),
        (106, Action.REBROADCAST),
        (108, Action.REPLACE),
        (110, Action.REBROADCAST),
        (112, Action.CANCEL),
        (114, Action.REBROADCAST),
        (116, Action.REPLACE),
        (118, Action.REBROADCAST),
    ]


def test_only_the_lowest_stuck_nonce_is_replaced_unless_others_are_under_the_base_fee() -> None:
    book = started(head=100)
    send(book, book.allocate(), fees=(3_000, 1_000))
    send(book, book.allocate(), fees=(3_000, 1_000))
    send(book, book.allocate(), fees=(9_000, 1_000))
    book.observe(0, 104)
    assert book.due(POLICY, base_fee=1_000) == [
        Due(Action.REPLACE, 0),
        Due(Action.REBROADCAST, 1),
        Due(Action.REBROADCAST, 2),
    ]
    assert book.due(POLICY, base_fee=5_000) == [
        Due(Action.REPLACE, 0),
        Due(Action.REPLACE, 1),
        Due(Action.REBROADCAST, 2),
    ]


def test_a_resent_transaction_counts_its_age_from_the_resend() -> None:
    book = started(head=100)
    send(book, book.allocate())
    book.observe(0, 103)
    book.head = 103
    book.rebroadcast(0)
    book.observe(0, 106)
    assert book.due(POLICY, None) == []
    book.observe(0, 107)
    assert book.due(POLICY, None) == [Due(Action.REPLACE, 0)]


def test_a_nonce_nobody_holds_that_blocks_the_rest_is_filled() -> None:
    book = NonceBook(ACCOUNT)
    book.start(pending=3, mined=0, head=100)  # 0..2 are in the pool, but not ours
    send(book, book.allocate())
    book.observe(0, 103)
    assert all(d.action is not Action.FILL for d in book.due(POLICY, None))
    book.observe(0, 104)
    assert book.due(POLICY, None)[0] == Due(Action.FILL, 0)


def test_a_reorg_puts_what_was_mined_above_the_ancestor_back_in_flight() -> None:
    book = started(head=100)
    hashes = [send(book, book.allocate()) for _ in range(3)]
    for nonce, tx in enumerate(hashes):
        book.settle(nonce, tx, succeeded=True, block=101 + nonce)
    book.observe(3, 103)
    changed = book.orphan(101)
    assert [(r.hash, r.status, r.block) for r in changed] == [
        (hashes[1], "pending", None),
        (hashes[2], "pending", None),
    ]
    assert book.chain_nonce == 1
    assert book.due(POLICY, None) == [Due(Action.REBROADCAST, 1), Due(Action.REBROADCAST, 2)]
    assert book.next_nonce == 3
    assert book.totals.orphaned == 2


def test_a_mined_transaction_older_than_the_reorg_depth_is_forgotten() -> None:
    book = NonceBook(ACCOUNT, reorg_depth=10)
    book.start(pending=0, mined=0, head=100)
    tx = send(book, book.allocate())
    book.settle(0, tx, succeeded=True, block=101)
    book.observe(1, 120)
    assert book.orphan(100) == []


def test_records_are_newest_first_and_old_final_ones_are_pruned() -> None:
    book = NonceBook(ACCOUNT, history=20)
    book.start(pending=0, mined=0, head=100)
    hashes = [send(book, book.allocate()) for _ in range(40)]
    for nonce, tx in enumerate(hashes[:-1]):
        book.settle(nonce, tx, succeeded=True, block=101)
    records = book.records(1000)
    assert [r.hash for r in records] == hashes[::-1][: len(records)]
    assert 20 <= len(records) <= 23
    assert book.records(3) == records[:3]


# -- properties ---------------------------------------------------------------------


@given(
    pending=st.integers(0, 50),
    mined_below=st.integers(0, 50),
    in_flight=st.sets(st.integers(0, 80), max_size=12),
    pooled=st.sets(st.integers(0, 80), max_size=12),
)
def test_after_a_restore_no_allocation_collides_and_every_nonce_is_accounted_for(
    pending: int, mined_below: int, in_flight: set[int], pooled: set[int]
) -> None:
    mined = min(mined_below, pending)
    source = NonceBook(ACCOUNT)
    source.start(pending=0, mined=0, head=1)
    for nonce in sorted(in_flight):
        send(source, nonce)
    book = NonceBook(ACCOUNT)
    book.restore(source.snapshot())
    book.start(pending=pending, mined=mined, head=1, pooled=pooled)
    fresh = [book.allocate() for _ in range(5)]
    held = in_flight | pooled | set(range(pending))
    assert not set(fresh) & held, "an allocation collides with a used nonce"
    assert len(set(fresh)) == len(fresh)
    top = max(held | set(fresh))
    assert set(range(top + 1)) <= held | set(fresh) | book.holes


class BookAgainstANode(RuleBasedStateMachine):
    """The book driven the way the actor drives it, against a model of a node.

    The node keeps a pool (nonce -> hash) and a chain of mined nonces; it
    mines the contiguous run of pooled nonces, may drop pooled transactions
    (with those that wait on them, as anvil does), refuse sends, and reorg
    recent blocks away (dropping their transactions, as anvil does). Safety:
    no nonce is ever used twice and none below ``next_nonce`` is lost.
    Liveness: once the node stops misbehaving, everything settles with the
    chain's count at ``next_nonce``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.book = NonceBook(ACCOUNT, reorg_depth=50)
        self.book.start(pending=0, mined=0, head=0)
        self.pool: dict[int, str] = {}
        self.chain: list[tuple[int, str, int]] = []  # (nonce, hash, block)
        self.head = 0
        self.ours: set[str] = set()

    @property
    def count(self) -> int:
        return len(self.chain)

    def _sign(self) -> str:
        tx_hash = f"0x{next(_hashes):064x}"
        self.ours.add(tx_hash)
        return tx_hash

    def _send(self, nonce: int, kind: TxKind, refuse: bool = False) -> bool:
        """Write ahead, then send to the node; False if refused."""
        slot = self.book.latest(nonce)
        fees = (
            FEES
            if slot is None
            else (slot.record.max_fee_per_gas * 2, slot.record.max_priority_fee_per_gas * 2)
        )
        tx_hash = self._sign()
        self.book.sent(nonce, request(), kind, signed_hash=tx_hash, raw="0x02", fees=fees)
        if refuse or nonce < self.count:
            self.book.refused(nonce, tx_hash, "refused", taken=nonce < self.count)
            return False
        self.pool[nonce] = tx_hash
        return True

    @rule(refuse=st.booleans())
    def submit(self, refuse: bool) -> None:
        nonce = self.book.allocate()
        assert nonce >= self.count, f"nonce {nonce} is used already"
        assert nonce not in self.pool, f"nonce {nonce} is pooled already"
        self._send(nonce, "submit", refuse)

    @rule()
    def mine(self) -> None:
        self.head += 1
        while self.count in self.pool:
            nonce = self.count
            self.chain.append((nonce, self.pool.pop(nonce), self.head))
        self.check()

    @precondition(lambda self: bool(self.pool))
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        nonce = data.draw(st.sampled_from(sorted(self.pool)))
        for waiting in [n for n in self.pool if n >= nonce]:
            del self.pool[waiting]

    @precondition(lambda self: bool(self.chain))
    @rule(depth=st.integers(1, 4))
    def reorg(self, depth: int) -> None:
        ancestor = max(0, self.head - depth)
        self.chain = [entry for entry in self.chain if entry[2] <= ancestor]
        self.head = ancestor + 1  # the new branch's first block, empty
        self.book.orphan(ancestor)
        self.check()

    def check(self) -> None:
        """What the actor does at a head: settle what the chain consumed, then repair."""
        self.book.head = self.head
        mined = {nonce: tx for nonce, tx, _ in self.chain}
        blocks = {tx: block for _, tx, block in self.chain}
        for nonce, hashes in self.book.consumed(self.count):
            winner = next((h for h in hashes if h == mined[nonce]), None)
            self.book.settle(nonce, winner, succeeded=True, block=blocks.get(winner or ""))
        self.book.observe(self.count, self.head)
        for due in self.book.due(POLICY, None):
            self.repair(due)

    def repair(self, due: Due) -> None:
        if due.action is Action.FILL:
            self._send(due.nonce, "fill")
            return
        current = self.book.latest(due.nonce)
        if current is None or due.nonce < self.count:
            return
        if due.action is Action.REBROADCAST:
            gone = self.pool.get(due.nonce) != current.record.hash
            if gone:
                self.pool[due.nonce] = current.record.hash
            self.book.rebroadcast(due.nonce, resent=gone)
        else:
            self._send(due.nonce, "replacement" if due.action is Action.REPLACE else "cancel")

    @invariant()
    def no_nonce_below_next_is_lost(self) -> None:
        next_nonce = self.book.next_nonce or 0
        in_flight = {entry.nonce for entry in self.book.snapshot()}
        for nonce in range(self.count, next_nonce):
            assert nonce in in_flight or nonce in self.book.holes, f"nonce {nonce} is lost"

    @invariant()
    def the_chain_holds_each_nonce_once_and_only_ours(self) -> None:
        assert [n for n, _, _ in self.chain] == list(range(self.count))
        assert all(tx in self.ours for _, tx, _ in self.chain)

    def teardown(self) -> None:
        for _ in range(60):
            if not self.book.busy and self.count == self.book.next_nonce:
                break
            self.mine()
        assert not self.book.busy, self.book.snapshot()
        assert self.count == self.book.next_nonce
        statuses = {r.hash: r.status for r in self.book.records(10_000)}
        for _, tx, _ in self.chain:
            assert statuses.get(tx, "mined") == "mined"


TestBookAgainstANode = BookAgainstANode.TestCase
TestBookAgainstANode.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
