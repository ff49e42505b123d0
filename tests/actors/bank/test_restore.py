"""Restore after a restart: the chain client and the watchers resume from the bank's checkpoint.

A first system (bank, chain client, a watcher per DEX, swap traffic) runs on
a real anvil with the real Uniswap contracts and stops; blocks with swaps are
mined while it is down; a second system on the same database must resume
from the checkpoint (the chain client's ``resumed_from``), take the pools'
states from it rather than read them, apply every block since exactly once,
and end with every pool equal to the chain.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from actors.bank import BANK_MAILBOX, Bank, BankSettings
from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.devnet import TRAFFIC_MAILBOX, TrafficGenerator, deploy
from actors.dex import PoolWatcher, WatcherSettings
from messages.bank import Checkpoint, LoadCheckpoint
from messages.chain import ChainStatus, GetChainStatus
from messages.control import SetParam
from messages.market import GetPools, Pool, PoolSnapshot, V2State, V3State
from runtime import ActorSystem, Backoff, SupervisorPolicy
from tests.fixtures.devnet import contract, web3
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from actors.devnet import Anvil, Deployment
    from runtime import ActorRef

pytestmark = pytest.mark.timeout(90)


class Run:
    """One process's worth of the system: bank, chain client, watchers, traffic."""

    def __init__(self, system: ActorSystem, deployment: Deployment) -> None:
        self.system = system
        self.deployment = deployment

    def ref(self, path: str) -> ActorRef:
        ref = self.system.lookup(path)
        assert ref is not None, path
        return ref

    async def status(self) -> ChainStatus:
        status: ChainStatus = await self.ref("/chain").ask(GetChainStatus(), timeout=20)
        return status

    async def checkpoint(self) -> Checkpoint | None:
        checkpoint: Checkpoint | None = await self.ref("/bank").ask(
            LoadCheckpoint(chain="devnet"), timeout=20
        )
        return checkpoint

    async def snapshots(self) -> list[PoolSnapshot]:
        out: list[PoolSnapshot] = []
        for dex in self.deployment.dexes:
            out += await self.ref(f"/{dex.name}").ask(GetPools(), timeout=20)
        return out

    async def settled(self) -> int:
        """Traffic off; every watcher and the bank's checkpoint at the node's latest block."""
        await self.ref("/traffic").ask(SetParam(name="swaps_per_tick", value=0), timeout=30)
        latest = int(await rpc(self.deployment, "eth_blockNumber"), 16)

        seen: list[object] = []

        async def caught_up() -> bool:
            processed = (await self.status()).processed_block
            checkpoint = await self.checkpoint()
            seen[:] = [
                latest,
                processed,
                sorted({s.block_number or 0 for s in await self.snapshots()}),
                checkpoint and (checkpoint.block_number, checkpoint.dexes),
            ]
            return (
                processed is not None
                and processed >= latest
                and all(s.block_number == processed for s in await self.snapshots())
                and checkpoint is not None
                and checkpoint.block_number == processed
                and len(checkpoint.dexes) == len(self.deployment.dexes)
            )

        try:
            await eventually(caught_up, timeout=30)
        except AssertionError as exc:
            raise AssertionError(f"not settled: {seen}") from exc
        processed = (await self.status()).processed_block
        assert processed is not None
        return processed

    async def assert_pools_equal_the_chain(self) -> None:
        block = await self.settled()
        snapshots = await self.snapshots()
        assert len(snapshots) == len(self.deployment.pools)
        async with web3(self.deployment.http_url) as w3:
            for snapshot in snapshots:
                assert snapshot.state == await _state_at(w3, snapshot.pool, block), snapshot.pool


async def rpc(deployment: Deployment, method: str, *params: object) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            deployment.http_url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
        ) as response,
    ):
        body = await response.json()
    assert "error" not in body, body
    return body["result"]


async def _state_at(w3: Any, pool: Pool, block: int) -> V2State | V3State:
    if pool.kind == "uniswap_v2":
        pair = contract(w3, "UniswapV2Pair", pool.address)
        reserve0, reserve1, _ = await pair.functions.getReserves().call(block_identifier=block)
        return V2State(reserve0=reserve0, reserve1=reserve1)
    v3 = contract(w3, "UniswapV3Pool", pool.address)
    slot0 = await v3.functions.slot0().call(block_identifier=block)
    liquidity = await v3.functions.liquidity().call(block_identifier=block)
    return V3State(sqrt_price_x96=slot0[0], liquidity=liquidity, tick=slot0[1])


