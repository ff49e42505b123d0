"""The end-to-end benchmark: block -> opportunity latency on the devnet, arbiter against web3.py.

Run it with ``arbiter bench e2e --json`` or ``python -m benchmarks.e2e --json``.

A fresh anvil with the devnet deployed (two Uniswap V2 DEXes and a V3 one,
nine pools over three tokens, seeded a few per cent apart so that most
cycles pay). Mining is manual: for each block a driver sends one to three
random swaps from the traders (0.1 % to 2 % of the pool's reserve of the
token sold), mines them with ``evm_mine``, and waits until the contender
has evaluated that block before it prepares the next one. Blocks therefore
do not overlap and the driver does nothing while a block is processed.

Contenders, each over its own run of blocks on the same node:

- ``arbiter``: the chain client (WebSocket ``newHeads``, the block's logs
  fetched by hash), a `PoolWatcher` per DEX and `Analytics`, in one
  `ActorSystem`. ``latency_us`` is each `Opportunity`'s own field: from the
  moment the head's frame was read off the socket to its publication.
- ``web3``: what a user would otherwise write with web3.py: poll
  ``get_block("latest")`` every ``POLL_INTERVAL`` s; on a new block read
  every pool's state at that block (``getReserves``; ``slot0`` and
  ``liquidity``) and evaluate the changed pools' cycles with the same
  `PriceGraph`. Its ``latency_us`` runs from the answer that showed the new
  block to the opportunity, the same span as arbiter's.

Both also report ``mine_to_opportunity_us``: from the driver's ``evm_mine``
request to the block's first opportunity (arbiter: its arrival at a
subscriber), which adds the node's mining and, for web3, the polling delay.
``analytics_step_us`` is arbiter's analytics step per block alone (the
changed pools' cycles found, sized and valued: ``last_evaluation_us``).

Logging is at ``warning`` (the app logs nothing per block below that).
Benchmarks report; they do not assert. ``targets`` says whether arbiter's
latency meets the goals (p50 <= 5 ms, p99 <= 20 ms over at least 500 blocks).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import platform
import random
import sys
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from web3 import AsyncWeb3

from actors.analytics import Analytics, AnalyticsSettings, GasModel, PriceGraph
from actors.analytics._analytics import _Evaluate  # noqa: TC001 - a handler's type, read at run time
from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.devnet import Anvil, deploy, free_port, load_artifact
from actors.devnet._rpc import connect, rpc
from actors.dex import PoolWatcher, WatcherSettings
from benchmarks.runtime import machine, say, target
from messages.analytics import AnalyticsStats, GetAnalyticsStats, Opportunity
from messages.market import PoolState, V2State, V3State
from runtime import Actor, ActorSystem
from runtime.logs import configure_logging

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from web3 import AsyncHTTPProvider
    from web3.contract import AsyncContract

    from actors.devnet import Deployment
    from messages.market import Pool

__all__ = ["main", "run"]

SEED = 20260501
BLOCKS = 500
WEB3_BLOCKS = 200
WARMUP_BLOCKS = 20
POLL_INTERVAL = 0.05
BLOCK_TIMEOUT = 10.0
TARGET_P50_US = 5_000
TARGET_P99_US = 20_000
_DEADLINE = 2**64
_GAS_V2_SWAP = 250_000
_GAS_V3_SWAP = 400_000
_MAX_FEE = 100 * 10**9
_PRIORITY_FEE = 10**9

CONTENDERS = {
    "arbiter": "chain client (newHeads + eth_getLogs by hash) -> PoolWatcher -> Analytics",
    "web3": (
        f"web3.py AsyncWeb3: get_block('latest') every {POLL_INTERVAL} s, then every pool's "
        "state at that block, then the same PriceGraph"
    ),
}


@contextlib.asynccontextmanager
async def web3(http_url: str) -> AsyncIterator[AsyncWeb3[AsyncHTTPProvider]]:
    w3 = connect(http_url)
    try:
        yield w3
    finally:
        await w3.provider.disconnect()


# -- the driver -------------------------------------------------------------------


class Driver:
    """Sends each block's swaps (not mined yet) and mines them; the same seeded sequence per run."""

    def __init__(self, deployment: Deployment, w3: AsyncWeb3[AsyncHTTPProvider], seed: int) -> None:
        self.deployment = deployment
        self.w3 = w3
        self.random = random.Random(seed)
        self.nonces: dict[str, int] = {}
        self.contracts: dict[tuple[str, str], AsyncContract] = {}

    async def start(self) -> None:
        await rpc(self.w3, "evm_setAutomine", False)  # noqa: FBT003 - a JSON-RPC parameter
        for trader in self.deployment.traders:
            count = await rpc(self.w3, "eth_getTransactionCount", trader, "pending")
            self.nonces[trader] = int(count, 16)

    async def prepare(self) -> None:
        """Send the next block's swaps: one to three, to the mempool."""
        for _ in range(self.random.randint(1, 3)):
            await self._swap()

    async def mine(self) -> int:
        """Mine the pending swaps; ``perf_counter_ns`` just before the request."""
        started = time.perf_counter_ns()
        await rpc(self.w3, "evm_mine")
        return started

    async def _swap(self) -> None:
        pool = self.random.choice(self.deployment.pools)
        token_in, token_out = self.random.sample((pool.token0, pool.token1), 2)
        trader = self.random.choice(self.deployment.traders)
        reserve = await self._reserve(pool, token_in)
        amount_in = reserve * self.random.randint(10, 200) // 10_000
        router = self.deployment.dex(pool.dex).router
        if pool.kind == "uniswap_v2":
            data = self._contract("UniswapV2Router02", router).encode_abi(
                "swapExactTokensForTokens",
                args=[amount_in, 0, [token_in, token_out], trader, _DEADLINE],
            )
            gas = _GAS_V2_SWAP
        else:
            swap = (token_in, token_out, pool.fee, trader, _DEADLINE, amount_in, 0, 0)
            data = self._contract("SwapRouter", router).encode_abi("exactInputSingle", args=[swap])
            gas = _GAS_V3_SWAP
        await rpc(
            self.w3,
            "eth_sendTransaction",
            {
                "from": trader,
                "to": router,
                "data": data,
                "nonce": hex(self.nonces[trader]),
                "gas": hex(gas),
                "maxFeePerGas": hex(_MAX_FEE),
                "maxPriorityFeePerGas": hex(_PRIORITY_FEE),
            },
        )
        self.nonces[trader] += 1

    async def _reserve(self, pool: Pool, token: str) -> int:
        if pool.kind == "uniswap_v2":
            pair = self._contract("UniswapV2Pair", pool.address)
            reserve0, reserve1, _ = await pair.functions.getReserves().call()
            return int(reserve0 if token == pool.token0 else reserve1)
        balance = await self._contract("ERC20", token).functions.balanceOf(pool.address).call()
        return int(balance)

    def _contract(self, name: str, address: str) -> AsyncContract:
        found = self.contracts.get((name, address))
        if found is None:
            checksummed = AsyncWeb3.to_checksum_address(address)
            found = self.w3.eth.contract(checksummed, abi=load_artifact(name).abi)
            self.contracts[name, address] = found
        return found


