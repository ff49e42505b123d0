"""Watch prices on a local devnet: a chain client, a watcher per DEX, and your actor.

Run it: ``.venv/bin/python examples/price_watcher.py [BLOCKS]`` (it needs
``make setup`` first, for anvil and the Uniswap contracts).

It starts anvil on a free port, deploys two Uniswap V2 DEXes and one V3 DEX
on it (three tokens, prices a few percent apart), then builds a small tree:

    /chain               Supervisor, patient with a node that goes away
      /chain/devnet      ChainClient: the node's blocks, in order, reorg-safe
    /dex                 Supervisor
      /dex/<name>        PoolWatcher: one per DEX, exact pool states
    /traffic             TrafficGenerator: random swaps, so prices move
    /prices              PriceWatcher: this example's own actor

``PriceWatcher`` subscribes to ``PoolUpdated`` on the event stream and prints
each pool's new price, until it has seen the given number of blocks.
"""

from __future__ import annotations

import asyncio
import sys
from functools import partial

import msgspec

from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.devnet import TRAFFIC_MAILBOX, Anvil, Deployment, TrafficGenerator, deploy, free_port
from actors.dex import PoolWatcher, WatcherSettings, spot_price, sqrt_price_to_price
from messages.market import PoolUpdated, V2State
from runtime import Actor, ActorSystem, Backoff, ChildSpec, Supervisor, SupervisorPolicy
from runtime.logs import configure_logging

PATIENT = SupervisorPolicy(max_restarts=100, within=60.0, backoff=Backoff(initial=0.1))


class Seen(msgspec.Struct, frozen=True):
    pass


class PriceWatcher(Actor):
    """Prints every pool update as a price, and reports when ``blocks`` blocks have passed."""

    def __init__(self, deployment: Deployment, blocks: int, done: asyncio.Future[int]) -> None:
        super().__init__()
        self.deployment = deployment
        self.blocks = blocks
        self.done = done
        self.seen: set[int] = set()
        self.updates = 0

    def on_start(self) -> None:
        self.context.system.events.subscribe(PoolUpdated, self.context.self_ref)

    def on_stop(self) -> None:
        self.context.system.events.unsubscribe_all(self.context.self_ref)

    def on_pool_updated(self, message: PoolUpdated) -> None:
        pool, state = message.pool, message.state
        # Raw units of token1 per raw unit of token0; the devnet's tokens all
        # have 18 decimals, so this is also the price in whole tokens.
        if isinstance(state, V2State):
            price = spot_price(state.reserve0, state.reserve1)
        else:
            price = sqrt_price_to_price(state.sqrt_price_x96)
        token0, token1 = (self.deployment.symbol(t) for t in (pool.token0, pool.token1))
        print(
            f"block {message.block_number:>4}  {pool.dex:<13} "
            f"{float(price):.6f} {token1} per {token0}"
        )
        self.updates += 1
        self.seen.add(message.block_number)
        if len(self.seen) >= self.blocks and not self.done.done():
            self.done.set_result(self.updates)


def watchers(deployment: Deployment) -> list[ChildSpec]:
    return [
        ChildSpec(
            factory=partial(
                PoolWatcher,
                WatcherSettings(
                    dex=dex.name,
                    kind=dex.kind,
                    chain="devnet",
                    chain_path="/chain/devnet",
                    pools=tuple(pool.address for pool in dex.pools),
                ),
            ),
            name=dex.name,
        )
        for dex in deployment.dexes
    ]


async def main(blocks: int) -> None:
    async with Anvil(port=free_port()) as node:
        deployment = await deploy(node.http_url)
        settings = ChainSettings(name="devnet", ws_url=node.ws_url, chain_id=deployment.chain_id)
        # The memory outlives the client's restarts: it resumes where it was.
        client = ChildSpec(factory=partial(ChainClient, settings, ChainMemory()), name="devnet")
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        async with ActorSystem("price-watcher") as system:
            await system.spawn(partial(Supervisor, [client], PATIENT), name="chain")
            await system.spawn(partial(Supervisor, watchers(deployment), PATIENT), name="dex")
            await system.spawn(partial(PriceWatcher, deployment, blocks, done), name="prices")
            await system.spawn(
                partial(TrafficGenerator, deployment, interval=0.2, swaps_per_tick=2, seed=7),
                name="traffic",
                mailbox=TRAFFIC_MAILBOX,
            )
            updates = await asyncio.wait_for(done, timeout=60)
    print(f"price watcher: {updates} pool updates over {blocks} blocks")


if __name__ == "__main__":
    configure_logging("warning")
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
