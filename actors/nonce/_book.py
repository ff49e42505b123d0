"""`NonceBook`: one account's nonces and in-flight transactions, as plain data (no I/O).

The nonce manager actor moves messages in and out of it; everything it
decides -- which nonce is next, which nonce is a gap, which transaction is
stuck and what to do about it, what a reorg undoes -- is decided here and
tested without an event loop.

Invariants (checked by the property tests): a nonce is never allocated twice
while it is in flight or consumed; a nonce below ``next_nonce`` is in flight,
settled, or a known gap (`holes`) that `due` asks to fill; the chain's count
never moves ``next_nonce`` backwards past a consumed nonce.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from messages.tx import InFlightTx, NonceStatus, SentTx, TxKind, TxRecord, TxRequest

if TYPE_CHECKING:
    from collections.abc import Iterable

    from actors.nonce._fees import StuckPolicy

__all__ = ["Action", "Due", "NonceBook", "NonceTotals"]

_replace = msgspec.structs.replace
_SELF_TRANSFER_GAS = 21_000


class Action(enum.Enum):
    """What `NonceBook.due` asks the actor to do for one nonce."""

    REBROADCAST = "rebroadcast"
    REPLACE = "replace"
    CANCEL = "cancel"
    FILL = "fill"


@dataclass(frozen=True, slots=True)
class Due:
    action: Action
    nonce: int


@dataclass(slots=True)
class NonceTotals:
    """Counters of one account's transactions, kept across restarts of the actor."""

    submitted: int = 0
    rejected: int = 0
    resyncs: int = 0
    rebroadcasts: int = 0
    replacements: int = 0
    cancels: int = 0
    fills: int = 0
    mined: int = 0
    failed: int = 0
    dropped: int = 0
    orphaned: int = 0


@dataclass(slots=True)
class _Attempt:
    record: TxRecord
    raw: str
    request: TxRequest


@dataclass(slots=True)
class _Slot:
    """A nonce and every transaction signed for it, oldest first."""

    nonce: int
    attempts: list[_Attempt]
    rebroadcast: bool = False
    """Sent again as is since it was last signed."""
    resend: bool = False
    """Send again at once: orphaned by a reorg, or its send had no answer."""
    block: int | None = None
    """Where it was mined, once settled."""
    resent_block: int = 0
    """The head when it was last sent again because the node no longer had it."""

    @property
    def latest(self) -> _Attempt:
        return self.attempts[-1]

    @property
    def sent_block(self) -> int:
        """The head when the node last got it: its age is counted from here."""
        return max(self.latest.record.sent_block or 0, self.resent_block)

    @property
    def bumps(self) -> int:
        return len(self.attempts) - 1


