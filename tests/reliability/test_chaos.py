"""Longer fault scenarios for `make chaos` (skipped in `make test`): faults over and over.

Their short forms are in test_node_faults.py (part of `make test`).
``ARBITER_CHAOS=1`` enables them; ``CHAOS_SECONDS`` (default 60) sets how
long each fault keeps coming. After each scenario every pool must equal
the chain, and the heads must link without a block skipped or repeated.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from tests.fixtures.delaying_proxy import DelayingProxy
from tests.fixtures.proxy import DroppingProxy
from tests.fixtures.waiting import eventually
from tests.reliability.test_node_faults import Node, _world, assert_follows_the_node, node

__all__ = ["node"]

SECONDS = float(os.environ.get("CHAOS_SECONDS", "60"))
pytestmark = [
    pytest.mark.skipif(not os.environ.get("ARBITER_CHAOS"), reason="long: run by make chaos"),
    pytest.mark.timeout(int(SECONDS) * 3 + 120),
    pytest.mark.usefixtures("loop_lag"),
]


async def test_a_websocket_dropped_every_two_seconds_loses_nothing(node: Node) -> None:
    async with DroppingProxy(node.port) as proxy:
        async for world, seen in _world(node, proxy.url):
            drops = 0
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                await world.blocks_of_traffic(2)
                connected = proxy.connections_total
                await eventually(lambda c=connected: proxy.connections_total >= c, timeout=30)
                drops += proxy.drop() > 0
                await eventually(lambda c=connected: proxy.connections_total > c, timeout=30)
            status = await assert_follows_the_node(world, seen)
            assert status.reconnects_total >= drops > 0
            print(f"chaos: {drops} drops, processed {status.processed_block}")  # noqa: T201


async def test_a_node_killed_again_and_again_and_restarted_from_older_dumps_is_followed(
    node: Node,
) -> None:
    rng = random.Random(11)
    async for world, seen in _world(node, node.ws_url):
        kills = 0
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            await world.blocks_of_traffic(rng.randint(2, 6))
            await node.dump()
            await world.blocks_of_traffic(rng.randint(0, 4))
            node.kill(signal.SIGKILL)
            kills += 1
            await node.start("--load-state", str(node.state_file))
            await world.blocks_of_traffic(6)
        status = await assert_follows_the_node(world, seen)
        print(f"chaos: {kills} kills, {status.reorgs_total} reorgs")  # noqa: T201


async def test_node_answers_delayed_by_zero_to_three_seconds_at_random_lose_nothing(
    node: Node,
) -> None:
    rng = random.Random(5)
    async with DelayingProxy(node.port) as proxy:
        async for world, seen in _world(node, proxy.url, rpc_timeout=2.0):
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                proxy.delay = rng.choice([0.0, 0.5, 1.0, 3.0])
                await world.blocks_of_traffic(3)
            proxy.delay = 0.0
            status = await assert_follows_the_node(world, seen)
            print(  # noqa: T201
                f"chaos: {proxy.delayed_total} delayed chunks, "
                f"{status.reconnects_total} reconnects, processed {status.processed_block}"
            )
