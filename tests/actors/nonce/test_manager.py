"""The nonce manager against a real anvil: sequential nonces, gaps repaired, stuck txs replaced."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from functools import partial
from typing import TYPE_CHECKING

import msgspec
import pytest
from eth_account import Account
from web3 import AsyncWeb3
from web3.exceptions import Web3RPCError

from actors.nonce import InvalidTxRequest, NonceBook, TxRejected, submit
from messages.tx import Submit, TxRecord, TxRequest, TxUpdated
from runtime import Actor
from tests.actors.nonce.conftest import (
    ACCOUNT,
    KEY,
    OTHER,
    OTHER_KEY,
    POLICY,
    Rig,
    new_system,
    rpc_batch,
    start_wallet,
    transfer,
)
from tests.fixtures.devnet import web3
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from web3 import AsyncHTTPProvider

    from runtime import ActorRef
    from tests.fixtures.anvil import AnvilNode

pytestmark = pytest.mark.timeout(60)


class Burst(msgspec.Struct, frozen=True):
    count: int


class Submitter(Actor):
    """Asks the nonce manager for ``count`` submits at once, and answers their hashes."""

    def __init__(self, manager: ActorRef, index: int) -> None:
        super().__init__()
        self.manager = manager
        self.index = index

    async def on_burst(self, message: Burst) -> list[str]:
        asks = [
            self.manager.ask(Submit(transfer(value=self.index * 1000 + i + 1)), timeout=60)
            for i in range(message.count)
        ]
        return list(await asyncio.gather(*asks))


async def test_a_submit_is_signed_sent_and_followed_until_mined(wallet: Rig) -> None:
    tx_hash = await wallet.submit(transfer())
    await wallet.settled(1)
    (record,) = await wallet.txs()
    receipt = await wallet.node.rpc("eth_getTransactionReceipt", tx_hash)
    assert record.hash == tx_hash
    assert record.status == "mined"
    assert record.nonce == 0
    assert record.block == int(receipt["blockNumber"], 16)
    assert receipt["from"] == ACCOUNT


class Updates(Actor):
    """Keeps every published `TxUpdated`."""

    def __init__(self, seen: list[TxUpdated]) -> None:
        super().__init__()
        self.seen = seen

    def on_updated(self, message: TxUpdated) -> None:
        self.seen.append(message)


async def test_every_status_change_is_published_with_the_nonces_state(wallet: Rig) -> None:
    seen: list[TxUpdated] = []
    recorder = await wallet.system.spawn(partial(Updates, seen), name="updates")
    wallet.system.events.subscribe(TxUpdated, recorder)
    tx_hash = await wallet.submit(transfer(opportunity_id="opp-7"))
    await wallet.settled(1)
    await eventually(lambda: len(seen) == 2)
    pending, mined = seen
    assert (pending.record.hash, pending.record.status) == (tx_hash, "pending")
    assert pending.in_flight is not None
    assert [a.record.hash for a in pending.in_flight.attempts] == [tx_hash]
    assert (mined.record.status, mined.in_flight) == ("mined", None)
    assert mined.record.opportunity_id == "opp-7"


def test_a_record_serialises_to_the_api_fields() -> None:
    record = TxRecord(hash="0xab", account=ACCOUNT, nonce=3, status="mined", block=9)
    fields = msgspec.json.decode(msgspec.json.encode(record))
    for key in ("hash", "account", "nonce", "status", "block", "opportunity_id"):
        assert key in fields
    assert fields["status"] == "mined"


async def test_a_thousand_concurrent_submits_from_twenty_actors_mine_nonces_0_to_999(
    wallet: Rig,
) -> None:
    submitters = [
        await wallet.system.spawn(partial(Submitter, wallet.manager, i), name=f"submitter-{i}")
        for i in range(20)
    ]
    # A block a second, not one per transaction: anvil answers calls on a
    # connection with a newHeads subscription about 8 ms late when it mines
    # a block per call (the chain client's connection is one such).
    await wallet.node.rpc("evm_setIntervalMining", 1)
    started = time.perf_counter()
    replies = await asyncio.gather(*(s.ask(Burst(50), timeout=60) for s in submitters))
    sent_s = time.perf_counter() - started
    await wallet.settled(1000)
    mined_s = time.perf_counter() - started
    hashes = [h for hashes in replies for h in hashes]
    assert len(set(hashes)) == 1000

    records = await wallet.txs()
    assert {r.hash for r in records} == set(hashes)
    assert sorted(r.nonce for r in records) == list(range(1000))
    assert {r.status for r in records} == {"mined"}
    assert await wallet.chain_nonce() == 1000
    on_chain = await rpc_batch(wallet.node, [("eth_getTransactionByHash", [h]) for h in hashes])
    assert sorted(int(tx["nonce"], 16) for tx in on_chain) == list(range(1000))
    assert {tx["from"] for tx in on_chain} == {ACCOUNT}
    print(  # noqa: T201 - the numbers are the point
        f"\nnonce manager: 1000 submits from 20 actors: all sent in {sent_s:.2f} s "
        f"({1000 / sent_s:.0f}/s), all mined in {mined_s:.2f} s; 0 rejected"
    )


async def _send_the_ordinary_way(
    w3: AsyncWeb3[AsyncHTTPProvider], sender: int, count: int, outcomes: Counter[str]
) -> None:
    """web3.py's ordinary way: ask the node for the pending count, sign, send; no lock."""
    account = Account.from_key(OTHER_KEY)
    for i in range(count):
        nonce = await w3.eth.get_transaction_count(account.address, "pending")
        signed = account.sign_transaction(
            {
                "type": 2,
                "chainId": 31337,
                "nonce": nonce,
                "to": AsyncWeb3.to_checksum_address(ACCOUNT),
                "value": sender * 1000 + i + 1,
                "gas": 21_000,
                "maxFeePerGas": 3_000_000_000,
                "maxPriorityFeePerGas": 1_000_000_000,
            }
        )
        try:
            await w3.eth.send_raw_transaction(signed.raw_transaction)
        except Web3RPCError as exc:
            error = (exc.rpc_response or {}).get("error")
            outcomes[error["message"] if isinstance(error, dict) else exc.message] += 1
        else:
            outcomes["sent"] += 1


