"""The nonce manager and the bank: submits answered once recorded; a new process restored."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from eth_account import Account

from actors.bank import BANK_MAILBOX, Bank, BankSettings, BankUnavailable, Receipt
from actors.nonce import NonceBook
from actors.nonce._adopt import adoptable, ours, pooled
from messages.bank import (
    BankHealth,
    GetBankHealth,
    QueryInFlight,
    QueryTxs,
    RecordTx,
)
from messages.tx import InFlightTx, Submit, TxRefused
from runtime import Actor
from tests.actors.nonce.conftest import (
    ACCOUNT,
    KEY,
    OTHER,
    Rig,
    new_system,
    start_wallet,
    transfer,
)
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from pathlib import Path

    from messages.tx import TxRecord
    from runtime import ActorRef, ActorSystem
    from tests.fixtures.anvil import AnvilNode

pytestmark = pytest.mark.timeout(60)

CHAIN_ID = 31337


def signed_elsewhere(nonce: int, value: int) -> tuple[str, str]:
    """A transfer of ours signed elsewhere, like one sent just before a crash: (hash, raw)."""
    signed = Account.from_key(KEY).sign_transaction(
        {
            "type": 2,
            "chainId": CHAIN_ID,
            "nonce": nonce,
            "to": Account.from_key(KEY).address,
            "value": value,
            "gas": 21_000,
            "maxFeePerGas": 5_000_000_000,
            "maxPriorityFeePerGas": 1_000_000_000,
        }
    )
    return signed.hash.to_0x_hex(), signed.raw_transaction.to_0x_hex()


async def start_bank(system: ActorSystem, path: Path) -> ActorRef:
    return await system.spawn(
        partial(Bank, BankSettings(path=path)), name="bank", mailbox=BANK_MAILBOX
    )


async def bank_txs(bank: ActorRef) -> dict[str, TxRecord]:
    records: list[TxRecord] = await bank.ask(QueryTxs(limit=1000), timeout=10)
    return {record.hash: record for record in records}


async def bank_in_flight(bank: ActorRef) -> list[int]:
    entries: list[InFlightTx] = await bank.ask(QueryInFlight(ACCOUNT), timeout=10)
    return [entry.nonce for entry in entries]


async def settle(rig: Rig, bank: ActorRef, hashes: list[str]) -> dict[str, TxRecord]:
    """Mine until the manager has nothing in flight and the bank says ``hashes`` are final."""

    async def final() -> bool:
        if (await rig.status()).in_flight:
            return False
        records = await bank_txs(bank)
        return all(h in records and records[h].status != "pending" for h in hashes)

    await rig.mine_until(final)
    return await bank_txs(bank)


class HeldBank(Actor):
    """A bank whose commits the test decides: each `RecordTx` waits in ``writes``."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[RecordTx, asyncio.Future[dict[int, str]]]] = []

    def on_get_bank_health(self, message: GetBankHealth) -> BankHealth:
        return BankHealth(
            path="held", state="ok", error=None, schema_version=None, synchronous="full",
            pending_rows=len(self.writes), committed_rows_total=0, commits_total=0,
            failed_commits_total=0, dropped_writes_total=0, pruned_rows_total=0,
            last_commit_rows=0, last_commit_ms=None,
        )  # fmt: skip

    def on_query_in_flight(self, message: QueryInFlight) -> list[InFlightTx]:
        return []

    def on_query_txs(self, message: QueryTxs) -> list[TxRecord]:
        return []

    def on_record_tx(self, message: RecordTx) -> Receipt:
        commit: asyncio.Future[dict[int, str]] = self.context.system.loop.create_future()
        self.writes.append((message, commit))
        return Receipt(commit, message)


async def start_held(anvil_node: AnvilNode, system: ActorSystem) -> tuple[Rig, HeldBank]:
    banks: list[HeldBank] = []

    def factory() -> HeldBank:
        banks.append(HeldBank())
        return banks[-1]

    await system.spawn(factory, name="bank")
    rig = await start_wallet(anvil_node, system, bank_path="/bank")
    return rig, banks[-1]


