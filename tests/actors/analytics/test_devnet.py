"""Analytics on a real anvil with the real Uniswap contracts and swap traffic.

Opportunities must appear; each V2-V2 one must be what the pools' exact
maths give at its block (reserves and base fee read back from the node at
that block), and no input in a brute-force scan around it may beat it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from actors.analytics import Analytics, AnalyticsSettings, GasModel
from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.devnet import TRAFFIC_MAILBOX, TrafficGenerator, deploy
from actors.dex import PoolWatcher, WatcherSettings, get_amount_out
from messages.analytics import AnalyticsStats, GetAnalyticsStats, Opportunity
from messages.control import SetParam
from runtime import Actor, ActorSystem, Backoff, SupervisorPolicy
from tests.fixtures.devnet import contract, web3
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from actors.devnet import Anvil, Deployment

pytestmark = pytest.mark.timeout(90)

SCAN = 16
"""Inputs examined each side of the chosen one: as far as the search walks (polish_budget)."""


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


async def _reserves(w3: Any, pool: str, token_in: str, block: int) -> tuple[int, int]:
    pair = contract(w3, "UniswapV2Pair", pool)
    reserve0, reserve1, _ = await pair.functions.getReserves().call(block_identifier=block)
    token0 = (await pair.functions.token0().call()).lower()
    return (reserve0, reserve1) if token_in == token0 else (reserve1, reserve0)


async def test_v2_v2_opportunities_are_exact_at_their_block_and_no_scanned_input_beats_them(
    anvil: Anvil,
) -> None:
    deployment: Deployment = await deploy(anvil.http_url)
    v2 = {p.address.lower() for d in deployment.dexes if d.kind == "uniswap_v2" for p in d.pools}
    gas = GasModel()
    policy = SupervisorPolicy(max_restarts=50, within=60, backoff=Backoff(0.01, 0.2))
    async with ActorSystem("test", supervision=policy) as system:
        settings = ChainSettings("devnet", anvil.ws_url, 31337, rpc_timeout=10.0, poll_interval=0.5)
        await system.spawn(partial(ChainClient, settings, ChainMemory()), name="chain")
        for dex in deployment.dexes:
            watched = WatcherSettings(
                dex=dex.name,
                kind=dex.kind,
                chain="devnet",
                chain_path="/chain",
                pools=tuple(p.address for p in dex.pools),
            )
            await system.spawn(partial(PoolWatcher, watched), name=dex.name)
        collector = await system.spawn(Collector, name="collector")
        watchers = tuple(f"/{dex.name}" for dex in deployment.dexes)
        found_by = AnalyticsSettings(gas=gas, watchers=watchers)
        analytics = await system.spawn(partial(Analytics, found_by), name="analytics")
        traffic = partial(TrafficGenerator, deployment, interval=0.02, swaps_per_tick=3, seed=11)
        generator = await system.spawn(traffic, name="traffic", mailbox=TRAFFIC_MAILBOX)

        def v2_v2(found: list[Opportunity]) -> list[Opportunity]:
            return [o for o in found if len(o.path) == 2 and {h.pool for h in o.path} <= v2]

        async def enough() -> bool:
            found = await collector.ask(GetFound(), timeout=10)
            return len(v2_v2(found)) >= 5 and len(found) > len(v2_v2(found))

        await eventually(enough, timeout=60)
        found = await collector.ask(GetFound(), timeout=10)
        stats: AnalyticsStats = await analytics.ask(GetAnalyticsStats(), timeout=10)
        # Quiet before stopping: a swap cut off mid-request leaves its HTTP session open.
        await generator.ask(SetParam(name="swaps_per_tick", value=0), timeout=30)
        assert stats.blocks_evaluated >= 1

    assert stats.pools == len(deployment.pools) == 9
    assert any(o.latency_us > 0 for o in found)
    assert any(len(o.path) == 3 for o in found)
    async with web3(anvil.http_url) as w3:
        for opportunity in v2_v2(found)[:5]:
            first, second = opportunity.path
            block = opportunity.block
            header = await w3.eth.get_block(block)
            gas_cost = 2 * gas.v2_hop * (header["baseFeePerGas"] + gas.tip_wei)
            a1, b1 = await _reserves(w3, first.pool, first.token_in, block)
            b2, a2 = await _reserves(w3, second.pool, second.token_in, block)

            def profit(
                amount_in: int, a1: int = a1, b1: int = b1, a2: int = a2, b2: int = b2
            ) -> int:
                bought = get_amount_out(amount_in, a1, b1)
                return (get_amount_out(bought, b2, a2) if bought else 0) - amount_in

            chosen = opportunity.amount_in
            assert opportunity.amount_out - chosen == profit(chosen)
            assert opportunity.gas_cost_wei == gas_cost
            assert opportunity.expected_profit_wei == profit(chosen) - gas_cost
            near = range(max(chosen - SCAN, 1), chosen + SCAN + 1)
            grid = range(1, 4 * chosen, max(4 * chosen // 1000, 1))
            assert max(profit(x) for x in [*near, *grid]) == profit(chosen), opportunity


async def test_the_gas_defaults_cover_one_measured_router_swap_of_each_kind(
    devnet: Deployment,
) -> None:
    gas = GasModel()
    trader = devnet.traders[0]
    used: dict[str, int] = {}
    async with web3(devnet.http_url) as w3:
        for dex in devnet.dexes:
            pool = dex.pools[0]
            path = [pool.token0, pool.token1]
            if dex.kind == "uniswap_v2":
                router = contract(w3, "UniswapV2Router02", dex.router)
                data = router.encode_abi(
                    "swapExactTokensForTokens", [10**18, 0, path, trader, 2**40]
                )
            else:
                router = contract(w3, "SwapRouter", dex.router)
                swap = (*path, pool.fee, trader, 2**40, 10**18, 0, 0)
                data = router.encode_abi("exactInputSingle", [swap])
            # The second swap measures: it writes the pool's accumulators (or
            # oracle) in a new block, as an arbitrage does; the first sets them from zero.
            for _ in range(2):
                await w3.provider.make_request("evm_increaseTime", [12])  # type: ignore[arg-type]
                sent = await w3.eth.send_transaction(
                    {"from": trader, "to": dex.router, "data": data, "gas": 500_000}
                )
                receipt = await w3.eth.wait_for_transaction_receipt(sent, timeout=10)
                assert receipt["status"] == 1
            used[dex.kind] = max(used.get(dex.kind, 0), receipt["gasUsed"])
    assert used["uniswap_v2"] <= gas.v2_hop <= used["uniswap_v2"] * 6 // 5
    assert used["uniswap_v3"] <= gas.v3_hop <= used["uniswap_v3"] * 6 // 5
