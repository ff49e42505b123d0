"""`NonceManager`: one actor per account; owns its nonces and its transactions in flight."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from actors.chain import RpcError
from actors.nonce._adopt import adoptable, ours, pooled
from actors.nonce._book import Action, Due, NonceBook
from actors.nonce._fees import StuckPolicy, bumped_fees, market_fees
from actors.nonce._refusals import Refusal, classify
from messages.bank import BankHealth, GetBankHealth, QueryInFlight, QueryTxs, RecordTx
from messages.chain import NewHead, Reorg, Rpc
from messages.tx import (
    GetAccount,
    GetInFlight,
    GetNonceStatus,
    GetTxs,
    InFlightTx,
    NonceStatus,
    SentTx,
    Signed,
    SignRequest,
    Submit,
    TxKind,
    TxRecord,
    TxRefused,
    TxRequest,
    TxUpdated,
)
from runtime import Actor, ArbiterError, ChainError, ConfigError, Deferred, MailboxFull

if TYPE_CHECKING:
    from actors.bank import Receipt
    from runtime import ActorRef

__all__ = ["NonceManager", "NonceSettings"]

# A submit whose nonce the node says is taken is retried on a fresh nonce this often.
_NONCE_RETRIES = 3
_RPC_BATCH = 64
# The bank's newest transaction records read at start, for the highest nonce it knows.
_NEWEST_RECORDS = 1000

# Constructing a Struct checks no constraint: a request is checked by a round trip.
_encode = msgspec.json.Encoder().encode
_decode_request = msgspec.json.Decoder(TxRequest).decode


@dataclass(frozen=True, slots=True)
class NonceSettings:
    """One account's nonce manager.

    Args:
        account: the sending address; the signer's key must be its key.
        chain: the chain's name, as in `NewHead.chain`.
        chain_id: signed into every transaction.
        chain_path: where the chain client lives (``/app/chain/devnet``).
        signer_path: where the signer lives (a `Wallet` sets it to its own).
        policy: when a transaction is stuck and what is done about it.
        rpc_timeout: seconds a call to the chain client or the signer may take.
        read_txpool: ask the node's ``txpool_content`` at start for our pooled
            transactions: their nonces are not reused, and those we have no
            record of (sent just before a crash) are adopted and followed
            (geth, erigon, anvil answer; a node that does not is asked once
            per start).
        bank_path: where the bank lives (``/app/bank``); empty for none. At
            the first start in a process the account's transactions in
            flight are restored from it (`LoadCheckpoint`), and the chain is
            searched for transactions of ours it never heard of.
        restore_scan_blocks: that search goes back at most this many blocks
            from the head.
    """

    account: str
    chain: str
    chain_id: int
    chain_path: str
    signer_path: str = ""
    policy: StuckPolicy = field(default_factory=StuckPolicy)
    rpc_timeout: float = 10.0
    read_txpool: bool = True
    bank_path: str = ""
    restore_scan_blocks: int = 1024


class _Check(msgspec.Struct, frozen=True):
    """Look at the chain: receipts of consumed nonces, then stuck ones."""


@dataclass(slots=True)
class _Submitting:
    """A submit between its first signature and its answer."""

    request: TxRequest
    reply: Deferred[str | TxRefused] = field(default_factory=Deferred)
    tries: int = 0
    nonce: int = 0
    signed: Signed | None = None
    fees: tuple[int, int] = (0, 0)


@dataclass(frozen=True, slots=True)
class _Recorded:
    """The bank committed the record of a submit's transaction: send it."""

    submitting: _Submitting


@dataclass(frozen=True, slots=True)
class _NotRecorded:
    """The bank did not commit the record of a submit's transaction: it is not sent."""

    submitting: _Submitting
    error: Exception


