"""Analytics in the app tree: ``SetParam`` through the dashboard API changes what it emits, live."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
import msgspec
import pytest

from actors.devnet import deploy
from messages.analytics import AnalyticsStats, GetAnalyticsStats, Opportunity
from messages.health import GetDashboardUrl
from runtime import Actor, ActorSystem, Supervisor
from runtime.app import app_children
from runtime.config import BankConfig, ChainConfig, Config, DashboardConfig, DexConfig
from tests.fixtures.devnet import contract, web3
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from pathlib import Path

    from actors.devnet import Anvil, Deployment
    from runtime import ActorRef

pytestmark = pytest.mark.timeout(90)

TOKEN = "test-token-analytics-7c1d"


class GetFound(msgspec.Struct, frozen=True):
    pass


class Collector(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Opportunity] = []

    def on_start(self) -> None:
        self.context.system.events.subscribe(Opportunity, self.context.self_ref)

    def on_opportunity(self, message: Opportunity) -> None:
        self.found.append(message)

    def on_get_found(self, message: GetFound) -> list[Opportunity]:
        return list(self.found)


def ref(system: ActorSystem, path: str) -> ActorRef:
    found = system.lookup(path)
    assert found is not None, path
    return found


async def swap(deployment: Deployment, http_url: str, share: int) -> int:
    """Sell ``share`` per mille of the first V2 pool's token0 reserve into it; its block."""
    dex = deployment.dexes[0]
    pool = dex.pools[0]
    trader = deployment.traders[0]
    async with web3(http_url) as w3:
        pair = contract(w3, "UniswapV2Pair", pool.address)
        reserve0, _, _ = await pair.functions.getReserves().call()
        router = contract(w3, "UniswapV2Router02", dex.router)
        path = [pool.token0, pool.token1]
        data = router.encode_abi(
            "swapExactTokensForTokens", [reserve0 * share // 1000, 0, path, trader, 2**40]
        )
        sent = await w3.eth.send_transaction(
            {"from": trader, "to": dex.router, "data": data, "gas": 300_000}
        )
        receipt = await w3.eth.wait_for_transaction_receipt(sent, timeout=10)
    assert receipt["status"] == 1
    return int(receipt["blockNumber"])


async def test_set_param_through_the_api_changes_what_the_running_app_emits_without_a_restart(
    anvil: Anvil, tmp_path: Path
) -> None:
    deployment = await deploy(anvil.http_url)
    config = Config(
        chain=ChainConfig(ws_url=anvil.ws_url, chain_id=31337),
        dex=[
            DexConfig(
                name=dex.name,
                kind=dex.kind,
                factory=dex.factory,
                pools=[pool.address for pool in dex.pools],
            )
            for dex in deployment.dexes
        ],
        dashboard=DashboardConfig(port=0, token=TOKEN),
        bank=BankConfig(path=str(tmp_path / "arbiter.db")),
    )
    async with ActorSystem("test") as system, aiohttp.ClientSession() as http:
        collector = await system.spawn(Collector, name="collector")
        await system.spawn(partial(Supervisor, app_children(config, tmp_path)), name="app")
        await eventually(lambda: system.lookup("/app/dashboard") is not None, timeout=30)
        url = str(await ref(system, "/app/dashboard").ask(GetDashboardUrl(), timeout=10))
        analytics = ref(system, "/app/analytics")

        async def set_min_profit(value: Any) -> None:
            body = {"type": "SetParam", "name": "min_profit_wei", "value": value}
            async with http.post(
                f"{url.rstrip('/')}/api/actors/app/analytics/messages?ask=1",
                json=body,
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as reply:
                assert reply.status == 200, await reply.text()

        async def evaluated(block: int) -> None:
            async def done() -> bool:
                stats: AnalyticsStats = await analytics.ask(GetAnalyticsStats(), timeout=10)
                return stats.last_block is not None and stats.last_block >= block

            await eventually(done, timeout=30)

        await set_min_profit(str(10**30))
        quiet = await swap(deployment, anvil.http_url, 50)
        await evaluated(quiet)
        assert await collector.ask(GetFound(), timeout=10) == []

        await set_min_profit("0")
        loud = await swap(deployment, anvil.http_url, 50)
        await evaluated(loud)
        found: list[Opportunity] = await collector.ask(GetFound(), timeout=10)
        assert found
        assert {o.block for o in found} == {loud}
        stats: AnalyticsStats = await analytics.ask(GetAnalyticsStats(), timeout=10)
        assert stats.min_profit_wei == 0
        [snapshot] = [s for s in system.snapshot() if s.path == "/app/analytics"]
        assert snapshot.restarts_total == 0
