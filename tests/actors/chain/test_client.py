"""The chain client against a real anvil: order, reorgs, dropped connections, logs."""

from __future__ import annotations

import asyncio
import itertools
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from actors.chain import ChainClient, ChainMemory, ChainSettings, Header
from messages.chain import (
    ChainStatus,
    GetChainStatus,
    NewHead,
    PoolLogs,
    Reorg,
    Rpc,
    WatchAddresses,
)
from runtime import Actor, ActorSystem, Backoff, MailboxConfig, SupervisorPolicy
from tests.fixtures.proxy import DroppingProxy
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runtime import ActorRef
    from tests.fixtures.anvil import AnvilNode

pytestmark = pytest.mark.timeout(60)


class Recorder(Actor):
    """Keeps everything the chain client publishes, in arrival order."""

    def __init__(self, seen: list[Any]) -> None:
        super().__init__()
        self.seen = seen

    def on_head(self, message: NewHead) -> None:
        self.seen.append(message)

    def on_logs(self, message: PoolLogs) -> None:
        self.seen.append(message)

    def on_reorg(self, message: Reorg) -> None:
        self.seen.append(message)


class Chain:
    def __init__(self, system: ActorSystem, client: ActorRef, seen: list[Any]) -> None:
        self.system = system
        self.client = client
        self.seen = seen

    async def rpc(self, method: str, *params: object) -> Any:
        return await self.client.ask(Rpc(method=method, params=list(params)), timeout=20)

    async def status(self) -> ChainStatus:
        status: ChainStatus = await self.client.ask(GetChainStatus(), timeout=20)
        return status

    def heads(self) -> list[NewHead]:
        return [m for m in self.seen if isinstance(m, NewHead)]

    async def processed(self, number: int) -> None:
        async def reached() -> bool:
            status = await self.status()
            return status.processed_block is not None and status.processed_block >= number

        await eventually(reached, timeout=20)

    async def node_block_hash(self, number: int) -> str:
        block = await self.rpc("eth_getBlockByNumber", hex(number), False)
        return str(block["hash"])


async def _chain(url: str) -> AsyncIterator[Chain]:
    async with ActorSystem(
        "test", supervision=SupervisorPolicy(max_restarts=50, within=60, backoff=Backoff(0.01, 0.2))
    ) as system:
        seen: list[Any] = []
        recorder = await system.spawn(partial(Recorder, seen), name="recorder")
        for kind in (NewHead, PoolLogs, Reorg):
            system.events.subscribe(kind, recorder)
        settings = ChainSettings("devnet", url, 31337, rpc_timeout=5.0, poll_interval=0.5)
        client = await system.spawn(partial(ChainClient, settings, ChainMemory()), name="chain")
        yield Chain(system, client, seen)


@pytest.fixture
async def chain(anvil_node: AnvilNode) -> AsyncIterator[Chain]:
    async for chain in _chain(anvil_node.ws_url):
        yield chain


def _assert_linked_without_duplicates(heads: list[NewHead]) -> None:
    """Within each branch, every head is the child of the one before; none appears twice."""
    hashes = [head.hash for head in heads]
    assert len(hashes) == len(set(hashes)), "a block was published twice"
    for parent, child in itertools.pairwise(heads):
        if child.number == parent.number + 1:
            assert child.parent_hash == parent.hash, f"block {child.number} skipped a parent"
        else:
            assert child.number <= parent.number, (
                f"blocks {parent.number + 1}..{child.number - 1} skipped"
            )


async def test_mined_blocks_are_published_in_order_exactly_once(chain: Chain) -> None:
    start = (await chain.status()).processed_block
    assert start is not None
    for _ in range(10):
        await chain.rpc("evm_mine")
    await chain.processed(start + 10)
    heads = [h for h in chain.heads() if h.number > start]
    assert [h.number for h in heads] == list(range(start + 1, start + 11))
    _assert_linked_without_duplicates(chain.heads())
    for head in heads:
        assert head.hash == await chain.node_block_hash(head.number)


