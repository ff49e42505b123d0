"""The analytics actor on hand-made pool updates: what it emits, when, and what it answers."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

import msgspec
import pytest

from actors.analytics import Analytics, AnalyticsSettings, GasModel, Leg, best_input
from messages.analytics import AnalyticsStats, GetAnalyticsStats, Opportunity
from messages.bank import RecordConfigChange, RecordOpportunity
from messages.chain import NewHead, Reorg
from messages.control import SetParam
from messages.market import Pool, PoolUpdated, V2State
from runtime import Actor, ActorSystem, ManualClock, Rejected
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runtime import ActorRef

TKA, TKB, TKC, TKD = ("0x" + c * 40 for c in "abcd")
BASE_FEE = 7 * 10**9
GAS = GasModel(v2_hop=100_000, v3_hop=150_000, tip_wei=10**9)


def pool(number: int, token0: str = TKA, token1: str = TKB, dex: str = "uniswap_v2_a") -> Pool:
    return Pool(
        address=f"0x{number:040x}",
        dex=dex,
        kind="uniswap_v2",
        token0=token0,
        token1=token1,
        fee=3000,
    )


POOL_A, POOL_B = pool(1), pool(2, dex="uniswap_v2_b")
POOL_C, POOL_D = pool(3, TKC, TKD), pool(4, TKC, TKD, dex="uniswap_v2_b")


class GetSeen(msgspec.Struct, frozen=True):
    pass


class Seen(msgspec.Struct, frozen=True):
    opportunities: list[Opportunity]
    records: list[RecordOpportunity]
    changes: list[RecordConfigChange]


class Recorder(Actor):
    def __init__(self) -> None:
        super().__init__()
        self.opportunities: list[Opportunity] = []
        self.records: list[RecordOpportunity] = []
        self.changes: list[RecordConfigChange] = []

    def on_start(self) -> None:
        for kind in (Opportunity, RecordOpportunity, RecordConfigChange):
            self.context.system.events.subscribe(kind, self.context.self_ref)

    def on_opportunity(self, message: Opportunity) -> None:
        self.opportunities.append(message)

    def on_record(self, message: RecordOpportunity) -> None:
        self.records.append(message)

    def on_change(self, message: RecordConfigChange) -> None:
        self.changes.append(message)

    def on_get_seen(self, message: GetSeen) -> Seen:
        return Seen(list(self.opportunities), list(self.records), list(self.changes))


class World:
    def __init__(self, system: ActorSystem, clock: ManualClock, analytics: ActorRef) -> None:
        self.system = system
        self.clock = clock
        self.analytics = analytics
        self.recorder: ActorRef

    def update(self, pool: Pool, reserve0: int, reserve1: int, block: int) -> None:
        state = V2State(reserve0=reserve0, reserve1=reserve1)
        self.system.events.publish(
            PoolUpdated(
                pool=pool, block_number=block, block_hash=f"0x{block:064x}", state=state,
                received_ns=time.perf_counter_ns(),
            )
        )  # fmt: skip

    async def block(self, number: int) -> AnalyticsStats:
        """Publish the head of ``number``, let the evaluation run, return the stats after it."""
        before: AnalyticsStats = await self.analytics.ask(GetAnalyticsStats(), timeout=0.5)
        self.system.events.publish(
            NewHead(
                chain="devnet", number=number, hash=f"0x{number:064x}", parent_hash="0x00",
                timestamp=number, base_fee=BASE_FEE, received_ns=time.perf_counter_ns(),
            )
        )  # fmt: skip
        await eventually(lambda: self.clock.pending >= 1, timeout=5)
        self.clock.advance(0)
        stats: AnalyticsStats = await self.analytics.ask(GetAnalyticsStats(), timeout=0.5)
        assert stats.blocks_evaluated in {before.blocks_evaluated, before.blocks_evaluated + 1}
        return stats

    async def seen(self) -> Seen:
        return await self.recorder.ask(GetSeen(), timeout=0.5)  # type: ignore[no-any-return]

    async def set_param(self, name: str, value: str | float | bool) -> None:
        await self.analytics.ask(SetParam(name=name, value=value), timeout=0.5)

    def gap(self, block: int, *, other: int = 2_100 * 10**18) -> None:
        """Pool A prices TKB at 2 TKB per TKA, pool B at ``other / 1e21``."""
        self.update(POOL_A, 10**21, 2 * 10**21, block=block)
        self.update(POOL_B, 10**21, other, block=block)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    clock = ManualClock()
    async with ActorSystem("test", clock=clock) as system:
        recorder = await system.spawn(Recorder, name="recorder")
        settings = AnalyticsSettings(gas=GAS, min_profit_wei=0, stats_window=3600.0)
        analytics = await system.spawn(partial(Analytics, settings), name="analytics")
        world = World(system, clock, analytics)
        world.recorder = recorder
        yield world


async def test_a_price_gap_between_two_v2_pools_is_emitted_sized_exactly_and_net_of_gas(
    world: World,
) -> None:
    world.gap(10)
    await world.block(10)
    seen = await world.seen()
    [found] = seen.opportunities
    # Pool B pays more TKB per TKA: sell TKA there, buy it back on pool A.
    legs = [
        Leg(POOL_B, V2State(reserve0=10**21, reserve1=2_100 * 10**18), zero_for_one=True),
        Leg(POOL_A, V2State(reserve0=10**21, reserve1=2 * 10**21), zero_for_one=False),
    ]
    sized = best_input(legs)
    gas_cost = 2 * GAS.v2_hop * (BASE_FEE + GAS.tip_wei)
    assert found.block == 10
    assert [(h.pool, h.token_in) for h in found.path] == [
        (POOL_B.address, TKA),
        (POOL_A.address, TKB),
    ]
    assert (found.amount_in, found.amount_out) == (sized.amount_in, sized.amount_out)
    assert found.gas_cost_wei == gas_cost
    assert found.expected_profit_wei == sized.amount_out - sized.amount_in - gas_cost
    assert found.status == "new"
    assert found.id.startswith("10-")
    assert [r.opportunity for r in seen.records] == [found]


async def test_pools_at_the_same_price_emit_nothing(world: World) -> None:
    world.gap(10, other=2 * 10**21)
    stats = await world.block(10)
    assert stats.blocks_evaluated == 1
    assert stats.cycles_evaluated_total == 2
    assert (await world.seen()).opportunities == []


async def test_only_the_cycles_through_changed_pools_are_evaluated(world: World) -> None:
    world.gap(10, other=2 * 10**21)
    world.update(POOL_C, 10**21, 10**21, block=10)
    world.update(POOL_D, 10**21, 10**21, block=10)
    first = await world.block(10)
    assert (first.pools, first.cycles, first.cycles_evaluated_total) == (4, 4, 4)
    world.update(POOL_C, 10**21, 10**21 + 1, block=11)
    second = await world.block(11)
    assert second.cycles_evaluated_total == 4 + 2
    third = await world.block(12)
    assert third.blocks_evaluated == 2  # nothing changed in block 12


async def test_min_profit_wei_set_at_run_time_changes_what_is_emitted(world: World) -> None:
    await world.set_param("min_profit_wei", str(10**24))
    world.gap(10)
    await world.block(10)
    assert (await world.seen()).opportunities == []
    await world.set_param("min_profit_wei", 0)
    world.gap(11, other=2_101 * 10**18)
    await world.block(11)
    seen = await world.seen()
    assert [o.block for o in seen.opportunities] == [11]
    assert [(c.name, c.value) for c in seen.changes] == [
        ("min_profit_wei", f'"{10**24}"'),
        ("min_profit_wei", "0"),
    ]
    stats: AnalyticsStats = await world.analytics.ask(GetAnalyticsStats(), timeout=0.5)
    assert stats.min_profit_wei == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [("min_profit_wei", "-1"), ("min_profit_wei", 1.5), ("min_profit_wei", "ten"),
     ("min_profit_wei", True), ("max_hops", 1), ("max_hops", 9), ("fee", 3)],
)  # fmt: skip
async def test_a_bad_parameter_is_rejected_and_the_actor_carries_on(
    world: World, name: str, value: str | float | bool
) -> None:
    with pytest.raises(Rejected):
        await world.set_param(name, value)
    stats: AnalyticsStats = await world.analytics.ask(GetAnalyticsStats(), timeout=0.5)
    assert (stats.min_profit_wei, stats.max_hops) == (0, 3)
    [snapshot] = [s for s in world.system.snapshot() if s.path == "/analytics"]
    assert snapshot.restarts_total == 0


async def test_max_hops_set_to_two_drops_the_triangles(world: World) -> None:
    triangle = [pool(5, TKA, TKC), pool(6, TKB, TKC)]
    world.gap(10, other=2 * 10**21)
    world.update(triangle[0], 10**21, 3 * 10**21, block=10)
    world.update(triangle[1], 2 * 10**21, 3 * 10**21, block=10)
    three = await world.block(10)
    # Two pools on A/B and the A-B-C triangle through either: 2 + 2 x 2 directed cycles.
    assert three.cycles == 2 + 4
    await world.set_param("max_hops", "2")
    world.update(triangle[0], 10**21, 3 * 10**21 + 1, block=11)
    two = await world.block(11)
    assert (two.cycles, two.max_hops) == (2, 2)


async def test_a_reorg_marks_the_opportunities_of_orphaned_blocks_stale(world: World) -> None:
    world.gap(10)
    await world.block(10)
    world.gap(11, other=2_200 * 10**18)
    await world.block(11)
    world.system.events.publish(
        Reorg(chain="devnet", ancestor_number=10, ancestor_hash=f"0x{10:064x}", depth=1)
    )
    await world.analytics.ask(GetAnalyticsStats(), timeout=0.5)
    seen = await world.seen()
    kept, orphaned = seen.opportunities[0], seen.opportunities[1]
    assert (kept.block, orphaned.block) == (10, 11)
    [stale] = seen.opportunities[2:]
    assert stale == msgspec.structs.replace(orphaned, status="stale")
    assert seen.records[-1].opportunity == stale


async def test_rolling_stats_per_pair_and_dex_count_within_the_window(world: World) -> None:
    world.gap(10)
    await world.block(10)
    [found] = (await world.seen()).opportunities
    stats: AnalyticsStats = await world.analytics.ask(GetAnalyticsStats(), timeout=0.5)
    [pair] = stats.pairs
    assert (pair.token0, pair.token1, pair.pools) == (TKA, TKB, 2)
    assert pair.spread_bps == 500  # 2.1 against 2.0 TKB per TKA
    assert (pair.opportunities, pair.opportunities_per_hour) == (1, 1)
    assert pair.best_profit_wei == pair.median_profit_wei == found.expected_profit_wei
    assert [(d.dex, d.opportunities, d.spread_bps) for d in stats.dexes] == [
        ("uniswap_v2_a", 1, 500),
        ("uniswap_v2_b", 1, 500),
    ]
    world.clock.advance(3600)
    later: AnalyticsStats = await world.analytics.ask(GetAnalyticsStats(), timeout=0.5)
    assert later.pairs[0].opportunities == 0
    assert later.pairs[0].best_profit_wei is None
