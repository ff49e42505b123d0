"""The traffic generator: swaps on every tick that move the pools, paused and tuned by messages."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from actors.devnet import TRAFFIC_MAILBOX, GetTrafficStats, TrafficGenerator, TrafficStats
from actors.devnet._rpc import rpc, rpc_batch
from messages.control import SetParam
from runtime import ActorSystem, ManualClock
from tests.fixtures.devnet import pool_state, web3
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from actors.devnet import Deployment
    from runtime import ActorRef


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def system(clock: ManualClock) -> AsyncIterator[ActorSystem]:
    async with ActorSystem("test", clock=clock) as running:
        yield running


async def spawn(system: ActorSystem, devnet: Deployment, **options: Any) -> ActorRef:
    return await system.spawn(
        partial(TrafficGenerator, devnet, seed=7, **options),
        name="traffic",
        mailbox=TRAFFIC_MAILBOX,
    )


async def stats(ref: ActorRef) -> TrafficStats:
    # Queued behind any tick: the answer comes once the round of swaps is sent.
    reply = await ref.ask(GetTrafficStats())
    assert isinstance(reply, TrafficStats)
    return reply


async def test_a_tick_sends_swaps_that_succeed_and_move_v2_and_v3_pools(
    devnet: Deployment, system: ActorSystem, clock: ManualClock
) -> None:
    async with web3(devnet.http_url) as w3:
        before = {pool.address: await pool_state(w3, pool) for pool in devnet.pools}
        ref = await spawn(system, devnet, interval=1.0, swaps_per_tick=12)
        clock.advance(1.0)
        assert await stats(ref) == TrafficStats(
            ticks=1, swaps_sent=12, swaps_failed=0, interval=1.0, swaps_per_tick=12
        )

        hashes: list[str] = []

        async def all_mined() -> bool:
            latest = int(await rpc(w3, "eth_blockNumber"), 16)
            blocks = await rpc_batch(
                w3,
                [
                    ("eth_getBlockByNumber", [hex(n), False])
                    for n in range(devnet.block + 1, latest + 1)
                ],
            )
            hashes[:] = [tx for block in blocks for tx in block["transactions"]]
            return len(hashes) == 12

        await eventually(all_mined)
        receipts = await rpc_batch(w3, [("eth_getTransactionReceipt", [h]) for h in hashes])
        assert [int(receipt["status"], 16) for receipt in receipts] == [1] * 12
        moved = {
            pool.kind for pool in devnet.pools if await pool_state(w3, pool) != before[pool.address]
        }
        assert moved == {"uniswap_v2", "uniswap_v3"}


async def test_ticks_wait_while_paused_and_coalesce_into_one(
    devnet: Deployment, system: ActorSystem, clock: ManualClock
) -> None:
    ref = await spawn(system, devnet, interval=1.0, swaps_per_tick=0)
    for _ in range(3):
        clock.advance(1.0)
        await stats(ref)
    assert (await stats(ref)).ticks == 3
    ref.pause()
    clock.advance(5.0)
    ref.resume()
    assert (await stats(ref)).ticks == 4


async def test_set_param_changes_the_interval_and_the_swaps_per_tick(
    devnet: Deployment, system: ActorSystem, clock: ManualClock
) -> None:
    ref = await spawn(system, devnet, interval=1.0, swaps_per_tick=0)
    reply = await ref.ask(SetParam(name="interval", value=0.25))
    assert isinstance(reply, TrafficStats)
    assert reply.interval == 0.25
    clock.advance(0.25)
    assert (await stats(ref)).ticks == 1
    reply = await ref.ask(SetParam(name="swaps_per_tick", value=3))
    assert reply.swaps_per_tick == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [("speed", 1), ("interval", 0), ("interval", True), ("swaps_per_tick", 1.5)],
)
async def test_an_unknown_param_or_a_bad_value_is_refused(
    devnet: Deployment, system: ActorSystem, name: str, value: Any
) -> None:
    ref = await spawn(system, devnet, interval=1.0, swaps_per_tick=0)
    with pytest.raises(ValueError, match=name):
        await ref.ask(SetParam(name=name, value=value))


async def test_on_the_real_clock_the_generator_keeps_swapping(devnet: Deployment) -> None:
    async with ActorSystem("real") as system:
        ref = await spawn(system, devnet, interval=0.02, swaps_per_tick=1)

        async def swapped_three_times() -> bool:
            return (await stats(ref)).swaps_sent >= 3

        await eventually(swapped_three_times)
        assert (await stats(ref)).swaps_failed == 0