@pytest.mark.parametrize("depth", [1, 5])
async def test_a_reorg_is_announced_and_the_new_branch_followed(chain: Chain, depth: int) -> None:
    for _ in range(8):
        await chain.rpc("evm_mine")
    await chain.processed(8)
    accounts = await chain.rpc("eth_accounts")
    transfer = {"from": accounts[0], "to": accounts[1], "value": "0x1"}
    # The replacement blocks carry a transaction, so they differ from the orphans.
    await chain.rpc("anvil_reorg", depth, [[transfer, 0]])
    tip = int(await chain.rpc("eth_blockNumber"), 16)
    await chain.processed(tip)
    await eventually(lambda: any(isinstance(m, Reorg) for m in chain.seen), timeout=20)

    reorgs = [m for m in chain.seen if isinstance(m, Reorg)]
    assert len(reorgs) == 1
    assert reorgs[0].depth == depth
    assert reorgs[0].ancestor_number == tip - depth
    assert (await chain.status()).reorgs_total == 1
    after = chain.seen[chain.seen.index(reorgs[0]) + 1 :]
    new_heads = [m for m in after if isinstance(m, NewHead)]
    assert [h.number for h in new_heads][:depth] == list(range(tip - depth + 1, tip + 1))
    assert (await chain.status()).processed_block == tip
    for head in new_heads:
        assert head.hash == await chain.node_block_hash(head.number)


async def test_a_dropped_connection_is_resumed_without_skipping_or_repeating_blocks(
    anvil_node: AnvilNode,
) -> None:
    async with DroppingProxy(anvil_node.port) as proxy:
        async for chain in _chain(proxy.url):
            for round_ in range(3):
                for _ in range(3):
                    await chain.rpc("evm_mine")
                before = proxy.connections_total
                assert proxy.drop() >= 1
                # Blocks mined while the client is away must be backfilled.
                await anvil_node.rpc("anvil_mine", "0x4")
                await eventually(lambda b=before: proxy.connections_total > b, timeout=20)
                tip = int(await chain.rpc("eth_blockNumber"), 16)
                await chain.processed(tip)
                status = await chain.status()
                assert status.reconnects_total == round_ + 1
                assert status.resumed_from is not None
            heads = chain.heads()
            _assert_linked_without_duplicates(heads)
            first = heads[0].number
            assert [h.number for h in heads] == list(range(first, tip + 1))
            for head in heads[-6:]:
                assert head.hash == await chain.node_block_hash(head.number)


async def test_a_long_backfill_is_published_at_a_pace_a_small_mailbox_takes_without_loss(
    anvil_node: AnvilNode,
) -> None:
    async with ActorSystem("test") as system:
        seen: list[Any] = []
        # 64 messages: the default throughput, what one drain takes in one loop turn.
        small = MailboxConfig(capacity=64)
        recorder = await system.spawn(partial(Recorder, seen), name="recorder", mailbox=small)
        for kind in (NewHead, PoolLogs):
            system.events.subscribe(kind, recorder)
        # A client that resumes 300 blocks behind the node (it was away, or slow).
        block = await anvil_node.rpc("eth_getBlockByNumber", "latest", False)
        start = int(block["number"], 16)
        memory = ChainMemory()
        memory.window.append(Header(start, block["hash"], block["parentHash"]))
        await anvil_node.rpc("anvil_mine", hex(300))
        settings = ChainSettings("devnet", anvil_node.ws_url, 31337, poll_interval=60)
        client = await system.spawn(partial(ChainClient, settings, memory), name="chain")
        chain = Chain(system, client, seen)
        await chain.processed(start + 300)
        await eventually(lambda: len(seen) >= 600, timeout=20)

        (snapshot,) = [a for a in system.snapshot() if a.path == "/recorder"]
        assert snapshot.dropped_total == 0
        numbers = list(range(start + 1, start + 301))
        assert [h.number for h in chain.heads()] == numbers
        assert [m.block_number for m in seen if isinstance(m, PoolLogs)] == numbers


async def test_every_log_of_a_watched_address_arrives_once_with_its_block(chain: Chain) -> None:
    accounts = await chain.rpc("eth_accounts")
    weth = await _deploy_weth(chain, accounts[0])
    start = await chain.client.ask(WatchAddresses(owner="test", addresses=[weth]), timeout=10)
    deposit = "0xd0e30db0"
    for value in range(1, 13):
        await chain.rpc(
            "eth_sendTransaction",
            {"from": accounts[value % 3], "to": weth, "value": hex(value), "data": deposit},
        )
        if value % 4 == 0:
            await chain.rpc("evm_mine")
    tip = int(await chain.rpc("eth_blockNumber"), 16)
    await chain.processed(tip)

    published = [m for m in chain.seen if isinstance(m, PoolLogs) and m.block_number > start]
    expected = await chain.rpc(
        "eth_getLogs", {"fromBlock": hex(start + 1), "toBlock": hex(tip), "address": weth}
    )
    got = [(log.block_hash, log.log_index) for m in published for log in m.logs]
    assert got == [(e["blockHash"], int(e["logIndex"], 16)) for e in expected]
    assert len(got) == 12
    assert sorted({m.block_number for m in published}) == list(range(start + 1, tip + 1))


