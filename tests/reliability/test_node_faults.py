"""Node faults on a real anvil, with the chain client and the pool watchers following it.

anvil is killed and started again on the same port, once after saving its
state (the chain goes on where it stopped) and once from an older dump
(the blocks mined since are lost and mined again differently: a reorg, as a
node that crashed and lost its tip would show); and the node's answers held
back by seconds (tests/fixtures/delaying_proxy.py): within the timeout,
beyond it, and at random (`make chaos` keeps them coming for longer). After
each fault the traffic runs on, and then every pool's state must equal the
contracts at the processed block, whose hash must be the node's, and the
published heads must link without a block skipped or published twice.

Garbage from a node is covered where the decoders live:
tests/actors/chain/test_client.py (fake node frames),
tests/actors/dex/test_watcher.py (malformed logs in a fake block batch), and
the hypothesis fuzzers of tests/actors/chain/test_blocks.py and
tests/actors/dex/test_events.py. A socket dropped three times is
tests/actors/dex/test_watcher.py; `make chaos` drops it every few seconds.
"""

from __future__ import annotations

import asyncio
import binascii
import gzip
import itertools
import os
import random
import signal
import subprocess
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.devnet import TRAFFIC_MAILBOX, TrafficGenerator, deploy, free_port
from actors.dex import PoolWatcher, WatcherSettings
from messages.chain import ChainStatus, GetChainStatus, NewHead, Reorg
from runtime import Actor, ActorSystem, Backoff, SupervisorPolicy
from tests.actors.dex.test_watcher import World
from tests.fixtures.anvil import anvil_binary
from tests.fixtures.delaying_proxy import DelayingProxy
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("loop_lag")]


class Node:
    """An anvil process on a fixed port that can be killed and started again there."""

    def __init__(self, state_file: Path) -> None:
        self.port = free_port()
        self.state_file = state_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self, *state_args: str) -> None:
        command = [str(anvil_binary()), "--port", str(self.port), "--silent", *state_args]
        self.process = subprocess.Popen(  # noqa: S603, ASYNC220 - pinned anvil; returns at once
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                await self.rpc("eth_chainId")
            except (aiohttp.ClientError, OSError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                await asyncio.sleep(0.02)  # wait-ok: polling for the port, with a deadline
            else:
                return

    def kill(self, sig: signal.Signals) -> None:
        assert self.process is not None
        os.kill(self.process.pid, sig)
        self.process.wait(timeout=20)

    async def rpc(self, method: str, *params: object) -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self.http_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            ) as response,
        ):
            body = await response.json()
        assert "error" not in body, body
        return body["result"]

    async def dump(self) -> None:
        """Save the node's state now (blocks included) to `state_file`."""
        state = await self.rpc("anvil_dumpState")
        self.state_file.write_bytes(gzip.decompress(binascii.unhexlify(state[2:])))


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    node = Node(tmp_path / "anvil-state.json")
    await node.start("--state", str(node.state_file))  # saved at a graceful exit
    try:
        yield node
    finally:
        if node.process is not None and node.process.poll() is None:
            node.process.kill()
            node.process.wait(timeout=10)


class Heads(Actor):
    def __init__(self, seen: list[Any]) -> None:
        super().__init__()
        self.seen = seen

    def on_head(self, message: NewHead) -> None:
        self.seen.append(message)

    def on_reorg(self, message: Reorg) -> None:
        self.seen.append(message)


async def _world(
    node: Node, ws_url: str, rpc_timeout: float = 10.0
) -> AsyncIterator[tuple[World, list[Any]]]:
    deployment = await deploy(node.http_url)
    policy = SupervisorPolicy(max_restarts=200, within=60, backoff=Backoff(0.01, 0.2))
    async with ActorSystem("faults", supervision=policy) as system:
        seen: list[Any] = []
        heads = await system.spawn(partial(Heads, seen), name="heads")
        system.events.subscribe(NewHead, heads)
        system.events.subscribe(Reorg, heads)
        settings = ChainSettings(
            "devnet", ws_url, 31337, rpc_timeout=rpc_timeout, poll_interval=0.5
        )
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
        traffic = partial(TrafficGenerator, deployment, interval=0.02, swaps_per_tick=3, seed=9)
        await system.spawn(traffic, name="traffic", mailbox=TRAFFIC_MAILBOX)
        yield World(system, deployment, node.http_url), seen


async def chain_status(world: World) -> ChainStatus:
    status: ChainStatus = await world.ref("/chain").ask(GetChainStatus(), timeout=30)
    return status