class Blocks:
    """What a contender saw of each block, and a future per block the driver waits on."""

    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[None]] = {}
        self.latencies: dict[int, list[int]] = {}
        self.first_seen_ns: dict[int, int] = {}
        self.steps_us: dict[int, int] = {}

    def expect(self, block: int) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[block] = future
        return future

    def done(self, block: int) -> None:
        for number in [n for n in self.waiting if n <= block]:
            future = self.waiting.pop(number)
            if not future.done():
                future.set_result(None)

    def found(self, block: int, latency_us: int) -> None:
        self.latencies.setdefault(block, []).append(latency_us)
        self.first_seen_ns.setdefault(block, time.perf_counter_ns())


async def drive(
    driver: Driver, blocks: Blocks, count: int
) -> tuple[list[int], list[int], list[int]]:
    """Mine ``count`` blocks; the mined ones, and each block's mine-to-first-opportunity (us)."""
    mined: list[int] = []
    mine_to: list[int] = []
    numbers: list[int] = []
    head = int(await rpc(driver.w3, "eth_blockNumber"), 16)
    for _ in range(count):
        await driver.prepare()
        head += 1
        evaluated = blocks.expect(head)
        started = await driver.mine()
        await asyncio.wait_for(evaluated, BLOCK_TIMEOUT)
        numbers.append(head)
        mined.append(started)
        seen = blocks.first_seen_ns.get(head)
        if seen is not None:
            mine_to.append((seen - started) // 1000)
    return numbers, mine_to, mined


# -- arbiter -------------------------------------------------------------------------


class MeasuredAnalytics(Analytics):
    """`Analytics` that tells the benchmark when a block has been evaluated (and how fast)."""

    def __init__(self, settings: AnalyticsSettings, blocks: Blocks) -> None:
        super().__init__(settings)
        self.measured = blocks

    def on_evaluate(self, message: _Evaluate) -> None:
        evaluated = self.blocks_evaluated
        super().on_evaluate(message)
        if self.head is None:
            return
        if self.blocks_evaluated > evaluated and self.last_evaluation_us is not None:
            self.measured.steps_us[self.head.number] = self.last_evaluation_us
        self.measured.done(self.head.number)


class Collector(Actor):
    def __init__(self, blocks: Blocks) -> None:
        super().__init__()
        self.blocks = blocks

    def on_start(self) -> None:
        self.context.system.events.subscribe(Opportunity, self.context.self_ref)

    def on_opportunity(self, message: Opportunity) -> None:
        if message.status == "new":
            self.blocks.found(message.block, message.latency_us)


async def arbiter_case(deployment: Deployment, node: Anvil, count: int) -> dict[str, Any]:
    blocks = Blocks()
    async with web3(node.http_url) as w3, ActorSystem("bench") as system:
        settings = ChainSettings("devnet", node.ws_url, node.chain_id, rpc_timeout=10.0)
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
        await system.spawn(partial(Collector, blocks), name="collector")
        found_by = AnalyticsSettings(
            gas=GasModel(), watchers=tuple(f"/{dex.name}" for dex in deployment.dexes)
        )
        analytics = await system.spawn(
            partial(MeasuredAnalytics, found_by, blocks), name="analytics"
        )
        await _until_pools_known(analytics, len(deployment.pools))
        gc.freeze()  # as `runtime.app.serve` does once the tree runs
        driver = Driver(deployment, w3, SEED)
        await driver.start()
        await drive(driver, blocks, WARMUP_BLOCKS)
        blocks.latencies.clear()
        blocks.steps_us.clear()
        numbers, mine_to, _ = await drive(driver, blocks, count)
        stats: AnalyticsStats = await analytics.ask(GetAnalyticsStats(), timeout=10)
    return summarise(blocks, numbers, mine_to) | {"cycles": stats.cycles}


async def _until_pools_known(analytics: Any, pools: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stats: AnalyticsStats = await analytics.ask(GetAnalyticsStats(), timeout=10)
        if stats.pools == pools:
            return
        await asyncio.sleep(0.01)
    raise SystemExit("analytics did not learn the devnet's pools within 30 s")


# -- web3.py polling -----------------------------------------------------------------------


class Poller:
    """The web3.py contender: polls for blocks, reads every pool, evaluates with `PriceGraph`."""

    def __init__(
        self, deployment: Deployment, w3: AsyncWeb3[AsyncHTTPProvider], blocks: Blocks
    ) -> None:
        self.deployment = deployment
        self.w3 = w3
        self.blocks = blocks
        self.graph = PriceGraph()
        self.gas = GasModel()
        self.last: int | None = None
        abis = {name: load_artifact(name).abi for name in ("UniswapV2Pair", "UniswapV3Pool")}
        self.contracts = {
            pool.address: w3.eth.contract(
                AsyncWeb3.to_checksum_address(pool.address),
                abi=abis["UniswapV2Pair" if pool.kind == "uniswap_v2" else "UniswapV3Pool"],
            )
            for pool in deployment.pools
        }

    async def run(self) -> None:
        while True:
            block = await self.w3.eth.get_block("latest")
            seen = time.perf_counter_ns()
            number = int(block["number"])
            if self.last is None or number > self.last:
                self.last = number
                await self.evaluate(number, block.get("baseFeePerGas"), seen)
            await asyncio.sleep(POLL_INTERVAL)

    async def evaluate(self, number: int, base_fee: int | None, seen: int) -> None:
        changed = []
        for pool in self.deployment.pools:
            state = await self.state(pool, number)
            if self.graph.states.get(pool.address) != state:
                self.graph.update(pool, state)
                changed.append(pool.address)
        findings = self.graph.evaluate(self.graph.touching(changed), self.gas, base_fee, 0)
        for _ in findings:
            self.blocks.found(number, (time.perf_counter_ns() - seen) // 1000)
        self.blocks.done(number)

    async def state(self, pool: Pool, number: int) -> PoolState:
        functions = self.contracts[pool.address].functions
        if pool.kind == "uniswap_v2":
            reserve0, reserve1, _ = await functions.getReserves().call(block_identifier=number)
            return V2State(reserve0=reserve0, reserve1=reserve1)
        slot0 = await functions.slot0().call(block_identifier=number)
        liquidity = await functions.liquidity().call(block_identifier=number)
        return V3State(sqrt_price_x96=slot0[0], liquidity=liquidity, tick=slot0[1])


async def web3_case(deployment: Deployment, node: Anvil, count: int) -> dict[str, Any]:
    blocks = Blocks()
    async with web3(node.http_url) as w3, web3(node.http_url) as poll_w3:
        poller = Poller(deployment, poll_w3, blocks)
        polling = asyncio.create_task(poller.run())
        try:
            driver = Driver(deployment, w3, SEED + 1)
            await driver.start()
            await drive(driver, blocks, WARMUP_BLOCKS // 4)
            blocks.latencies.clear()
            numbers, mine_to, _ = await drive(driver, blocks, count)
        finally:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
    return summarise(blocks, numbers, mine_to) | {"poll_interval_s": POLL_INTERVAL}


# -- figures ---------------------------------------------------------------------------------


def percentiles(samples: list[int]) -> dict[str, int]:
    if not samples:
        return {"count": 0}
    ordered = sorted(samples)
    last = len(ordered) - 1

    def at(share: float) -> int:
        return ordered[min(last, round(share * last))]

    return {
        "count": len(ordered),
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "max": ordered[-1],
    }


def summarise(blocks: Blocks, numbers: list[int], mine_to: list[int]) -> dict[str, Any]:
    per_block = [blocks.latencies[n] for n in numbers if n in blocks.latencies]
    figures: dict[str, Any] = {
        "blocks": len(numbers),
        "blocks_with_opportunities": len(per_block),
        "opportunities": sum(len(found) for found in per_block),
        "latency_us": percentiles([latency for found in per_block for latency in found]),
        "first_latency_us": percentiles([found[0] for found in per_block]),
        "mine_to_opportunity_us": percentiles(mine_to),
    }
    if blocks.steps_us:
        figures["analytics_step_us"] = percentiles(
            [blocks.steps_us[n] for n in numbers if n in blocks.steps_us]
        )
    return figures


async def run_cases(blocks: int, web3_blocks: int) -> dict[str, Any]:
    async with Anvil(port=free_port()) as node:
        deployment = await deploy(node.http_url)
        say(f"devnet: {len(deployment.pools)} pools on {node.http_url}")
        ours = await arbiter_case(deployment, node, blocks)
        say(f"arbiter: {json.dumps(ours)}")
        theirs = await web3_case(deployment, node, web3_blocks)
        say(f"web3: {json.dumps(theirs)}")
    return {"arbiter": ours, "web3": theirs}


def targets(cases: dict[str, Any]) -> dict[str, Any]:
    ours = cases["arbiter"]
    latency = ours["latency_us"]
    enough = ours["blocks"] >= BLOCKS
    return {
        "latency_p50_us": target(
            latency["p50"], TARGET_P50_US, latency["p50"] <= TARGET_P50_US and enough
        ),
        "latency_p99_us": target(
            latency["p99"], TARGET_P99_US, latency["p99"] <= TARGET_P99_US and enough
        ),
    }


def run(json_output: bool, blocks: int = BLOCKS, web3_blocks: int = WEB3_BLOCKS) -> dict[str, Any]:
    """Run both contenders, print what they find, and return (and with ``json_output`` print) it."""
    started = time.perf_counter()
    say(f"arbiter e2e benchmark: Python {platform.python_version()}")
    say(f"{blocks} blocks (arbiter), {web3_blocks} (web3.py), 1-3 swaps each, mined on demand")
    configure_logging("warning", None, "json")
    cases = asyncio.run(run_cases(blocks, web3_blocks))
    result: dict[str, Any] = {
        "benchmark": "e2e",
        "python": platform.python_version(),
        "machine": machine(),
        "contenders": CONTENDERS,
        "cases": cases,
        "targets": targets(cases),
        "seconds": round(time.perf_counter() - started, 1),
    }
    say_summary(result)
    if json_output:
        print(json.dumps(result), flush=True)
    return result


def say_summary(result: dict[str, Any]) -> None:
    say("summary (us)")
    for name, figures in result["cases"].items():
        latency, mine = figures["latency_us"], figures["mine_to_opportunity_us"]
        say(
            f"  {name:8} latency p50 {latency.get('p50')} p99 {latency.get('p99')}  "
            f"mine->opportunity p50 {mine.get('p50')} p99 {mine.get('p99')}"
        )
    step = result["cases"]["arbiter"].get("analytics_step_us", {})
    say(f"  analytics step p50 {step.get('p50')} p99 {step.get('p99')}")
    for name, verdict in result["targets"].items():
        state = "met" if verdict["met"] else "MISSED"
        say(f"  target {name}: {state} ({verdict['value']:,} vs {verdict['threshold']:,})")
    say(f"done in {result['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.e2e [--json] [--blocks N]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="benchmarks.e2e", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--blocks", type=int, default=BLOCKS, help="blocks measured (arbiter)")
    parser.add_argument("--web3-blocks", type=int, default=WEB3_BLOCKS, help="blocks (web3.py)")
    args = parser.parse_args(argv)
    run(args.json, args.blocks, args.web3_blocks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