async def test_senders_that_each_ask_the_node_for_the_pending_count_collide(
    anvil_node: AnvilNode,
) -> None:
    outcomes: Counter[str] = Counter()
    async with web3(anvil_node.http_url) as w3:
        await asyncio.gather(*(_send_the_ordinary_way(w3, s, 10, outcomes) for s in range(20)))
    refused = sum(n for outcome, n in outcomes.items() if outcome != "sent")

    async def accepted_all_mined() -> bool:
        return await anvil_node_nonce(anvil_node, OTHER) == outcomes["sent"]

    await eventually(accepted_all_mined)
    print(  # noqa: T201 - the numbers are the point
        f"\nweb3.py ordinary way: 200 sends from 20 concurrent senders: {outcomes['sent']} "
        f"accepted and mined, {refused} refused: {dict(outcomes)}"
    )
    assert outcomes.total() == 200
    assert outcomes["nonce too low"] > 0
    assert outcomes["sent"] < 200


async def anvil_node_nonce(node: AnvilNode, account: str) -> int:
    return int(await node.rpc("eth_getTransactionCount", account, "latest"), 16)


async def test_a_dropped_transaction_is_sent_again_and_the_ones_after_it_mine(
    wallet: Rig,
) -> None:
    await wallet.node.rpc("evm_setAutomine", False)
    hashes = [await wallet.submit(transfer(value=v)) for v in range(1, 6)]
    assert await wallet.node.rpc("anvil_dropTransaction", hashes[2]) == hashes[2]
    await wallet.mine()
    assert await wallet.chain_nonce() == 2  # 3 and 4 wait for the gap at 2

    async def all_mined() -> bool:
        return (await wallet.status()).mined_total == 5

    await wallet.mine_until(all_mined)
    status = await wallet.status()
    assert status.rebroadcasts_total >= 1
    assert status.replacements_total == status.fills_total == 0
    records = {r.nonce: r for r in await wallet.txs()}
    assert [records[n].hash for n in range(5)] == hashes
    assert {r.status for r in records.values()} == {"mined"}

    await wallet.node.rpc("evm_setAutomine", True)
    later = await wallet.submit(transfer())
    await wallet.settled(6)
    assert (await wallet.txs(1))[0].hash == later
    assert (await wallet.txs(1))[0].nonce == 5
    assert await wallet.chain_nonce() == 6