class NonceManager(Actor):
    """Allocates one account's nonces and follows its transactions to a final status.

    Handling one message at a time is what keeps nonces strictly sequential
    under any number of concurrent `Submit`s: a submit is allocated, signed
    (by the signer, in its thread), recorded and sent before the next one
    starts, so no lock is needed. Every record change is published as
    `TxUpdated` on ``system.events``.

    At each new head it asks the chain how many nonces the account has
    consumed, settles those in flight below it from their receipts (``mined``,
    ``failed`` -- a revert consumes the nonce too -- or ``dropped`` when a
    stranger took the nonce), then repairs what the `NonceBook` finds due:
    gaps filled with zero-value self-transfers, stuck transactions sent
    again, then replaced at bumped fees, then cancelled. A `Reorg` puts what
    was mined in orphaned blocks back in flight; it is sent again and followed
    to its new fate. Checks coalesce: a burst of heads costs one check.

    The bank hears of every record change (it subscribes to `TxUpdated`),
    and of a transaction before the node does. With a bank, a `Submit` is
    answered only once its record is durable, in this order: sign, record
    (nonce, raw transaction, hash: an asked `RecordTx`, acknowledged after
    its commit), send, answer. Recording before sending is the strongest
    order: whatever the node later forgets, the bank knows every nonce handed
    to a signed transaction, with the raw bytes to send again, so after a
    crash no nonce is reused and no answered transaction is lost -- even one
    the node never received (the restore sends it again). Recording after
    sending would leave a window where the node has a transaction the bank
    does not; if the node then forgot it, its nonce would be reused. The
    wait costs no throughput: the handler returns a `Deferred` and takes the
    next submit while the bank's group commit gathers many records into one
    transaction; each commit's acknowledgement arrives as a message
    (`_Recorded`), which sends and answers. A record the bank does not
    commit (it is failing, full or away) is not sent and the submit is
    refused (`TxRefused`): nothing is acknowledged that is not recorded.
    Without a bank, a submit is answered as soon as the node has it.

    After a restart of the process -- a kill -9 included -- the first start
    restores what was in flight from the bank (`QueryInFlight`) and sends it
    again if the node does not have it, then adopts what the node holds that
    the bank missed (see `actors.nonce._adopt`): in the pool, or mined --
    only replacements, gap fills and cancels, which are recorded best effort,
    or anything without a bank. The bank takes writes in the order they are
    published, and a record is published before its transaction is sent, so
    a record lost in a crash is newer than every record kept: its
    transaction has a nonce above the highest the bank knows, or replaced
    one in flight. So the mined ones are those nonces the chain has
    consumed, and the in-flight nonces consumed by none of their known
    attempts; they are looked for from the head back.

    Args:
        settings: the account, the chain, where the signer and the chain client are.
        book: the account's bookkeeping; pass the same book to every start
            (the factory holds it) so a restart forgets nothing, and
            `NonceBook.restore` it from the bank after a process restart.
    """

    def __init__(self, settings: NonceSettings, book: NonceBook) -> None:
        super().__init__()
        self.settings = settings
        self.book = book
        self.base_fee: int | None = None
        self._check_queued = False
        self._chain: ActorRef | None = None
        self._signer: ActorRef | None = None
        self._bank: ActorRef | None = None
        # Nonces whose submit waits for its record's commit: not sent yet, so not repaired.
        self._recording: set[int] = set()

    # -- lifecycle ---------------------------------------------------------------

    async def on_start(self) -> None:
        if self.book.account != self.settings.account.lower():
            raise ConfigError(
                f"nonce book of {self.book.account} given for {self.settings.account}"
            )
        events = self.context.system.events
        events.subscribe(NewHead, self.context.self_ref)
        events.subscribe(Reorg, self.context.self_ref)
        self._chain = self._lookup(self.settings.chain_path)
        self._signer = self._lookup(self.settings.signer_path)
        if self.settings.bank_path:
            self._bank = self._lookup(self.settings.bank_path)
        address = await self._signer.ask(GetAccount(), timeout=self.settings.rpc_timeout)
        if address != self.book.account:
            raise ConfigError(
                f"the signer's key is for {address}, not for the account {self.book.account}"
            )
        first = self.book.next_nonce is None
        highest = await self._restore() if first and self.settings.bank_path else None
        latest = await self._rpc("eth_getBlockByNumber", "latest", False)  # noqa: FBT003 - JSON-RPC params
        head = int(latest["number"], 16)
        self.base_fee = _int_or_none(latest.get("baseFeePerGas"))
        pending = await self._nonce_count("pending")
        mined = await self._nonce_count(hex(head))
        pool = await self._pool() if self.settings.read_txpool else []
        if first:
            self.book.head = head  # what adopted transactions' age counts from
            lost = await self._lost(highest, mined, head) if self.settings.bank_path else []
            await self._adopt([*lost, *pool])
        nonces = {int(tx["nonce"], 16) for tx in pool}
        self.book.start(pending=pending, mined=mined, head=head, pooled=nonces)
        self.log.info(
            "nonce_manager_started",
            account=self.book.account,
            next_nonce=self.book.next_nonce,
            chain_nonce=mined,
            in_flight=len(self.book.snapshot()),
            holes=len(self.book.holes),
        )
        self._queue_check()

    async def on_stop(self) -> None:
        self.context.system.events.unsubscribe_all(self.context.self_ref)

    # -- the protocol -------------------------------------------------------------------

    async def on_submit(self, message: Submit) -> TxRefused | Deferred[str | TxRefused]:
        """Allocate the next nonce, sign, record, send; reply the hash, or `TxRefused`.

        With a bank the reply waits for the record's commit (see the class);
        meanwhile the manager takes its next messages. A refusal is an
        answer, not a failure: the manager carries on.
        """
        try:
            request = _decode_request(_encode(message.request))
        except msgspec.ValidationError as exc:
            return TxRefused(reason=str(exc), invalid=True)
        submitting = _Submitting(request)
        await self._sign_and_record(submitting)
        return submitting.reply

    async def on_recorded(self, message: _Recorded) -> None:
        self._recording.discard(message.submitting.nonce)
        await self._send_submitted(message.submitting)

    def on_not_recorded(self, message: _NotRecorded) -> None:
        submitting, error = message.submitting, message.error
        self._recording.discard(submitting.nonce)
        tx_hash = submitting.signed.hash if submitting.signed is not None else ""
        reason = f"not recorded by the bank, not sent: {error}"
        self._publish(self.book.refused(submitting.nonce, tx_hash, reason))
        self.log.warning("tx_not_recorded", nonce=submitting.nonce, hash=tx_hash, error=str(error))
        submitting.reply.resolve(TxRefused(reason=reason))

    def on_get_txs(self, message: GetTxs) -> list[TxRecord]:
        return self.book.records(message.limit)

    def on_get_in_flight(self, message: GetInFlight) -> list[InFlightTx]:
        return self.book.snapshot()

    def on_get_nonce_status(self, message: GetNonceStatus) -> NonceStatus:
        return self.book.status()

    def on_new_head(self, message: NewHead) -> None:
        if message.chain != self.settings.chain:
            return
        self.book.head = message.number
        self.base_fee = message.base_fee
        self._queue_check()

    def on_reorg(self, message: Reorg) -> None:
        if message.chain != self.settings.chain:
            return
        changed = self.book.orphan(message.ancestor_number)
        if changed:
            self.log.warning(
                "txs_orphaned", ancestor=message.ancestor_number, hashes=[r.hash for r in changed]
            )
        self._publish(changed)
        self._queue_check()

    async def on_check(self, message: _Check) -> None:
        self._check_queued = False
        head = self.book.head
        if head is None or not self.book.busy:
            return
        mined = await self._nonce_count(hex(head))
        consumed = self.book.consumed(mined)
        if consumed:
            receipts = await self._receipts([h for _, hashes in consumed for h in hashes])
            for nonce, attempt_hashes in consumed:
                winner = next((h for h in attempt_hashes if receipts[h] is not None), None)
                receipt = receipts[winner] if winner is not None else None
                succeeded = receipt is not None and receipt.get("status") == "0x1"
                block = _int_or_none(receipt.get("blockNumber")) if receipt is not None else None
                self._publish(self.book.settle(nonce, winner, succeeded, block))
        self.book.observe(mined, head)
        for due in self.book.due(self.settings.policy, self.base_fee):
            if due.nonce not in self._recording:
                await self._repair(due)

    # -- repairs ---------------------------------------------------------------------

    async def _repair(self, due: Due) -> None:
        if due.action is Action.FILL:
            await self._fill(due.nonce)
            return
        current = self.book.latest(due.nonce)
        if current is None:
            return
        if due.action is Action.REBROADCAST:
            await self._rebroadcast(due.nonce, current, escalate=True)
            return
        if await self._nonce_count("latest") > due.nonce:
            # Mined after the head this check looked at (our heads lag the
            # node's under load): the next check settles it.
            return
        record = current.record
        request = current.request
        kind: TxKind = "replacement" if record.kind in ("submit", "replacement") else record.kind
        if due.action is Action.CANCEL:
            request = self.book.self_transfer(record.opportunity_id)
            kind = "cancel"
        fees = bumped_fees(
            record.max_fee_per_gas,
            record.max_priority_fee_per_gas,
            self.base_fee,
            self.settings.policy,
        )
        if fees is None:
            await self._rebroadcast(due.nonce, current, escalate=False)
            return
        self.log.info(
            "tx_replacing",
            nonce=due.nonce,
            old=record.hash,
            kind=kind,
            max_fee_per_gas=fees[0],
            max_priority_fee_per_gas=fees[1],
        )
        signed = await self._sign(due.nonce, request, fees)
        refusal = await self._send(due.nonce, request, kind, signed, fees)
        if refusal is not None and refusal[0] is Refusal.NONCE_TAKEN:
            self._queue_check()

    async def _rebroadcast(self, nonce: int, current: SentTx, *, escalate: bool) -> None:
        """Send the current attempt again if the node no longer has it."""
        if await self._rpc("eth_getTransactionByHash", current.record.hash) is not None:
            self.book.rebroadcast(nonce, resent=False)
            return
        try:
            await self._rpc("eth_sendRawTransaction", current.raw)
        except RpcError as exc:
            refusal = classify(exc.node_message)
            if refusal is Refusal.REJECTED and escalate:
                # The node will not take it as it is (its fee is under the base
                # fee, say): a replacement is the next step, now.
                self.log.info("tx_rebroadcast_refused", nonce=nonce, reason=exc.node_message)
                self.book.rebroadcast(nonce)
                await self._repair(Due(Action.REPLACE, nonce))
                return
        except ArbiterError as exc:
            self.log.warning("tx_rebroadcast_unanswered", nonce=nonce, error=str(exc))
            return
        self.log.info("tx_rebroadcast", nonce=nonce)
        self.book.rebroadcast(nonce)

    async def _fill(self, nonce: int) -> None:
        request = self.book.self_transfer()
        fees = market_fees(self.base_fee, self.settings.policy.priority_fee)
        self.log.info("nonce_gap_filling", nonce=nonce)
        signed = await self._sign(nonce, request, fees)
        refusal = await self._send(nonce, request, "fill", signed, fees)
        if refusal is not None and refusal[0] is Refusal.NONCE_TAKEN:
            await self._resync()

    async def _resync(self) -> None:
        pending = await self._nonce_count("pending")
        self.book.resync(pending)
        self.log.warning("nonce_resynced", pending=pending, next_nonce=self.book.next_nonce)

    # -- signing and sending --------------------------------------------------------

    def _fees(self, request: TxRequest) -> tuple[int, int]:
        tip = request.max_priority_fee_per_gas
        if tip is None:
            tip = self.settings.policy.priority_fee
        max_fee = request.max_fee_per_gas
        if max_fee is None:
            max_fee = market_fees(self.base_fee, tip)[0]
        return max_fee, min(tip, max_fee)

    async def _sign(self, nonce: int, request: TxRequest, fees: tuple[int, int]) -> Signed:
        signer = self._signer
        if signer is None:
            raise ChainError("the nonce manager has not started")
        signed: Signed = await signer.ask(
            SignRequest(
                chain_id=self.settings.chain_id,
                nonce=nonce,
                to=request.to,
                value=request.value,
                data=request.data,
                gas=request.gas,
                max_fee_per_gas=fees[0],
                max_priority_fee_per_gas=fees[1],
            ),
            timeout=self.settings.rpc_timeout,
        )
        return signed

    async def _sign_and_record(self, submitting: _Submitting) -> None:
        """Allocate, sign and record a submit's transaction; send it once it is recorded.

        Without a bank it is sent (and answered) at once; with one, the
        bank is asked to commit the record and `_Recorded` or `_NotRecorded`
        comes back when it has or has not.
        """
        submitting.tries += 1
        request = submitting.request
        nonce = self.book.allocate()
        fees = self._fees(request)
        try:
            signed = await self._sign(nonce, request, fees)
        except BaseException:
            self.book.release(nonce)
            raise
        submitting.nonce, submitting.signed, submitting.fees = nonce, signed, fees
        changed = self.book.sent(
            nonce, request, "submit", signed_hash=signed.hash, raw=signed.raw, fees=fees
        )
        self._publish(changed)
        bank = self._bank
        if bank is None:
            await self._send_submitted(submitting)
            return
        self._recording.add(nonce)
        write = RecordTx(record=changed[0], in_flight=self.book.in_flight(nonce))
        try:
            # Asked here, not in the pipe, so the bank gets it in publishing order.
            receipt = bank.ask(write, timeout=self.settings.rpc_timeout)
        except ArbiterError as exc:
            self.on_not_recorded(_NotRecorded(submitting, exc))
            return
        self.context.pipe(
            _committed(receipt, self.settings.rpc_timeout),
            lambda _: _Recorded(submitting),
            lambda exc: _NotRecorded(submitting, exc),
            name="record",
        )

    async def _send_submitted(self, submitting: _Submitting) -> None:
        """Send a recorded submit's transaction and answer; on a taken nonce, try the next."""
        signed = submitting.signed
        if signed is None:
            raise ChainError("a submit was recorded before it was signed")
        refusal = await self._transmit(submitting.nonce, "submit", signed)
        if refusal is None:
            submitting.reply.resolve(signed.hash)
            return
        if refusal[0] is Refusal.NONCE_TAKEN:
            await self._resync()
        elif refusal[0] is not Refusal.UNDERPRICED:
            submitting.reply.resolve(TxRefused(reason=refusal[1]))
            return
        # Otherwise the node holds a transaction of ours we do not know (sent
        # before a crash): that nonce is used, the next one is tried.
        if submitting.tries >= _NONCE_RETRIES:
            submitting.reply.resolve(
                TxRefused(reason=f"nonce taken {_NONCE_RETRIES} times in a row")
            )
            return
        await self._sign_and_record(submitting)

    async def _send(
        self,
        nonce: int,
        request: TxRequest,
        kind: TxKind,
        signed: Signed,
        fees: tuple[int, int],
    ) -> tuple[Refusal, str] | None:
        """Record (best effort), then send; None if the node took it (or may have), else why not.

        Recorded first so the bank hears of it before the node does: after a
        crash mid-send nothing is forgotten.
        """
        self._publish(
            self.book.sent(nonce, request, kind, signed_hash=signed.hash, raw=signed.raw, fees=fees)
        )
        return await self._transmit(nonce, kind, signed)

    async def _transmit(
        self, nonce: int, kind: TxKind, signed: Signed
    ) -> tuple[Refusal, str] | None:
        """Send a recorded transaction; None if the node took it (or may have), else why not."""
        try:
            await self._rpc("eth_sendRawTransaction", signed.raw)
        except RpcError as exc:
            refusal = classify(exc.node_message)
            if refusal is Refusal.KNOWN:
                return None
            taken = refusal in (Refusal.NONCE_TAKEN, Refusal.UNDERPRICED)
            self._publish(self.book.refused(nonce, signed.hash, exc.node_message, taken=taken))
            self.log.warning(
                "tx_refused", nonce=nonce, kind=kind, hash=signed.hash, reason=exc.node_message
            )
            return refusal, exc.node_message
        except ArbiterError as exc:
            # No answer: the node may have it. Keep it and send it again at the next check.
            self.book.unanswered(nonce)
            self.log.warning("tx_send_unanswered", nonce=nonce, hash=signed.hash, error=str(exc))
        return None

    # -- the chain ------------------------------------------------------------------------

    async def _rpc(self, method: str, *params: object) -> Any:
        chain = self._chain
        if chain is None:
            raise ChainError("the nonce manager has not started")
        return await chain.ask(
            Rpc(method=method, params=list(params)), timeout=self.settings.rpc_timeout
        )

    async def _pool(self) -> list[dict[str, Any]]:
        """The account's transactions in the node's pool (none if it will not say)."""
        try:
            content = await self._rpc("txpool_content")
        except ChainError as exc:
            self.log.info("txpool_unavailable", error=str(exc))
            return []
        return pooled(content, self.book.account)

    # -- restoring after a restart of the process -------------------------------

    async def _restore(self) -> int | None:
        """Take back the account's in-flight transactions from the bank.

        Returns:
            The highest nonce of the account that the bank knows (None: it
            knows none, or has no readable database, which is logged: the
            chain and the pool are then all there is to go by).
        """
        bank = self._lookup(self.settings.bank_path)
        timeout = self.settings.rpc_timeout
        health: BankHealth = await bank.ask(GetBankHealth(), timeout=timeout)
        if health.state == "unavailable":
            self.log.warning("nonce_restore_without_bank", error=health.error)
            return None
        account = self.book.account
        mine: list[InFlightTx] = await bank.ask(QueryInFlight(account), timeout=timeout)
        records: list[TxRecord] = await bank.ask(QueryTxs(limit=_NEWEST_RECORDS), timeout=timeout)
        self.book.restore(mine)
        nonces = [r.nonce for r in records if r.account == account] + [e.nonce for e in mine]
        highest = max(nonces, default=None)
        self.log.info("nonce_restored", account=account, in_flight=len(mine), highest=highest)
        return highest

    async def _lost(self, highest: int | None, mined: int, head: int) -> list[dict[str, Any]]:
        """Our mined transactions the bank does not know, looked for from ``head`` back.

        Those at the nonces above ``highest`` that the chain has consumed
        (``mined`` of them), and at in-flight nonces that none of their known
        attempts consumed; at most ``restore_scan_blocks`` blocks back.
        """
        wanted = set() if highest is None else set(range(highest + 1, mined))
        consumed = self.book.consumed(mined)
        if consumed:
            receipts = await self._receipts([h for _, hashes in consumed for h in hashes])
            wanted |= {n for n, hashes in consumed if all(receipts[h] is None for h in hashes)}
        found: list[dict[str, Any]] = []
        bottom = max(head - self.settings.restore_scan_blocks + 1, 0)
        top = head
        while wanted and top >= bottom:
            numbers = range(top, max(top - _RPC_BATCH, bottom - 1), -1)
            blocks = await self._ask_many(
                [Rpc(method="eth_getBlockByNumber", params=[hex(n), True]) for n in numbers]
            )
            txs = [tx for block in blocks if block is not None for tx in block["transactions"]]
            for tx in ours(txs, self.book.account):
                nonce = int(tx["nonce"], 16)
                if nonce in wanted:
                    wanted.discard(nonce)
                    found.append(tx)
            top = numbers[-1] - 1
        if wanted:
            # The account was used elsewhere since, or the crash is older than the search.
            self.log.warning(
                "txs_not_found",
                count=len(wanted),
                lowest_nonce=min(wanted),
                highest_nonce=max(wanted),
                blocks=head - bottom + 1,
            )
        return sorted(found, key=lambda tx: int(tx["nonce"], 16))

    async def _adopt(self, txs: list[dict[str, Any]]) -> None:
        """Follow each of ``txs`` that we have no record of, once signing it gives it back."""
        for tx in txs:
            tx_hash = str(tx["hash"]).lower()
            if self.book.knows(tx_hash):
                continue
            nonce = int(tx["nonce"], 16)
            fields = adoptable(tx, self.settings.chain_id)
            signed = None if fields is None else await self._sign(nonce, *fields)
            if fields is None or signed is None or signed.hash != tx_hash:
                self.log.warning("tx_not_adopted", nonce=nonce, hash=tx_hash)
                continue
            request, fees = fields
            self._publish(
                self.book.sent(
                    nonce, request, "submit", signed_hash=signed.hash, raw=signed.raw, fees=fees
                )
            )
            self.log.info("tx_adopted", nonce=nonce, hash=tx_hash, block=tx.get("blockNumber"))

    async def _nonce_count(self, block: str) -> int:
        return int(await self._rpc("eth_getTransactionCount", self.book.account, block), 16)

    async def _receipts(self, hashes: list[str]) -> dict[str, dict[str, Any] | None]:
        """Each transaction's receipt (None if not mined), asked a batch at a time.

        Batches keep the asks within the chain client's mailbox.
        """
        answers = await self._ask_many(
            [Rpc(method="eth_getTransactionReceipt", params=[h]) for h in hashes]
        )
        return dict(zip(hashes, answers, strict=True))

    async def _ask_many(self, calls: list[Rpc]) -> list[Any]:
        """The answers to ``calls``, a batch at a time (so they fit the client's mailbox)."""
        chain = self._chain
        if chain is None:
            raise ChainError("the nonce manager has not started")
        timeout = self.settings.rpc_timeout
        answers: list[Any] = []
        for start in range(0, len(calls), _RPC_BATCH):
            # Asks are futures, not coroutines: gathering them starts no task.
            answers += await asyncio.gather(
                *(chain.ask(call, timeout) for call in calls[start : start + _RPC_BATCH])
            )
        return answers

    def _lookup(self, path: str) -> ActorRef:
        ref = self.context.system.lookup(path)
        if ref is None:
            raise ConfigError(f"the nonce manager of {self.book.account} finds no actor at {path}")
        return ref

    # -- bookkeeping -----------------------------------------------------------------

    def _queue_check(self) -> None:
        if self._check_queued or not self.book.busy:
            return
        try:
            self.context.self_ref.tell(_Check())
        except MailboxFull:
            return  # the next head queues it
        self._check_queued = True

    def _publish(self, changed: list[TxRecord]) -> None:
        events = self.context.system.events
        if not changed or not events.has_subscribers(TxUpdated):
            return
        for record in changed:
            events.publish(TxUpdated(record=record, in_flight=self.book.in_flight(record.nonce)))


async def _committed(receipt: asyncio.Future[Receipt], timeout: float) -> None:
    """Once the bank's answer to a write has come, wait for its commit (``timeout`` each)."""
    await (await receipt).wait(timeout)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value, 16)
