"""`ReplayLogs`: the blocks a restored watcher missed, from the window or from the node below it."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import pytest

from actors.chain import ChainClient, ChainMemory, ChainSettings, HeaderWindow
from messages.chain import ChainStatus, GetChainStatus, PoolLogs, ReplayLogs
from runtime import ActorSystem
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from runtime import ActorRef
    from tests.fixtures.anvil import AnvilNode

pytestmark = pytest.mark.timeout(60)

WATCHED = ["0x" + "ab" * 20]


async def processed(client: ActorRef, number: int) -> None:
    async def reached() -> bool:
        status: ChainStatus = await client.ask(GetChainStatus(), timeout=10)
        return status.processed_block is not None and status.processed_block >= number

    await eventually(reached, timeout=20)


async def node_hash(anvil_node: AnvilNode, number: int) -> str:
    block = await anvil_node.rpc("eth_getBlockByNumber", hex(number), False)
    return str(block["hash"])


@pytest.mark.parametrize("after", [14, 3], ids=["in the window", "below the window"])
async def test_a_replay_gives_every_processed_block_after_the_given_one_in_order(
    anvil_node: AnvilNode, after: int
) -> None:
    async with ActorSystem("test") as system:
        settings = ChainSettings("devnet", anvil_node.ws_url, 31337, bank_path="/none")
        memory = ChainMemory(window=HeaderWindow(8))
        client = await system.spawn(partial(ChainClient, settings, memory), name="chain")
        await processed(client, 0)
        await anvil_node.rpc("anvil_mine", "0x14")
        await processed(client, 20)
        replay: list[PoolLogs] = await client.ask(
            ReplayLogs(
                addresses=WATCHED,
                after_number=after,
                after_hash=await node_hash(anvil_node, after),
            ),
            timeout=20,
        )
        assert [logs.block_number for logs in replay] == list(range(after + 1, 21))
        for logs in replay:
            assert logs.block_hash == await node_hash(anvil_node, logs.block_number)
            assert logs.logs == []


async def test_a_block_not_on_the_followed_chain_cannot_be_replayed(anvil_node: AnvilNode) -> None:
    async with ActorSystem("test") as system:
        settings = ChainSettings("devnet", anvil_node.ws_url, 31337, bank_path="/none")
        memory = ChainMemory(window=HeaderWindow(8))
        client = await system.spawn(partial(ChainClient, settings, memory), name="chain")
        await anvil_node.rpc("anvil_mine", "0x14")
        await processed(client, 20)
        for after in (3, 18):
            orphan = ReplayLogs(addresses=WATCHED, after_number=after, after_hash="0x" + "11" * 32)
            assert await client.ask(orphan, timeout=20) is None