async def _run(deployment: Deployment, database: Path) -> AsyncIterator[Run]:
    policy = SupervisorPolicy(max_restarts=50, within=60, backoff=Backoff(0.01, 0.2))
    async with ActorSystem("test", supervision=policy) as system:
        await system.spawn(partial(Bank, BankSettings(database)), name="bank", mailbox=BANK_MAILBOX)
        settings = ChainSettings(
            "devnet", deployment.ws_url, 31337, poll_interval=0.5, bank_path="/bank"
        )
        await system.spawn(partial(ChainClient, settings, ChainMemory()), name="chain")
        for dex in deployment.dexes:
            watched = WatcherSettings(
                dex=dex.name,
                kind=dex.kind,
                chain="devnet",
                chain_path="/chain",
                pools=tuple(p.address for p in dex.pools),
                bank_path="/bank",
            )
            await system.spawn(partial(PoolWatcher, watched), name=dex.name)
        traffic = partial(TrafficGenerator, deployment, interval=0.02, swaps_per_tick=3, seed=11)
        await system.spawn(traffic, name="traffic", mailbox=TRAFFIC_MAILBOX)
        yield Run(system, deployment)


async def _swaps_while_down(deployment: Deployment, count: int) -> None:
    """Swaps on the first V2 pool, each in its own block, with nobody watching."""
    dex = deployment.dexes[0]
    pool = dex.pools[0]
    trader = deployment.traders[0]
    async with web3(deployment.http_url) as w3:
        router = contract(w3, "UniswapV2Router02", dex.router)
        data = router.encode_abi(
            "swapExactTokensForTokens", args=[10**18, 0, [pool.token0, pool.token1], trader, 2**40]
        )
    for _ in range(count):
        swap = {"from": trader, "to": dex.router, "data": data, "gas": hex(300_000)}
        await rpc(deployment, "eth_sendTransaction", swap)


@pytest.fixture
async def deployment(anvil: Anvil) -> Deployment:
    return await deploy(anvil.http_url)


async def test_a_restarted_system_resumes_from_the_checkpoint_without_reading_the_pools(
    deployment: Deployment, tmp_path: Path
) -> None:
    database = tmp_path / "arbiter.db"
    async for first in _run(deployment, database):
        await eventually(lambda: _mined_since(deployment, 10), timeout=60)
        checkpoint = await first.settled()
    await _swaps_while_down(deployment, 3)
    with capture_logs() as logs:
        async for second in _run(deployment, database):
            status = await second.status()
            assert status.resumed_from == checkpoint
            await second.assert_pools_equal_the_chain()
    restored = [e for e in logs if e["event"] == "watching"]
    assert len(restored) == len(deployment.dexes)
    assert all(e.get("restored_from") == checkpoint for e in restored), restored


async def test_a_reorg_below_the_checkpoint_moves_it_back_and_the_pools_follow(
    deployment: Deployment, tmp_path: Path
) -> None:
    database = tmp_path / "arbiter.db"
    async for first in _run(deployment, database):
        await eventually(lambda: _mined_since(deployment, 6), timeout=60)
        checkpoint = await first.settled()
    forked = await rpc(deployment, "eth_getBlockByNumber", hex(checkpoint), False)
    await rpc(deployment, "anvil_reorg", 3, [])
    await _swaps_while_down(deployment, 2)
    async for second in _run(deployment, database):
        status = await second.status()
        assert status.resumed_from == checkpoint - 3
        await second.assert_pools_equal_the_chain()
        moved = await second.checkpoint()
        assert moved is not None
        node = await rpc(deployment, "eth_getBlockByNumber", hex(moved.block_number), False)
        assert moved.block_hash == node["hash"]
        assert forked["hash"] not in {header.hash for header in moved.headers}


async def _mined_since(deployment: Deployment, count: int) -> bool:
    latest = int(await rpc(deployment, "eth_blockNumber"), 16)
    return latest >= deployment.block + count
