"""`Rpc` asks: a node's error answer is the asker's, never the chain client's failure."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import pytest

from actors.chain import ChainClient, ChainMemory, ChainSettings, RpcError
from messages.chain import ChainStatus, GetChainStatus, Rpc
from runtime import ActorSystem, ChainError, Rejected
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from tests.fixtures.anvil import AnvilNode

pytestmark = pytest.mark.timeout(60)

REFUSED = [
    Rpc(method="eth_sendRawTransaction", params=["0x00"]),
    Rpc(method="eth_call", params=[{"to": "0x" + "0" * 40, "data": "0xzz"}, "latest"]),
    Rpc(method="no_such_method"),
]


async def test_node_error_answers_reach_the_asker_and_the_client_carries_on(
    anvil_node: AnvilNode,
) -> None:
    async with ActorSystem("test") as system:
        settings = ChainSettings("devnet", anvil_node.ws_url, 31337, rpc_timeout=5.0)
        client = await system.spawn(partial(ChainClient, settings, ChainMemory()), name="chain")
        for request in REFUSED:
            with pytest.raises(RpcError) as refused:
                await client.ask(request, timeout=10)
            assert isinstance(refused.value, ChainError)
            assert isinstance(refused.value, Rejected)
        await anvil_node.rpc("evm_mine")
        tip = int(await client.ask(Rpc(method="eth_blockNumber"), timeout=10), 16)

        async def processed_tip() -> bool:
            status: ChainStatus = await client.ask(GetChainStatus(), timeout=10)
            return status.processed_block == tip

        await eventually(processed_tip, timeout=20)
        [snapshot] = [s for s in system.snapshot() if s.path == "/chain"]
        assert (snapshot.restarts_total, snapshot.failed_total) == (0, 0)
        assert snapshot.rejected_total == len(REFUSED)
        status: ChainStatus = await client.ask(GetChainStatus(), timeout=10)
        assert status.reconnects_total == 0
