"""`Executor`: takes each arbitrage opportunity and observes, simulates or sends it."""

from __future__ import annotations

import json
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

import msgspec

from actors.chain import RpcError
from actors.executor._contract import (
    ContractHop,
    allowance_calldata,
    approve_calldata,
    decode_uint,
    execute_calldata,
    execution_gas,
    fee_calldata,
    token_flow,
)
from messages.bank import Opportunity, OpportunityStatus, RecordConfigChange, RecordOpportunity
from messages.chain import NewHead, Reorg, Rpc
from messages.control import SetParam  # noqa: TC001 - handlers' types are read at run time
from messages.executor import (
    Execution,
    ExecutionOutcome,
    ExecutorMode,
    ExecutorStatus,
    GetExecutions,
    GetExecutorStatus,
)
from messages.tx import Submit, TxRefused, TxRequest, TxUpdated
from runtime import Actor, ConfigError, Rejected

if TYPE_CHECKING:
    from runtime import ActorRef

__all__ = ["Executor", "ExecutorSettings"]

MODES: tuple[ExecutorMode, ...] = get_args(ExecutorMode)
_HEADER_WINDOW = 256
_REORGS_KEPT = 64
# A token allowance this large is "unlimited": MAX approvals are not spent down.
_UNLIMITED = 2**255
_APPROVE_GAS = 100_000

# The bank's status for each outcome. Analytics records the opportunity itself
# (``new``); ``observed`` and ``sent`` change nothing yet.
_STATUS: dict[ExecutionOutcome, OpportunityStatus] = {
    "simulated": "simulated",
    "executed": "executed",
    "reverted": "skipped",
    "skipped": "skipped",
    "stale": "stale",
}


@dataclass(frozen=True, slots=True)
class ExecutorSettings:
    """What the executor does and with what; ``[executor]`` in the config.

    Args:
        chain: the chain's name, as in `NewHead.chain`.
        chain_path: where the chain client lives (``/app/chain/devnet``).
        mode: ``observe``, ``simulate`` or ``live`` (changeable at run time).
        account: the bot account: the sender, and the contract's owner.
        contract: our arbitrage contract (``ops/devnet/contracts/Arbitrage.sol``).
        nonce_path: the account's nonce manager; by default the wallet's,
            ``/app/wallet/<account>``. Looked up when a transaction is sent.
        max_age_blocks: an opportunity computed more blocks than this
            below the head is skipped.
        min_profit: the least gain, in start-token units, a sent transaction
            may make; the contract reverts below it.
        v2_fee: the fee of V2 pairs, in hundredths of a basis point.
        rpc_timeout: seconds a call to the chain client or the nonce manager may take.
        settle_blocks: a sent transaction with no final status after this many
            blocks is given up on (its nonce manager still follows it).
        history: `Execution` records kept for `GetExecutions`.

    Raises:
        ConfigError: a value is out of range, or ``simulate``/``live`` without
            an account and a contract.
    """

    chain: str
    chain_path: str
    mode: ExecutorMode = "observe"
    account: str = ""
    contract: str = ""
    nonce_path: str = ""
    max_age_blocks: int = 2
    min_profit: int = 1
    v2_fee: int = 3000
    rpc_timeout: float = 10.0
    settle_blocks: int = 64
    history: int = 1000

    def __post_init__(self) -> None:
        checks = {
            "mode": self.mode in MODES,
            "max_age_blocks": self.max_age_blocks >= 0,
            "min_profit": self.min_profit >= 0,
            "v2_fee": 0 <= self.v2_fee < 1_000_000,
            "rpc_timeout": self.rpc_timeout > 0,
            "settle_blocks": self.settle_blocks >= 1,
            "history": self.history >= 1,
        }
        for key, valid in checks.items():
            if not valid:
                raise ConfigError(f"[executor] {key} = {getattr(self, key)!r} is out of range")
        problem = mode_problem(self, self.mode)
        if problem is not None:
            raise ConfigError(f"[executor] {problem}")

    @property
    def manager_path(self) -> str:
        return self.nonce_path or f"/app/wallet/{self.account.lower()}"


def mode_problem(settings: ExecutorSettings, mode: str) -> str | None:
    """Why ``mode`` cannot run with ``settings``; None if it can."""
    if mode not in MODES:
        return f"mode = {mode!r} is not one of {', '.join(MODES)}"
    if mode != "observe" and not (settings.account and settings.contract):
        return f"mode = {mode!r} needs an account and the arbitrage contract's address"
    return None


class _Sent(msgspec.Struct, frozen=True, kw_only=True):
    opportunity: Opportunity
    tx_hash: str
    simulated_profit: int
    sent_block: int | None