async def test_a_send_the_node_refuses_mid_batch_leaves_no_gap(wallet: Rig) -> None:
    too_much = transfer(value=10**30)  # more than the account holds
    too_cheap = transfer(max_fee_per_gas=7, max_priority_fee_per_gas=1)  # under the base fee
    requests = [transfer(value=v) for v in range(1, 31)]
    requests[10] = too_much
    requests[20] = too_cheap
    outcomes = await asyncio.gather(
        *(submit(wallet.manager, r) for r in requests), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, TxRejected)]
    assert [str(o.node_message).lower() for o in refused] == [
        "insufficient funds for gas * price + value",
        "max fee per gas less than block base fee",
    ]
    assert outcomes.index(refused[0]) == 10
    assert outcomes.index(refused[1]) == 20
    await wallet.settled(28)
    mined = [r for r in await wallet.txs() if r.status == "mined"]
    assert sorted(r.nonce for r in mined) == list(range(28))
    assert await wallet.chain_nonce() == 28
    status = await wallet.status()
    assert status.next_nonce == 28
    assert status.rejected_total == 2
    dropped = [r for r in await wallet.txs() if r.status == "dropped"]
    assert {r.error for r in dropped} == {o.node_message for o in refused}


async def test_an_invalid_request_is_refused_before_any_nonce_is_used(wallet: Rig) -> None:
    with pytest.raises(InvalidTxRequest, match="to"):
        await wallet.submit(TxRequest(to="0x1234", gas=21_000))
    with pytest.raises(InvalidTxRequest, match="gas"):
        await wallet.submit(TxRequest(to=OTHER, gas=20_000))
    await wallet.submit(transfer())
    await wallet.settled(1)
    assert [r.nonce for r in await wallet.txs()] == [0]


async def test_a_nonce_taken_behind_its_back_is_resynced_and_the_submit_still_succeeds(
    wallet: Rig,
) -> None:
    await wallet.submit(transfer())
    await wallet.settled(1)
    # Someone else sends from the same account: nonce 1 is gone.
    stranger = Account.from_key(KEY).sign_transaction(
        {
            "type": 2,
            "chainId": 31337,
            "nonce": 1,
            "to": AsyncWeb3.to_checksum_address(OTHER),
            "value": 7,
            "gas": 21_000,
            "maxFeePerGas": 3_000_000_000,
            "maxPriorityFeePerGas": 1_000_000_000,
        }
    )
    await wallet.node.rpc("eth_sendRawTransaction", stranger.raw_transaction.to_0x_hex())
    tx_hash = await wallet.submit(transfer())
    await wallet.settled(2)
    newest = (await wallet.txs(1))[0]
    assert (newest.hash, newest.nonce, newest.status) == (tx_hash, 2, "mined")
    assert (await wallet.status()).resyncs_total == 1
    assert await wallet.chain_nonce() == 3


async def test_a_transaction_stuck_under_a_rising_base_fee_is_replaced_with_bumped_fees(
    wallet: Rig,
) -> None:
    await wallet.node.rpc("evm_setAutomine", False)
    original = await wallet.submit(transfer())
    # The base fee jumps far above the offered fee cap: the transaction cannot be mined.
    await wallet.node.rpc("anvil_setNextBlockBaseFeePerGas", hex(100 * 10**9))

    async def mined() -> bool:
        return (await wallet.status()).mined_total == 1

    await wallet.mine_until(mined)
    status = await wallet.status()
    assert status.rebroadcasts_total >= 1
    assert status.replacements_total >= 1
    records = await wallet.txs()
    first = next(r for r in records if r.hash == original)
    winner = next(r for r in records if r.status == "mined")
    assert first.status == "replaced"
    assert winner.kind == "replacement"
    assert winner.nonce == first.nonce == 0
    assert winner.max_fee_per_gas * 10 >= first.max_fee_per_gas * 11
    assert winner.max_priority_fee_per_gas * 10 >= first.max_priority_fee_per_gas * 11
    receipt = await wallet.node.rpc("eth_getTransactionReceipt", winner.hash)
    assert int(receipt["blockNumber"], 16) == winner.block
    assert await wallet.chain_nonce() == 1