@dataclass(slots=True)
class NonceBook:
    """One account's nonce bookkeeping. Owned by one actor; kept across its restarts.

    Args:
        account: the sending address (lowercased).
        history: final records kept for `records` beyond those in flight.
        reorg_depth: blocks a mined transaction is remembered, to be put back
            in flight if a reorg orphans its block.
    """

    account: str
    history: int = 10_000
    reorg_depth: int = 64
    next_nonce: int | None = None
    chain_nonce: int | None = None
    """Nonces consumed on chain (the ``latest`` count) at ``head``."""
    head: int | None = None
    holes: set[int] = field(default_factory=set)
    """Nonces below ``next_nonce`` that nothing of ours holds: to be filled."""
    totals: NonceTotals = field(default_factory=NonceTotals)
    _in_flight: dict[int, _Slot] = field(default_factory=dict, init=False, repr=False)
    _settled: dict[int, _Slot] = field(default_factory=dict, init=False, repr=False)
    _records: dict[str, TxRecord] = field(default_factory=dict, init=False, repr=False)
    _stalled_since: int | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.account = self.account.lower()

    # -- starting, and what the chain says ------------------------------------

    def start(self, pending: int, mined: int, head: int, pooled: Iterable[int] = ()) -> None:
        """(Re)start from the chain's ``pending`` and ``latest`` counts at block ``head``.

        ``pooled``: nonces of the account's transactions in the node's pool,
        when the node tells (``txpool_content``); ours from before a crash
        whose records were lost, say. The next nonce is past the chain's
        pending count, everything in flight and everything pooled; the nonces
        in between that nothing holds become holes. Nonces we do not know
        that the node holds are left alone unless they block the rest (`due`).
        """
        pooled = set(pooled)
        top = max(self._in_flight.keys() | pooled, default=-1) + 1
        self.next_nonce = max(pending, top)
        self.holes = {
            n
            for n in range(pending, self.next_nonce)
            if n not in self._in_flight and n not in pooled
        }
        self.chain_nonce = mined
        self.head = head
        self._stalled_since = head

    def resync(self, pending: int) -> None:
        """The node says our nonce is taken: skip past its ``pending`` count."""
        if self.next_nonce is None or pending > self.next_nonce:
            self.next_nonce = pending
        self.holes = {n for n in self.holes if n >= pending}
        self.totals.resyncs += 1

    def observe(self, mined: int, head: int) -> None:
        """The chain's ``latest`` count is ``mined`` at block ``head`` (after `settle`).

        ``head`` never moves back here: a newer head may have arrived while
        the count was asked for (a reorg moves it back through `head` itself).
        """
        if mined != self.chain_nonce:
            self.chain_nonce = mined
            self._stalled_since = head
        if self.head is None or head > self.head:
            self.head = head
        self.holes = {n for n in self.holes if n >= mined}
        horizon = head - self.reorg_depth
        for nonce in [n for n, slot in self._settled.items() if (slot.block or 0) < horizon]:
            del self._settled[nonce]

    # -- allocating and sending --------------------------------------------------

    def allocate(self) -> int:
        """The nonce for a new transaction: the lowest hole, else the next one.

        Raises:
            RuntimeError: the book has not been started.
        """
        if self.next_nonce is None:
            raise RuntimeError("the nonce book has not been started")
        if self.holes:
            nonce = min(self.holes)
            self.holes.discard(nonce)
            return nonce
        nonce = self.next_nonce
        self.next_nonce += 1
        return nonce

    def release(self, nonce: int) -> None:
        """An allocated nonce will not be used: the next allocation takes it back."""
        if nonce in self._in_flight or self.next_nonce is None:
            return
        if nonce == self.next_nonce - 1:
            self.next_nonce = nonce
            while self.next_nonce - 1 in self.holes:
                self.next_nonce -= 1
                self.holes.discard(self.next_nonce)
        elif nonce < self.next_nonce and nonce >= (self.chain_nonce or 0):
            self.holes.add(nonce)

    def sent(
        self,
        nonce: int,
        request: TxRequest,
        kind: TxKind,
        *,
        signed_hash: str,
        raw: str,
        fees: tuple[int, int],
    ) -> list[TxRecord]:
        """Record a signed transaction about to be sent; return the records that changed.

        An earlier attempt at the same nonce becomes ``replaced`` (it goes
        back to ``pending`` if this one is `refused`).
        """
        record = TxRecord(
            hash=signed_hash,
            account=self.account,
            nonce=nonce,
            status="pending",
            opportunity_id=request.opportunity_id,
            kind=kind,
            to=request.to.lower(),
            value=request.value,
            gas=request.gas,
            max_fee_per_gas=fees[0],
            max_priority_fee_per_gas=fees[1],
            sent_block=self.head,
        )
        changed = [record]
        slot = self._in_flight.get(nonce)
        if slot is None:
            slot = self._in_flight[nonce] = _Slot(nonce, [])
            self.holes.discard(nonce)
        else:
            for attempt in slot.attempts:
                if attempt.record.status == "pending":
                    attempt.record = _replace(attempt.record, status="replaced")
                    changed.append(attempt.record)
        slot.attempts.append(_Attempt(record, raw, request))
        slot.rebroadcast = slot.resend = False
        if kind == "submit":
            self.totals.submitted += 1
        elif kind == "replacement":
            self.totals.replacements += 1
        elif kind == "cancel":
            self.totals.cancels += 1
        else:
            self.totals.fills += 1
        self._remember(changed)
        return changed

    def refused(
        self, nonce: int, signed_hash: str, reason: str, *, taken: bool = False
    ) -> list[TxRecord]:
        """The node refused ``signed_hash``: forget it; free its nonce if nothing else holds it.

        ``taken``: the node holds another transaction at this nonce (a
        stranger's, or ours from before a crash): the nonce is not freed.
        """
        slot = self._in_flight.get(nonce)
        if slot is None:
            return []
        for index, attempt in enumerate(slot.attempts):
            if attempt.record.hash == signed_hash:
                del slot.attempts[index]
                break
        else:
            return []
        self.totals.rejected += 1
        changed = [_replace(attempt.record, status="dropped", error=reason)]
        if slot.attempts:
            latest = slot.latest
            if latest.record.status == "replaced":
                latest.record = _replace(latest.record, status="pending")
                changed.append(latest.record)
        else:
            del self._in_flight[nonce]
            if not taken:
                self.release(nonce)
        self._remember(changed)
        return changed

    def unanswered(self, nonce: int) -> None:
        """A send got no answer: it may or may not be in the node; send it again soon."""
        slot = self._in_flight.get(nonce)
        if slot is not None:
            slot.resend = True

    def rebroadcast(self, nonce: int, *, resent: bool = True) -> None:
        """The latest attempt at ``nonce`` was sent again as is (or found still in the node)."""
        slot = self._in_flight.get(nonce)
        if slot is not None:
            slot.rebroadcast = True
            slot.resend = False
            if resent:
                slot.resent_block = self.head or 0
                self.totals.rebroadcasts += 1

    # -- fates ---------------------------------------------------------------

    def consumed(self, mined: int) -> list[tuple[int, list[str]]]:
        """In-flight nonces below ``mined`` (consumed), with their hashes, newest first."""
        return [
            (nonce, [a.record.hash for a in reversed(slot.attempts)])
            for nonce, slot in sorted(self._in_flight.items())
            if nonce < mined
        ]

    def settle(
        self, nonce: int, winner: str | None, succeeded: bool, block: int | None
    ) -> list[TxRecord]:
        """``nonce`` is consumed: by ``winner`` (ours) in ``block``, or by a stranger if None."""
        slot = self._in_flight.pop(nonce, None)
        if slot is None:
            return []
        changed = []
        for attempt in slot.attempts:
            if attempt.record.hash == winner:
                status = "mined" if succeeded else "failed"
                attempt.record = _replace(attempt.record, status=status, block=block)
            else:
                status = "replaced" if winner is not None else "dropped"
                attempt.record = _replace(attempt.record, status=status, block=None)
            changed.append(attempt.record)
        if winner is None:
            self.totals.dropped += 1
        elif succeeded:
            self.totals.mined += 1
        else:
            self.totals.failed += 1
        if winner is not None and block is not None:
            slot.block = block
            self._settled[nonce] = slot
        self._remember(changed)
        return changed

    def orphan(self, ancestor: int) -> list[TxRecord]:
        """A reorg orphaned the blocks above ``ancestor``: what was mined there flies again."""
        changed = []
        for nonce in sorted(n for n, s in self._settled.items() if (s.block or 0) > ancestor):
            slot = self._settled.pop(nonce)
            for attempt in slot.attempts:
                if attempt.record.status in ("mined", "failed"):
                    attempt.record = _replace(attempt.record, status="pending", block=None)
                    changed.append(attempt.record)
            # The transaction that was mined is the one to send again: it goes last.
            slot.attempts.sort(key=lambda a: a.record.status == "pending")
            slot.block = None
            slot.resend = True
            slot.resent_block = self.head or 0
            self._in_flight[nonce] = slot
            self.totals.orphaned += 1
            if self.chain_nonce is not None and nonce < self.chain_nonce:
                self.chain_nonce = nonce
        self._remember(changed)
        return changed

    # -- what to do about stuck nonces ---------------------------------------------

    def due(self, policy: StuckPolicy, base_fee: int | None) -> list[Due]:
        """The repairs to make now, lowest nonce first (call after `observe`).

        A nonce that nothing of ours holds and that has kept the chain's count
        from moving for ``replace_after`` blocks becomes a hole here.
        """
        if self.head is None or self.chain_nonce is None:
            return []
        head, chain_nonce = self.head, self.chain_nonce
        waiting = sorted(n for n in self._in_flight if n >= chain_nonce)
        if (
            waiting
            and waiting[0] > chain_nonce
            and chain_nonce not in self.holes
            and self._stalled_since is not None
            and head - self._stalled_since >= policy.replace_after
        ):
            # A nonce we hold nothing for (sent before a crash and lost, or
            # dropped from the node) has blocked the rest for too long. If the
            # fill is refused, the next try waits as long again.
            self.holes.add(chain_nonce)
            self._stalled_since = head
        actions = [Due(Action.FILL, n) for n in sorted(self.holes)]
        for nonce in waiting:
            slot = self._in_flight[nonce]
            if slot.resend:
                actions.append(Due(Action.REBROADCAST, nonce))
                continue
            age = head - slot.sent_block
            latest = slot.latest.record
            underpriced = base_fee is not None and latest.max_fee_per_gas < base_fee
            if age >= policy.replace_after and (nonce == waiting[0] or underpriced):
                cancel = latest.kind in ("submit", "replacement") and (
                    slot.bumps >= policy.max_replacements
                )
                actions.append(Due(Action.CANCEL if cancel else Action.REPLACE, nonce))
            elif age >= policy.rebroadcast_after and not slot.rebroadcast:
                actions.append(Due(Action.REBROADCAST, nonce))
        return actions

    def knows(self, tx_hash: str) -> bool:
        """Whether ``tx_hash`` is one of ours: in flight, or among the records kept."""
        return tx_hash in self._records

    def latest(self, nonce: int) -> SentTx | None:
        """The newest attempt at an in-flight ``nonce``."""
        slot = self._in_flight.get(nonce)
        if slot is None:
            return None
        latest = slot.latest
        return SentTx(record=latest.record, raw=latest.raw, request=latest.request)

    def self_transfer(self, opportunity_id: str | None = None) -> TxRequest:
        """A zero-value transfer to ourselves: what cancels a nonce or fills a gap."""
        return TxRequest(to=self.account, gas=_SELF_TRANSFER_GAS, opportunity_id=opportunity_id)

    # -- snapshots and queries -------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether anything is in flight or waiting to be filled."""
        return bool(self._in_flight or self.holes)

    def in_flight(self, nonce: int) -> InFlightTx | None:
        slot = self._in_flight.get(nonce)
        return None if slot is None else self._snapshot(slot)

    def snapshot(self) -> list[InFlightTx]:
        """Every in-flight nonce, lowest first: what `restore` takes back."""
        return [self._snapshot(slot) for _, slot in sorted(self._in_flight.items())]

    def restore(self, in_flight: Iterable[InFlightTx]) -> None:
        """Take back what `snapshot` gave (from the bank, after a restart); call `start` next.

        Raises:
            ValueError: an entry is for another account, or has no attempts.
        """
        for entry in in_flight:
            if entry.account.lower() != self.account or not entry.attempts:
                raise ValueError(f"cannot restore nonce {entry.nonce} of {entry.account}")
            attempts = [_Attempt(a.record, a.raw, a.request) for a in entry.attempts]
            self._in_flight[entry.nonce] = _Slot(entry.nonce, attempts, resend=True)
            self._remember([a.record for a in attempts])

    def records(self, limit: int) -> list[TxRecord]:
        """The newest ``limit`` records, newest first."""
        out: list[TxRecord] = []
        for record in reversed(self._records.values()):
            if len(out) >= limit:
                break
            out.append(record)
        return out

    def status(self) -> NonceStatus:
        totals = self.totals
        return NonceStatus(
            account=self.account,
            next_nonce=self.next_nonce,
            chain_nonce=self.chain_nonce,
            head_block=self.head,
            in_flight=len(self._in_flight),
            submitted_total=totals.submitted,
            rejected_total=totals.rejected,
            resyncs_total=totals.resyncs,
            rebroadcasts_total=totals.rebroadcasts,
            replacements_total=totals.replacements,
            cancels_total=totals.cancels,
            fills_total=totals.fills,
            mined_total=totals.mined,
            failed_total=totals.failed,
            dropped_total=totals.dropped,
            orphaned_total=totals.orphaned,
        )

    def _snapshot(self, slot: _Slot) -> InFlightTx:
        return InFlightTx(
            account=self.account,
            nonce=slot.nonce,
            attempts=[SentTx(record=a.record, raw=a.raw, request=a.request) for a in slot.attempts],
        )

    def _remember(self, records: Iterable[TxRecord]) -> None:
        for record in records:
            self._records[record.hash] = record
        excess = len(self._records) - self.history - len(self._in_flight)
        # Pruned in batches of a tenth, so a full history costs O(1) per record.
        if excess > self.history // 10:
            for key in list(self._records)[:excess]:
                if self._records[key].status != "pending":
                    del self._records[key]