class Executor(Actor):
    """Acts on every `Opportunity` published on ``system.events``, by its mode.

    First, whatever the mode: an opportunity whose block a reorg removed is
    ``stale``, one more than ``max_age_blocks`` below the head ``skipped``.
    Then ``observe`` records it; ``simulate`` ``eth_call``s the exact path
    through the arbitrage contract from the account at the opportunity's
    block and records the contract's profit beside the expected one;
    ``live`` simulates it on the pending state (so nothing is sent that
    would revert there), then sends it as one transaction through the
    account's nonce manager (approving the contract for the start token
    first when needed) and records the realised profit from the receipt.

    Every outcome is an `Execution` (`GetExecutions`), and the opportunity's
    new status (``simulated``, ``executed``, ``skipped``, ``stale``) is
    published as `RecordOpportunity` for the bank. An opportunity analytics
    publishes again as ``stale`` is recorded as such unless already sent. One
    opportunity at a time: a slow node delays the next one, never mixes them.

    Protocol: `Opportunity`, `NewHead`, `Reorg`, `TxUpdated` (from
    ``system.events``), `SetParam` (``mode``, ``max_age_blocks``,
    ``min_profit``; a bad value raises `Rejected`; answers
    `ExecutorStatus`), `GetExecutorStatus`, `GetExecutions`.

    Args:
        settings: the mode, the account, the contract, where the chain is.
    """

    def __init__(self, settings: ExecutorSettings) -> None:
        super().__init__()
        self.settings = settings
        self.mode: ExecutorMode = settings.mode
        self.max_age_blocks = settings.max_age_blocks
        self.min_profit = settings.min_profit
        self.head: int | None = None
        self.hashes: dict[int, str] = {}
        self.reorgs: deque[tuple[int, float]] = deque(maxlen=_REORGS_KEPT)
        self.pools: dict[str, tuple[bool, int]] = {}
        self.approved: set[str] = set()
        self.sent: dict[str, _Sent] = {}
        self.executions: deque[Execution] = deque(maxlen=settings.history)
        self.outcomes: Counter[str] = Counter()
        self.realised: Counter[str] = Counter()
        self._chain: ActorRef | None = None

    # -- lifecycle ------------------------------------------------------------------

    def on_start(self) -> None:
        chain = self.context.system.lookup(self.settings.chain_path)
        if chain is None:
            raise ConfigError(f"the executor finds no chain client at {self.settings.chain_path}")
        self._chain = chain
        events = self.context.system.events
        for kind in (Opportunity, NewHead, Reorg, TxUpdated):
            events.subscribe(kind, self.context.self_ref)
        self.log.info("executor_started", mode=self.mode, account=self.settings.account)

    def on_stop(self) -> None:
        self.context.system.events.unsubscribe_all(self.context.self_ref)

    # -- the protocol -------------------------------------------------------------------

    async def on_opportunity(self, opportunity: Opportunity) -> None:
        if opportunity.status != "new":
            # Analytics publishes an opportunity again as ``stale`` when a reorg
            # removes its block; it has recorded that status itself.
            if opportunity.status == "stale" and opportunity.id not in self.sent:
                self._record(opportunity, "stale", reason="analytics marked it stale", bank=False)
            return
        stale = await self._stale(opportunity)
        if stale is not None:
            self._record(opportunity, "stale", reason=stale)
            return
        head = self.head if self.head is not None else await self._head()
        age = head - opportunity.block
        if age > self.max_age_blocks:
            reason = f"computed on block {opportunity.block}, {age} blocks below the head"
            self._record(opportunity, "skipped", reason=reason)
        elif self.mode == "observe":
            self._record(opportunity, "observed")
        elif self.mode == "simulate":
            await self._simulate(opportunity)
        else:
            await self._send(opportunity)

    async def on_tx_updated(self, message: TxUpdated) -> None:
        record = message.record
        sent = self.sent.get(record.opportunity_id or "")
        if sent is None or record.status not in {"mined", "failed"}:
            return
        del self.sent[sent.opportunity.id]
        if record.status == "failed":
            self._record(
                sent.opportunity, "reverted", simulated_profit=sent.simulated_profit,
                tx_hash=record.hash, reason="the transaction reverted",
            )  # fmt: skip
            return
        receipt = await self._rpc("eth_getTransactionReceipt", record.hash)
        start = sent.opportunity.path[0].token_in
        realised = token_flow(receipt["logs"], start, self.settings.account)
        outcome: ExecutionOutcome = "executed" if record.kind != "cancel" else "skipped"
        self._record(
            sent.opportunity, outcome, simulated_profit=sent.simulated_profit,
            realised_profit=realised, tx_hash=record.hash,
            reason="cancelled by its nonce manager" if outcome == "skipped" else None,
        )  # fmt: skip

    def on_new_head(self, message: NewHead) -> None:
        if message.chain != self.settings.chain:
            return
        self.head = message.number
        self.hashes[message.number] = message.hash
        for number in [n for n in self.hashes if n <= message.number - _HEADER_WINDOW]:
            del self.hashes[number]
        for sent in list(self.sent.values()):
            if sent.sent_block is not None and (
                message.number - sent.sent_block > self.settings.settle_blocks
            ):
                del self.sent[sent.opportunity.id]
                reason = f"no final status within {self.settings.settle_blocks} blocks"
                self._record(sent.opportunity, "skipped", tx_hash=sent.tx_hash, reason=reason)

    def on_reorg(self, message: Reorg) -> None:
        if message.chain != self.settings.chain:
            return
        for number in [n for n in self.hashes if n > message.ancestor_number]:
            del self.hashes[number]
        self.reorgs.append((message.ancestor_number, time.time()))

    def on_set_param(self, message: SetParam) -> ExecutorStatus:
        name, value = message.name, message.value
        if name == "mode":
            problem = mode_problem(self.settings, str(value))
            if problem is not None or not isinstance(value, str):
                raise Rejected(problem or f"mode must be a string, not {value!r}")
            self.mode = MODES[MODES.index(value)]
        elif name in {"max_age_blocks", "min_profit"}:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise Rejected(f"{name} must be a non-negative integer, not {value!r}")
            setattr(self, name, value)
        else:
            raise Rejected(
                f"the executor has no parameter {name!r} (it has mode, max_age_blocks, min_profit)"
            )
        self.log.info("executor_param_set", name=name, value=value)
        self.context.system.events.publish(
            RecordConfigChange(
                path=self.context.path, name=name, value=json.dumps(value), at=time.time()
            )
        )
        return self.on_get_executor_status(GetExecutorStatus())

    def on_get_executor_status(self, message: GetExecutorStatus) -> ExecutorStatus:
        return ExecutorStatus(
            mode=self.mode,
            account=self.settings.account,
            contract=self.settings.contract,
            max_age_blocks=self.max_age_blocks,
            min_profit=self.min_profit,
            head_block=self.head,
            in_flight=len(self.sent),
            outcomes=dict(self.outcomes),
            realised_profit=dict(self.realised),
        )

    def on_get_executions(self, message: GetExecutions) -> list[Execution]:
        return list(self.executions)[-message.limit :][::-1]

    # -- the modes ------------------------------------------------------------------------

    async def _simulate(self, opportunity: Opportunity) -> None:
        """The contract's profit for the exact path at the opportunity's block (min_profit 0)."""
        try:
            hops = await self._hops(opportunity)
            profit = await self._call(opportunity, hops, 0, hex(opportunity.block))
        except RpcError as exc:
            self._record(opportunity, "skipped", reason=f"simulation reverted: {exc.node_message}")
            return
        self._record(opportunity, "simulated", simulated_profit=profit)

    async def _send(self, opportunity: Opportunity) -> None:
        manager = self.context.system.lookup(self.settings.manager_path)
        if manager is None:
            reason = f"no nonce manager at {self.settings.manager_path}"
            self._record(opportunity, "skipped", reason=reason)
            return
        start = opportunity.path[0].token_in
        try:
            hops = await self._hops(opportunity)
            await self._approve(manager, start)
            profit = await self._call(opportunity, hops, self.min_profit, "pending")
        except RpcError as exc:
            self._record(opportunity, "skipped", reason=f"simulation reverted: {exc.node_message}")
            return
        except _Refused as exc:
            self._record(opportunity, "skipped", reason=str(exc))
            return
        request = TxRequest(
            to=self.settings.contract,
            gas=execution_gas(len(hops)),
            data=execute_calldata(hops, opportunity.amount_in, self.min_profit),
            opportunity_id=opportunity.id,
        )
        reply = await manager.ask(Submit(request), timeout=self.settings.rpc_timeout)
        if isinstance(reply, TxRefused):
            reason = f"the transaction was refused: {reply.reason}"
            self._record(opportunity, "skipped", simulated_profit=profit, reason=reason)
            return
        self.sent[opportunity.id] = _Sent(
            opportunity=opportunity, tx_hash=reply, simulated_profit=profit, sent_block=self.head
        )
        self._record(opportunity, "sent", simulated_profit=profit, tx_hash=reply)

    # -- the chain ----------------------------------------------------------------------

    async def _stale(self, opportunity: Opportunity) -> str | None:
        """Why the opportunity's block is no longer on the chain; None while it is.

        With the block's hash (an ``Opportunity.block_hash``, when it has one)
        the check is exact; without, an opportunity is stale when a reorg
        below its block was seen after it was detected.
        """
        block_hash = str(getattr(opportunity, "block_hash", "") or "").lower()
        if not block_hash:
            for ancestor, seen_at in self.reorgs:
                if ancestor < opportunity.block and opportunity.detected_at <= seen_at:
                    return f"a reorg back to block {ancestor} came after it"
            return None
        known = self.hashes.get(opportunity.block)
        if known is None:
            block = await self._rpc("eth_getBlockByNumber", hex(opportunity.block), False)  # noqa: FBT003 - a JSON-RPC parameter
            known = None if block is None else str(block["hash"])
        if known != block_hash:
            return f"block {opportunity.block} is now {known}, not {block_hash}"
        return None

    async def _hops(self, opportunity: Opportunity) -> list[ContractHop]:
        """The path as the contract takes it; each pool's kind is asked of the chain once."""
        hops = []
        for hop in opportunity.path:
            kind = self.pools.get(hop.pool)
            if kind is None:
                try:
                    fee = decode_uint(
                        await self._rpc(
                            "eth_call", {"to": hop.pool, "data": fee_calldata()}, "latest"
                        )
                    )
                except RpcError:
                    kind = (False, self.settings.v2_fee)  # a V2 pair has no fee()
                else:
                    kind = (True, fee)
                self.pools[hop.pool] = kind
            hops.append(ContractHop(hop.pool, hop.token_in, hop.token_out, *kind))
        return hops

    async def _call(
        self, opportunity: Opportunity, hops: list[ContractHop], min_profit: int, block: str
    ) -> int:
        data = execute_calldata(hops, opportunity.amount_in, min_profit)
        call = {"from": self.settings.account, "to": self.settings.contract, "data": data}
        return decode_uint(await self._rpc("eth_call", call, block))

    async def _approve(self, manager: ActorRef, token: str) -> None:
        """Make sure the contract may spend the account's ``token``: approve it once, unlimited."""
        if token in self.approved:
            return
        data = allowance_calldata(self.settings.account, self.settings.contract)
        allowance = decode_uint(await self._rpc("eth_call", {"to": token, "data": data}, "pending"))
        if allowance < _UNLIMITED:
            request = TxRequest(
                to=token, gas=_APPROVE_GAS, data=approve_calldata(self.settings.contract)
            )
            reply = await manager.ask(Submit(request), timeout=self.settings.rpc_timeout)
            if isinstance(reply, TxRefused):
                raise _Refused(f"approving the contract for {token} was refused: {reply.reason}")
            self.log.info("executor_approved", token=token, tx_hash=reply)
        self.approved.add(token)

    async def _head(self) -> int:
        self.head = int(await self._rpc("eth_blockNumber"), 16)
        return self.head

    async def _rpc(self, method: str, *params: object) -> Any:
        if self._chain is None:
            raise ConfigError("the executor has not started")
        return await self._chain.ask(
            Rpc(method=method, params=list(params)), timeout=self.settings.rpc_timeout
        )

    # -- records ---------------------------------------------------------------------

    def _record(
        self,
        opportunity: Opportunity,
        outcome: ExecutionOutcome,
        *,
        bank: bool = True,
        **fields: Any,
    ) -> None:
        execution = Execution(
            opportunity_id=opportunity.id,
            block=opportunity.block,
            mode=self.mode,
            outcome=outcome,
            start_token=opportunity.path[0].token_in,
            amount_in=opportunity.amount_in,
            expected_profit=opportunity.amount_out - opportunity.amount_in,
            at=time.time(),
            **fields,
        )
        self.executions.append(execution)
        self.outcomes[outcome] += 1
        if outcome == "executed" and execution.realised_profit is not None:
            self.realised[execution.start_token] += execution.realised_profit
        self.log.info(
            "opportunity_handled",
            outcome=outcome,
            id=opportunity.id,
            block=opportunity.block,
            expected_profit=execution.expected_profit,
            simulated_profit=execution.simulated_profit,
            realised_profit=execution.realised_profit,
            tx_hash=execution.tx_hash,
            reason=execution.reason,
        )
        status = _STATUS.get(outcome)
        if bank and status is not None:
            updated = msgspec.structs.replace(
                opportunity,
                status=status,
                simulated_profit=execution.simulated_profit,
                realised_profit=execution.realised_profit,
                tx_hash=execution.tx_hash,
            )
            self.context.system.events.publish(RecordOpportunity(opportunity=updated))


class _Refused(Exception):
    """The nonce manager refused a transaction the executor needs first."""