async def _deploy_weth(chain: Chain, sender: str) -> str:
    from tests.fixtures.anvil import artifact

    bytecode = artifact("@uniswap/v2-periphery/build/WETH9.json")["bytecode"]
    code = bytecode if bytecode.startswith("0x") else "0x" + bytecode
    tx = await chain.rpc(
        "eth_sendTransaction", {"from": sender, "data": code, "gas": hex(3_000_000)}
    )
    await chain.rpc("evm_mine")
    receipt = await chain.rpc("eth_getTransactionReceipt", tx)
    return str(receipt["contractAddress"]).lower()


async def test_a_wrong_chain_id_is_refused(anvil_node: AnvilNode) -> None:
    async with ActorSystem(
        "test", supervision=SupervisorPolicy(max_restarts=0, within=1)
    ) as system:
        settings = ChainSettings("devnet", anvil_node.ws_url, 1, rpc_timeout=5.0)
        await system.spawn(partial(ChainClient, settings, ChainMemory()), name="chain")
        await asyncio.wait_for(system.wait_stopped(), 20)
        assert system.failure is not None
        assert "is chain 31337, not 1" in str(getattr(system.failure, "cause", system.failure))


def test_status_serialises_to_the_api_fields() -> None:
    status = ChainStatus(
        chain="devnet",
        chain_id=1,
        head_block=3,
        head_hash="0x",
        processed_block=2,
        lag_blocks=1,
        reorgs_total=0,
        reconnects_total=0,
        connected=True,
        resumed_from=None,
        malformed_total=0,
    )
    fields = msgspec.json.decode(msgspec.json.encode(status))
    for key in (
        "chain_id",
        "head_block",
        "head_hash",
        "processed_block",
        "lag_blocks",
        "reorgs_total",
        "reconnects_total",
        "connected",
        "resumed_from",
    ):
        assert key in fields


async def test_with_confirmations_only_buried_blocks_are_published(anvil_node: AnvilNode) -> None:
    async with ActorSystem("test") as system:
        seen: list[Any] = []
        recorder = await system.spawn(partial(Recorder, seen), name="recorder")
        system.events.subscribe(NewHead, recorder)
        settings = ChainSettings("devnet", anvil_node.ws_url, 31337, confirmations=3)
        client = await system.spawn(partial(ChainClient, settings, ChainMemory()), name="chain")
        chain = Chain(system, client, seen)
        await anvil_node.rpc("anvil_mine", "0xa")
        await chain.processed(7)
        status = await chain.status()
        assert status.head_block == 10
        assert status.processed_block == 7
        assert status.lag_blocks == 3
        assert max(h.number for h in chain.heads()) == 7


GARBAGE = [
    "not json at all",
    "{",
    '{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xheads","result":{"number":"0xzz"}}}',
    '{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xheads","result":17}}',
    '{"jsonrpc":"2.0","id":999999,"result":"0x1"}',
    '{"jsonrpc":"2.0"}',
    "[1, 2, 3]",
    "\u0000\u0001",
]


async def test_garbage_frames_from_a_fake_node_are_counted_and_change_nothing() -> None:
    from tests.fixtures.fake_node import FakeNode

    async with FakeNode() as node, ActorSystem("test") as system:
        seen: list[Any] = []
        recorder = await system.spawn(partial(Recorder, seen), name="recorder")
        system.events.subscribe(NewHead, recorder)
        settings = ChainSettings("devnet", node.url, 31337, poll_interval=60)
        client = await system.spawn(partial(ChainClient, settings, ChainMemory()), name="chain")
        chain = Chain(system, client, seen)
        await chain.processed(0)
        for frame in GARBAGE:
            await node.push(frame)
        await node.push_head(1)
        await chain.processed(1)
        status = await chain.status()
        assert status.malformed_total == len(GARBAGE)
        assert status.connected
        assert [h.number for h in chain.heads()] == [0, 1]
        assert system.lookup("/chain") is not None
        snapshot = next(a for a in system.snapshot() if a.path == "/chain")
        assert snapshot.restarts_total == 0
        assert snapshot.failed_total == 0
