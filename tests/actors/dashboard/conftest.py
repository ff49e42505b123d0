"""A running system with a dashboard on a free loopback port, and stand-ins for the actors it asks.

The tree mirrors the app's: ``/app/monitor``, ``/app/chain/devnet``,
``/app/dex/uniswap_v2_a``, ``/app/bank``, ``/app/analytics``,
``/app/executor``, ``/app/worker``, ``/app/dashboard``. The chain client,
watcher, bank, analytics and executor are small actors answering the
dashboard's queries with fixed data; the worker keeps the parameters it is
sent and fails on request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
import msgspec
import pytest
import uvloop

from actors.dashboard import Dashboard, DashboardSettings
from messages.analytics import AnalyticsStats, DexStats, GetAnalyticsStats, PairStats
from messages.bank import ActivityTotals, QueryOpportunities, QueryTotals, QueryTxs
from messages.chain import ChainStatus, GetChainStatus
from messages.control import SetParam  # noqa: TC001 - handlers' types are read at run time
from messages.executor import ExecutorStatus, GetExecutorStatus
from messages.health import GetDashboardUrl
from messages.market import GetPools, Pool, PoolSnapshot, V2State, V3State
from runtime import Actor, ActorSystem, ManualClock, Rejected, Supervisor
from runtime._context import child_spec
from runtime._loop_monitor import LoopMonitor

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping
    from pathlib import Path

    from messages.health import ActorSnapshot
    from runtime import ChildSpec

TOKEN = "test-token-5a1f0c2e9b7d4e3f"
POOL_V2 = "0x" + "a1" * 20
POOL_V3 = "0x" + "b2" * 20
BIG = 2**200 + 7


def chain_status(lag_blocks: int = 0, connected: bool = True) -> ChainStatus:
    return ChainStatus(
        chain="devnet",
        chain_id=31337,
        head_block=120,
        head_hash="0x" + "ab" * 32,
        processed_block=120 - lag_blocks,
        lag_blocks=lag_blocks,
        reorgs_total=2,
        reconnects_total=1,
        connected=connected,
        resumed_from=100,
        malformed_total=0,
    )


@dataclass
class World:
    """What the stand-in actors answer; tests change it to change the answers."""

    chain: ChainStatus = field(default_factory=chain_status)
    params: dict[str, Any] = field(default_factory=dict)


class FakeChain(Actor):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    def on_status(self, message: GetChainStatus) -> ChainStatus:
        return self.world.chain


class FakeWatcher(Actor):
    def on_pools(self, message: GetPools) -> list[PoolSnapshot]:
        v2 = Pool(
            address=POOL_V2,
            dex="uniswap_v2_a",
            kind="uniswap_v2",
            token0="0x1",
            token1="0x2",
            fee=3000,
        )
        v3 = Pool(
            address=POOL_V3,
            dex="uniswap_v2_a",
            kind="uniswap_v3",
            token0="0x1",
            token1="0x2",
            fee=500,
        )
        return [
            PoolSnapshot(pool=v2, block_number=120, state=V2State(reserve0=BIG, reserve1=5)),
            PoolSnapshot(
                pool=v3,
                block_number=120,
                state=V3State(sqrt_price_x96=BIG, liquidity=9, tick=-3),
            ),
        ]


class Opportunity(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    block: int
    expected_profit_wei: int
    status: str


class Tx(msgspec.Struct, frozen=True, kw_only=True):
    hash: str
    nonce: int
    status: str


class FakeBank(Actor):
    def on_opportunities(self, message: QueryOpportunities) -> list[Opportunity]:
        newest_first = [
            Opportunity(id=n, block=100 + n, expected_profit_wei=BIG, status="new")
            for n in range(5, 0, -1)
        ]
        return newest_first[: message.limit]

    def on_txs(self, message: QueryTxs) -> list[Tx]:
        return [Tx(hash="0x" + "cd" * 32, nonce=n, status="mined") for n in (3, 2, 1)][
            : message.limit
        ]

    def on_totals(self, message: QueryTotals) -> ActivityTotals:
        return ActivityTotals(opportunities_total=5, txs_total={"mined": 3, "failed": 1})


TOKEN_A = "0x" + "1a" * 20
TOKEN_B = "0x" + "2b" * 20
ANALYTICS = AnalyticsStats(
    window_s=3600,
    pools=2,
    cycles=1,
    blocks_evaluated=40,
    cycles_evaluated_total=40,
    opportunities_total=7,
    last_block=120,
    last_evaluation_us=85,
    min_profit_wei=0,
    max_hops=3,
    pairs=[
        PairStats(
            token0=TOKEN_A,
            token1=TOKEN_B,
            pools=2,
            spread_bps=125,
            opportunities=7,
            opportunities_per_hour=7,
            best_profit_wei=BIG,
            median_profit_wei=3 * 10**15,
        )
    ],
    dexes=[
        DexStats(
            dex="uniswap_v2_a",
            pools=2,
            spread_bps=125,
            opportunities=7,
            opportunities_per_hour=7,
            best_profit_wei=BIG,
            median_profit_wei=None,
        )
    ],
)
EXECUTOR = ExecutorStatus(
    mode="live",
    account="0x" + "3c" * 20,
    contract="0x" + "4d" * 20,
    max_age_blocks=2,
    min_profit=1,
    head_block=120,
    in_flight=1,
    outcomes={"executed": 4, "skipped": 2, "sent": 5},
    realised_profit={TOKEN_A: BIG},
)


class FakeAnalytics(Actor):
    def on_stats(self, message: GetAnalyticsStats) -> AnalyticsStats:
        return ANALYTICS


class FakeExecutor(Actor):
    def on_status(self, message: GetExecutorStatus) -> ExecutorStatus:
        return EXECUTOR


class Worker(Actor):
    """Keeps the parameters it is set; ``SetParam(name="fail")`` makes it fail."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    def on_set_param(self, message: SetParam) -> str:
        if message.name == "fail":
            raise ValueError(f"asked to fail with {message.value!r}")
        if message.name == "refuse":
            raise Rejected(f"refusing {message.value!r}")
        self.world.params[message.name] = message.value
        return f"{message.name} = {message.value!r}"