async def test_submits_are_sent_and_answered_only_once_the_bank_commits_their_records(
    anvil_node: AnvilNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", KEY)
    await anvil_node.rpc("evm_setAutomine", False)
    async with new_system() as system:
        rig, bank = await start_held(anvil_node, system)
        asks = [rig.manager.ask(Submit(transfer(value=v)), timeout=30) for v in (1, 2, 3)]
        # All three signed and waiting for their commit: the manager took each
        # submit while the ones before it waited.
        await eventually(lambda: len(bank.writes) == 3)
        written = [write.record for write, _ in bank.writes]
        assert [r.nonce for r in written] == [0, 1, 2]
        assert [write.in_flight.nonce for write, _ in bank.writes if write.in_flight] == [0, 1, 2]
        assert not any(ask.done() for ask in asks)
        assert await rig.chain_nonce(block="pending") == 0
        for _, commit in bank.writes:
            commit.set_result({})
        hashes = await asyncio.gather(*asks)
        assert hashes == [r.hash for r in written]
        assert await rig.chain_nonce(block="pending") == 3


async def test_a_submit_the_bank_does_not_record_is_refused_unsent_and_its_nonce_reused(
    anvil_node: AnvilNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", KEY)
    await anvil_node.rpc("evm_setAutomine", False)
    async with new_system() as system:
        rig, bank = await start_held(anvil_node, system)
        refused = rig.manager.ask(Submit(transfer(value=1)), timeout=30)
        await eventually(lambda: len(bank.writes) == 1)
        bank.writes[0][1].set_exception(BankUnavailable("write not recorded: disk full"))
        reply = await refused
        assert isinstance(reply, TxRefused)
        assert "not recorded" in reply.reason
        assert not reply.invalid
        accepted = rig.manager.ask(Submit(transfer(value=2)), timeout=30)
        await eventually(lambda: len(bank.writes) == 2)
        bank.writes[1][1].set_result({})
        tx_hash = await accepted
        assert bank.writes[1][0].record.nonce == 0
        assert await rig.chain_nonce(block="pending") == 1
        assert (await rig.node.rpc("eth_getTransactionByHash", tx_hash))["nonce"] == "0x0"


# -- adopting what the node knows: pure ----------------------------------------------


def node_tx(**fields: Any) -> dict[str, Any]:
    tx = {
        "hash": "0xaa",
        "from": ACCOUNT,
        "nonce": "0x3",
        "type": "0x2",
        "chainId": hex(CHAIN_ID),
        "to": OTHER,
        "gas": "0x5208",
        "value": "0x1",
        "input": "0x",
        "maxFeePerGas": "0x10",
        "maxPriorityFeePerGas": "0x1",
        "accessList": [],
    }
    tx.update(fields)
    return tx


def test_a_type_2_transfer_gives_back_its_request_and_fees() -> None:
    fields = adoptable(node_tx(), CHAIN_ID)
    assert fields is not None
    request, fees = fields
    assert (request.to, request.gas, request.value, request.data) == (OTHER, 21_000, 1, "0x")
    assert fees == (16, 1)


@pytest.mark.parametrize(
    "fields",
    [{"type": "0x0"}, {"chainId": "0x1"}, {"to": None}, {"accessList": [{"address": OTHER}]}],
)
def test_what_the_signer_would_not_sign_the_same_way_is_not_adoptable(
    fields: dict[str, Any],
) -> None:
    assert adoptable(node_tx(**fields), CHAIN_ID) is None


def test_only_the_accounts_transactions_are_ours_lowest_nonce_first() -> None:
    txs = [node_tx(nonce="0x5"), node_tx(**{"from": OTHER}), node_tx(nonce="0x2")]
    assert [tx["nonce"] for tx in ours(txs, ACCOUNT)] == ["0x2", "0x5"]


def test_pooled_transactions_are_read_from_pending_and_queued() -> None:
    content = {
        "pending": {ACCOUNT.upper().replace("0X", "0x"): {"4": node_tx(nonce="0x4")}},
        "queued": {ACCOUNT: {"9": node_tx(nonce="0x9")}, OTHER: {"1": node_tx(nonce="0x1")}},
    }
    assert [tx["nonce"] for tx in pooled(content, ACCOUNT)] == ["0x4", "0x9"]


# -- with a real bank and a real anvil ------------------------------------------------


async def test_every_status_change_reaches_the_bank_and_query_txs_lists_it(
    anvil_node: AnvilNode, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", KEY)
    await anvil_node.rpc("evm_setAutomine", False)
    async with new_system() as system:
        bank = await start_bank(system, tmp_path / "arbiter.db")
        rig = await start_wallet(anvil_node, system, bank_path="/bank")
        hashes = [await rig.submit(transfer(value=v, opportunity_id=f"opp-{v}")) for v in (1, 2)]
        # Answered means committed: no waiting for the bank.
        assert await bank_in_flight(bank) == [0, 1]
        assert {r.status for r in (await bank_txs(bank)).values()} == {"pending"}
        records = await settle(rig, bank, hashes)
        assert await bank_in_flight(bank) == []
    assert [(records[h].nonce, records[h].status) for h in hashes] == [(0, "mined"), (1, "mined")]
    assert records[hashes[1]].opportunity_id == "opp-2"
    receipt = await anvil_node.rpc("eth_getTransactionReceipt", hashes[0])
    assert records[hashes[0]].block == int(receipt["blockNumber"], 16)


async def test_a_new_process_takes_its_transactions_in_flight_back_from_the_bank(
    anvil_node: AnvilNode, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", KEY)
    await anvil_node.rpc("evm_setAutomine", False)
    async with new_system() as system:
        bank = await start_bank(system, tmp_path / "arbiter.db")
        before = await start_wallet(anvil_node, system, bank_path="/bank")
        hashes = [await before.submit(transfer(value=v)) for v in range(1, 4)]
        assert await bank_in_flight(bank) == [0, 1, 2]
    # While no process ran, the node lost the last one: only the bank remembers it.
    await anvil_node.rpc("anvil_dropTransaction", hashes[2])

    async with new_system() as system:
        bank = await start_bank(system, tmp_path / "arbiter.db")
        after = await start_wallet(anvil_node, system, NonceBook(ACCOUNT), bank_path="/bank")
        assert [entry.nonce for entry in await after.in_flight()] == [0, 1, 2]
        new = await after.submit(transfer(value=99))
        records = await settle(after, bank, [*hashes, new])
    assert records[new].nonce == 3
    assert [records[h].status for h in [*hashes, new]] == ["mined"] * 4
    assert int(await anvil_node.rpc("eth_getTransactionCount", ACCOUNT, "latest"), 16) == 4


async def test_a_transaction_in_the_pool_that_the_bank_never_heard_of_is_adopted(
    anvil_node: AnvilNode, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", KEY)
    await anvil_node.rpc("evm_setAutomine", False)
    lost, raw = signed_elsewhere(nonce=0, value=7)
    await anvil_node.rpc("eth_sendRawTransaction", raw)
    async with new_system() as system:
        bank = await start_bank(system, tmp_path / "arbiter.db")
        rig = await start_wallet(anvil_node, system, bank_path="/bank")
        new = await rig.submit(transfer())
        records = await settle(rig, bank, [lost, new])
    assert (records[lost].nonce, records[lost].status, records[lost].value) == (0, "mined", 7)
    assert (records[new].nonce, records[new].status) == (1, "mined")


async def test_a_transaction_mined_before_its_record_reached_the_bank_is_found_and_recorded(
    anvil_node: AnvilNode, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", KEY)
    async with new_system() as system:
        bank = await start_bank(system, tmp_path / "arbiter.db")
        before = await start_wallet(anvil_node, system, bank_path="/bank")
        first = await before.submit(transfer())
        await settle(before, bank, [first])
    # Sent and mined, then the process died before the bank heard of it; a
    # few blocks went by since.
    lost, raw = signed_elsewhere(nonce=1, value=5)
    await anvil_node.rpc("eth_sendRawTransaction", raw)
    for _ in range(3):
        await anvil_node.rpc("evm_mine")

    async with new_system() as system:
        bank = await start_bank(system, tmp_path / "arbiter.db")
        after = await start_wallet(anvil_node, system, bank_path="/bank")
        new = await after.submit(transfer())
        records = await settle(after, bank, [lost, new])
    receipt = await anvil_node.rpc("eth_getTransactionReceipt", lost)
    assert (records[lost].status, records[lost].block) == ("mined", int(receipt["blockNumber"], 16))
    assert (records[lost].nonce, records[new].nonce) == (1, 2)
    assert records[first].status == "mined"