async def test_transactions_in_blocks_orphaned_by_a_reorg_are_sent_again_and_mine(
    wallet: Rig,
) -> None:
    await wallet.node.rpc("anvil_mine", "0x5")
    hashes = [await wallet.submit(transfer(value=v)) for v in range(1, 4)]
    await wallet.settled(3)
    before = {r.hash: r.block for r in await wallet.txs()}
    tip = int(await wallet.node.rpc("eth_blockNumber"), 16)
    assert sorted(before.values()) == [tip - 2, tip - 1, tip]
    # The replacement blocks hold a stranger's transfer, so they differ from the orphans.
    stranger = {"from": OTHER, "to": OTHER, "value": "0x1"}
    await wallet.node.rpc("anvil_reorg", 4, [[stranger, 0]])
    assert await wallet.chain_nonce() == 0  # anvil dropped our three transactions

    async def mined_again() -> bool:
        status = await wallet.status()
        return status.orphaned_total == 3 and status.in_flight == 0

    await eventually(mined_again, timeout=30)
    records = {r.hash: r for r in await wallet.txs()}
    assert set(records) == set(hashes)
    assert [records[h].nonce for h in hashes] == [0, 1, 2]
    for tx_hash in hashes:
        receipt = await wallet.node.rpc("eth_getTransactionReceipt", tx_hash)
        assert records[tx_hash].status == "mined"
        assert records[tx_hash].block == int(receipt["blockNumber"], 16)
        assert records[tx_hash].block > tip - 4
    assert await wallet.chain_nonce() == 3
    assert (await wallet.status()).next_nonce == 3


async def test_a_transaction_that_can_never_be_mined_is_cancelled_by_a_self_transfer(
    wallet: Rig,
) -> None:
    await wallet.node.rpc("evm_setAutomine", False)
    # anvil pools it, but 64 bytes of calldata need more than its 21,000 gas.
    doomed = await wallet.submit(transfer(data="0x" + "ff" * 64, opportunity_id="opp-1"))

    async def settled() -> bool:
        return (await wallet.status()).in_flight == 0

    await wallet.mine_until(settled, blocks=30)
    status = await wallet.status()
    assert status.replacements_total == POLICY.max_replacements
    assert status.cancels_total == 1
    records = await wallet.txs()
    cancel = next(r for r in records if r.status == "mined")
    assert cancel.kind == "cancel"
    assert (cancel.to, cancel.value, cancel.nonce) == (ACCOUNT, 0, 0)
    assert cancel.opportunity_id == "opp-1"
    assert {r.status for r in records if r.hash != cancel.hash} == {"replaced"}
    assert doomed in {r.hash for r in records}
    assert await wallet.chain_nonce() == 1


async def test_after_a_crash_a_manager_restored_from_its_records_reuses_no_nonce(
    anvil_node: AnvilNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", KEY)
    await anvil_node.rpc("evm_setAutomine", False)
    async with new_system() as system:
        before = await start_wallet(anvil_node, system)
        hashes = [await before.submit(transfer(value=v)) for v in range(1, 6)]
        saved = await before.in_flight()
    assert [entry.nonce for entry in saved] == [0, 1, 2, 3, 4]
    # The crash lost the records of nonces 2 and 3; since then the node has
    # dropped 3 (and with it 4, which waited for it). So 2 is still in the
    # pool, 3 is a gap nobody knows of, and 4 must be sent again.
    kept = [entry for entry in saved if entry.nonce in (0, 1, 4)]
    await anvil_node.rpc("anvil_dropTransaction", hashes[3])
    assert await anvil_node.rpc("eth_getTransactionByHash", hashes[4]) is None

    book = NonceBook(ACCOUNT)
    book.restore(kept)
    async with new_system() as system:
        after = await start_wallet(anvil_node, system, book)
        new = await after.submit(transfer(value=99))

        async def settled() -> bool:
            return (await after.status()).in_flight == 0

        await after.mine_until(settled)
        records = {r.hash: r for r in await after.txs()}
        status = await after.status()
    fill = next(r for r in records.values() if r.kind == "fill")
    assert (fill.nonce, fill.to, fill.value) == (3, ACCOUNT, 0)
    assert records[new].nonce == 5
    assert status.fills_total == 1
    assert status.rebroadcasts_total == 1  # nonce 4; 0 and 1 were still in the pool
    assert {records[h].status for h in (hashes[0], hashes[1], hashes[4], fill.hash, new)} == {
        "mined"
    }
    tip = int(await anvil_node.rpc("eth_blockNumber"), 16)
    blocks = await rpc_batch(
        anvil_node, [("eth_getBlockByNumber", [hex(n), True]) for n in range(1, tip + 1)]
    )
    on_chain = [tx for block in blocks for tx in block["transactions"]]
    by_nonce = {int(tx["nonce"], 16): tx["hash"] for tx in on_chain}
    assert len(on_chain) == 6
    assert by_nonce == dict(enumerate([*hashes[:3], fill.hash, hashes[4], new]))