def app_children(world: World, settings: DashboardSettings) -> list[ChildSpec]:
    """The children of ``/app``, as the app would start them, the stand-ins included."""
    chain = child_spec(partial(FakeChain, world), name="devnet")
    watcher = child_spec(FakeWatcher, name="uniswap_v2_a")
    return [
        child_spec(LoopMonitor, name="monitor"),
        child_spec(partial(Supervisor, [chain]), name="chain"),
        child_spec(partial(Supervisor, [watcher]), name="dex"),
        child_spec(FakeBank, name="bank"),
        child_spec(FakeAnalytics, name="analytics"),
        child_spec(FakeExecutor, name="executor"),
        child_spec(partial(Worker, world), name="worker"),
        child_spec(partial(Dashboard, settings), name="dashboard"),
    ]


@dataclass
class Running:
    """A running system with its dashboard, and an HTTP client for it."""

    system: ActorSystem
    clock: ManualClock | None
    world: World
    session: aiohttp.ClientSession
    state_dir: Path
    url: str = ""

    async def refresh_url(self) -> str:
        dashboard = self.system.lookup("/app/dashboard")
        assert dashboard is not None
        self.url = str(await dashboard.ask(GetDashboardUrl())).rstrip("/")
        return self.url

    async def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.get(self.url + path, headers=headers) as response:
            return response.status, await response.json()

    async def post(
        self, path: str, body: bytes | str, token: str | None = TOKEN, ask: bool = False
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        query = "?ask=1" if ask else ""
        url = f"{self.url}/api/actors{path}/messages{query}"
        data = body.encode() if isinstance(body, str) else body
        async with self.session.post(url, data=data, headers=headers) as response:
            return response.status, await response.json()

    def actor(self, path: str) -> ActorSnapshot:
        for snapshot in self.system.snapshot():
            if snapshot.path == path:
                return snapshot
        raise AssertionError(f"{path} is not in the tree")


async def start(
    tmp_path: Path,
    clock: ManualClock | None,
    extra: list[ChildSpec] | None = None,
    **settings: Any,
) -> AsyncIterator[Running]:
    """Start the test tree (with ``extra`` children of ``/app``), yield it running, stop it."""
    options: dict[str, Any] = {"port": 0, "token": TOKEN, "state_dir": tmp_path / "state"}
    world = World()
    system = ActorSystem("test", clock=clock)
    await system.start()
    children = app_children(world, DashboardSettings(**options | settings)) + (extra or [])
    try:
        await system.spawn(partial(Supervisor, children), name="app")
    except BaseException:
        await system.shutdown()
        raise
    async with aiohttp.ClientSession() as session:
        running = Running(system, clock, world, session, tmp_path / "state")
        try:
            await running.refresh_url()
            yield running
        finally:
            await system.shutdown()


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Run a module's tests on each loop its ``LOOPS`` names (the app runs on uvloop)."""
    loops: tuple[str, ...] = getattr(getattr(item, "module", None), "LOOPS", ("asyncio",))
    factories = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
    return {name: factories[name] for name in loops}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def running(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)
    async for value in start(tmp_path, clock):
        yield value