async def assert_follows_the_node(world: World, seen: list[Any]) -> ChainStatus:
    """State equals the chain at the processed block, whose hash is the node's; heads link."""
    try:
        block = await world.assert_state_equals_chain()
    except AssertionError as exc:
        tree = [
            (a.path, a.state, a.restarts_total, a.failed_total, a.dropped_total, a.last_error)
            for a in world.system.snapshot()
        ]
        raise AssertionError(f"{exc}; the tree: {tree}") from exc
    status = await chain_status(world)
    node_block = await world.rpc("eth_getBlockByNumber", hex(block), False)
    assert status.processed_block is not None
    assert status.processed_block >= block
    assert [h.hash for h in seen if isinstance(h, NewHead) and h.number == block][-1] == (
        node_block["hash"]
    )
    # Within each branch (a Reorg starts a new one), every head is the child of the last.
    branch: list[NewHead] = []
    for message in [*seen, None]:
        if isinstance(message, NewHead):
            branch.append(message)
            continue
        hashes = [head.hash for head in branch]
        assert len(hashes) == len(set(hashes)), "a block was published twice in one branch"
        for parent, child in itertools.pairwise(branch):
            assert child.number == parent.number + 1, f"skipped to {child.number}"
            assert child.parent_hash == parent.hash, f"{child.number} is not {parent.number}'s"
        branch = []
    return status


async def test_a_node_killed_and_restarted_from_its_saved_state_is_followed_without_a_gap(
    node: Node,
) -> None:
    async for world, seen in _world(node, node.ws_url):
        await world.blocks_of_traffic(8)
        node.kill(signal.SIGTERM)  # anvil saves its state on the way out
        await node.start("--state", str(node.state_file))
        await world.blocks_of_traffic(8)
        status = await assert_follows_the_node(world, seen)
        assert status.reconnects_total >= 1
        assert status.reorgs_total == 0, "the saved chain goes on where it stopped"


async def test_a_node_restarted_from_an_older_state_is_followed_through_the_lost_blocks(
    node: Node,
) -> None:
    async for world, seen in _world(node, node.ws_url):
        await world.blocks_of_traffic(5)
        await node.dump()
        dumped_at = await world.latest()
        await world.blocks_of_traffic(6)
        lost_tip = (await chain_status(world)).processed_block
        assert lost_tip is not None
        assert lost_tip > dumped_at
        node.kill(signal.SIGKILL)  # no chance to save: what came after the dump is gone
        await node.start("--load-state", str(node.state_file))
        await world.blocks_of_traffic(lost_tip - dumped_at + 4)
        status = await assert_follows_the_node(world, seen)
        assert status.reconnects_total >= 1
        reorgs = [m for m in seen if isinstance(m, Reorg)]
        assert reorgs, "the blocks lost with the node must be unwound"
        assert reorgs[0].ancestor_number <= dumped_at


def chain_failures(world: World) -> int:
    """How many times the chain client has failed (timed out) so far."""
    (snapshot,) = [a for a in world.system.snapshot() if a.path == "/chain"]
    return snapshot.failed_total


async def test_node_answers_a_second_late_within_the_timeout_lose_nothing(node: Node) -> None:
    async with DelayingProxy(node.port) as proxy:
        async for world, seen in _world(node, proxy.url, rpc_timeout=10.0):
            await world.blocks_of_traffic(3)
            proxy.delay = 1.0
            await world.blocks_of_traffic(3)
            status = await assert_follows_the_node(world, seen)  # all the while a second late
            assert proxy.delayed_total > 0
            assert status.reconnects_total == 0, "slow but within the timeout: no reconnection"
            proxy.delay = 0.0


async def test_a_node_slower_than_the_timeout_is_reconnected_to_and_caught_up_with(
    node: Node,
) -> None:
    async with DelayingProxy(node.port) as proxy:
        async for world, seen in _world(node, proxy.url, rpc_timeout=1.0):
            await world.blocks_of_traffic(3)
            proxy.delay = 2.0
            await eventually(lambda w=world: chain_failures(w) >= 1, timeout=30)  # timed out
            await world.blocks_of_traffic(3)
            proxy.delay = 0.0
            await world.blocks_of_traffic(3)
            status = await assert_follows_the_node(world, seen)
            assert status.reconnects_total >= 1


async def test_node_answers_delayed_by_zero_to_three_seconds_at_random_lose_nothing(
    node: Node,
) -> None:
    """Eight spells of 0, 0.5, 1 or 3 s (seeded) against a 2 s timeout.

    A 3 s spell lasts until the client has timed out and restarted, so each
    one is a reconnection; the others last three blocks of traffic.
    """
    delays = random.Random(5).choices([0.0, 0.5, 1.0, 3.0], k=8)
    async with DelayingProxy(node.port) as proxy:
        async for world, seen in _world(node, proxy.url, rpc_timeout=2.0):
            for delay in delays:
                proxy.delay = delay
                if delay > 2.0:
                    failed = chain_failures(world)
                    await eventually(lambda w=world, f=failed: chain_failures(w) > f, timeout=30)
                else:
                    await world.blocks_of_traffic(3)
            proxy.delay = 0.0
            status = await assert_follows_the_node(world, seen)
            assert status.reconnects_total >= delays.count(3.0) > 0
            print(  # noqa: T201
                f"slow node: {proxy.delayed_total} delayed chunks, "
                f"{status.reconnects_total} reconnects, processed {status.processed_block}"
            )
