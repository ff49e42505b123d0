"""The dashboard over a real chain client following a real anvil node."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import aiohttp
import pytest

from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.dashboard import Dashboard, DashboardSettings
from messages.health import GetDashboardUrl
from runtime import ActorSystem, Supervisor
from runtime._context import child_spec
from tests.actors.dashboard.conftest import TOKEN
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from pathlib import Path

    from tests.fixtures.anvil import AnvilNode

pytestmark = pytest.mark.timeout(60)


async def test_a_real_chain_shows_its_head_and_lag_and_makes_the_system_ready(
    anvil_node: AnvilNode, tmp_path: Path
) -> None:
    settings = ChainSettings("devnet", anvil_node.ws_url, 31337, poll_interval=0.5)
    client = child_spec(partial(ChainClient, settings, ChainMemory()), name="devnet")
    dashboard = DashboardSettings(port=0, token=TOKEN, state_dir=tmp_path)
    children = [
        child_spec(partial(Supervisor, [client]), name="chain"),
        child_spec(partial(Dashboard, dashboard), name="dashboard"),
    ]
    async with ActorSystem("chain") as system, aiohttp.ClientSession() as session:
        await system.spawn(partial(Supervisor, children), name="app")
        ref = system.lookup("/app/dashboard")
        assert ref is not None
        url = str(await ref.ask(GetDashboardUrl())).rstrip("/")
        for _ in range(3):
            await anvil_node.rpc("evm_mine")
        tip = int(await anvil_node.rpc("eth_blockNumber"), 16)

        async def processed_tip() -> bool:
            async with session.get(url + "/api/chain") as response:
                [chain] = await response.json()
            return bool(chain["processed_block"] == tip)

        await eventually(processed_tip, timeout=20)
        async with session.get(url + "/api/chain") as response:
            [chain] = await response.json()
        async with session.get(url + "/readyz") as response:
            ready = response.status
        async with session.get(url + "/metrics") as response:
            metrics = await response.text()

    assert chain["path"] == "/app/chain/devnet"
    assert chain["chain_id"] == 31337
    assert chain["head_block"] == tip
    assert chain["lag_blocks"] == 0
    assert chain["connected"] is True
    assert chain["resumed_from"] is None
    assert ready == 200
    assert f'arbiter_chain_processed_block{{chain="devnet"}} {tip}\n' in metrics
