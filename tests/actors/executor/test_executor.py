"""The executor on the devnet: simulations equal the exact maths, live arbitrages pay, stale skip.

Each test starts a chain client, the bot's signer and nonce manager, and an
executor in an actor system over the shared devnet (reverted after the
test), and publishes opportunities it builds itself from the pools' maths
(`support`), as analytics would.
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
import pytest
from web3 import Web3

from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.devnet import BOT_ACCOUNT, BOT_KEY
from actors.devnet._rpc import rpc
from actors.executor import Executor, ExecutorSettings
from actors.nonce import NonceBook, NonceManager, NonceSettings
from actors.signer import Signer, SignerSettings
from messages.bank import RecordOpportunity
from messages.chain import ChainStatus, GetChainStatus
from messages.control import SetParam
from messages.executor import Execution, ExecutorStatus, GetExecutions, GetExecutorStatus
from messages.tx import GetNonceStatus, NonceStatus
from runtime import Actor, ActorSystem, Backoff, Rejected, SupervisorPolicy
from tests.actors.executor.support import swap_v2, v2_v2_path, v2_v3_path
from tests.fixtures.devnet import contract, web3
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from web3 import AsyncHTTPProvider, AsyncWeb3

    from actors.devnet import Deployment
    from messages.bank import Opportunity
    from runtime import ActorRef
    from tests.actors.executor.support import Path

BOT = Web3.to_checksum_address(BOT_ACCOUNT)


class Recorder(Actor):
    """Keeps every `RecordOpportunity` published, as the bank would see them, in ``records``."""

    def __init__(self, records: list[RecordOpportunity]) -> None:
        super().__init__()
        self.records = records

    def on_start(self) -> None:
        self.context.system.events.subscribe(RecordOpportunity, self.context.self_ref)

    def on_record_opportunity(self, message: RecordOpportunity) -> None:
        self.records.append(message)


class Rig:
    """The actors of one test, the devnet under them, and a web3 on it."""

    def __init__(
        self, devnet: Deployment, system: ActorSystem, w3: AsyncWeb3[AsyncHTTPProvider]
    ) -> None:
        self.devnet = devnet
        self.system = system
        self.w3 = w3
        self.records: list[RecordOpportunity] = []

    def ref(self, path: str) -> ActorRef:
        ref = self.system.lookup(path)
        assert ref is not None, path
        return ref

    async def block(self) -> tuple[int, str]:
        latest = await rpc(self.w3, "eth_getBlockByNumber", "latest", False)
        return int(latest["number"], 16), latest["hash"]

    async def opportunity(self, path: Path) -> Opportunity:
        number, block_hash = await self.block()
        return path.opportunity(number, block_hash)

    async def seen(self, number: int) -> None:
        """Wait until the executor knows block ``number`` as its head."""

        async def known() -> bool:
            return (await self.status()).head_block == number

        await eventually(known, timeout=20)

    async def status(self) -> ExecutorStatus:
        status: ExecutorStatus = await self.ref("/executor").ask(GetExecutorStatus(), timeout=20)
        return status

    async def set(self, name: str, value: Any) -> ExecutorStatus:
        status: ExecutorStatus = await self.ref("/executor").ask(SetParam(name, value), timeout=20)
        return status

    async def outcome(self, opportunity: Opportunity, *final: str) -> Execution:
        """Publish ``opportunity``; wait for its execution with one of the ``final`` outcomes."""
        self.system.events.publish(opportunity)
        return await self.execution(opportunity.id, *final)

    async def execution(self, opportunity_id: str, *final: str) -> Execution:
        found: list[Execution] = []

        async def done() -> bool:
            executions: list[Execution] = await self.ref("/executor").ask(
                GetExecutions(1000), timeout=20
            )
            found[:] = [
                e for e in executions if e.opportunity_id == opportunity_id and e.outcome in final
            ]
            return bool(found)

        await eventually(done, timeout=30)
        return found[0]

    async def nonce_status(self) -> NonceStatus:
        status: NonceStatus = await self.ref("/nonce").ask(GetNonceStatus(), timeout=20)
        return status

    async def balance(self, token: str, account: str = BOT) -> int:
        value: int = await contract(self.w3, "ERC20", token).functions.balanceOf(account).call()
        return value

    def recorded(self, opportunity_id: str) -> list[Opportunity]:
        return [r.opportunity for r in self.records if r.opportunity.id == opportunity_id]

    def statuses(self, opportunity_id: str) -> list[str]:
        return [r.opportunity.status for r in self.records if r.opportunity.id == opportunity_id]


@contextlib.asynccontextmanager
async def running(devnet: Deployment, **settings: Any) -> AsyncIterator[Rig]:
    """The chain client, the bot's signer and nonce manager, a recorder and the executor."""
    policy = SupervisorPolicy(max_restarts=20, within=60, backoff=Backoff(0.01, 0.2))
    async with web3(devnet.http_url) as w3, ActorSystem("test", supervision=policy) as system:
        rig = Rig(devnet, system, w3)
        chain = ChainSettings("devnet", devnet.ws_url, devnet.chain_id, poll_interval=0.5)
        await system.spawn(partial(ChainClient, chain, ChainMemory()), name="chain")
        await system.spawn_pykka(Signer, SignerSettings(), name="signer")
        nonce = NonceSettings(
            account=BOT_ACCOUNT,
            chain="devnet",
            chain_id=devnet.chain_id,
            chain_path="/chain",
            signer_path="/signer",
        )
        await system.spawn(partial(NonceManager, nonce, NonceBook(BOT_ACCOUNT)), name="nonce")
        await system.spawn(partial(Recorder, rig.records), name="recorder")
        executor = ExecutorSettings(
            chain="devnet",
            chain_path="/chain",
            account=BOT_ACCOUNT,
            contract=devnet.arbitrage,
            nonce_path="/nonce",
            **settings,
        )
        await system.spawn(partial(Executor, executor), name="executor")
        yield rig


@pytest.fixture(autouse=True)
def bot_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", BOT_KEY)


async def test_a_simulated_v2_v2_opportunity_makes_its_expected_profit_at_its_block(
    devnet: Deployment,
) -> None:
    async with running(devnet, mode="simulate", max_age_blocks=5) as rig:
        path = await v2_v2_path(rig.w3, devnet)
        opportunity = await rig.opportunity(path)
        # The pools move on after the opportunity's block: the simulation must not see it.
        tka, tkb = devnet.token("TKA").address, devnet.token("TKB").address
        await swap_v2(rig.w3, devnet, "uniswap_v2_a", [tkb, tka], 5 * 10**18)
        execution = await rig.outcome(opportunity, "simulated", "skipped")
        assert execution.outcome == "simulated", execution.reason
        assert execution.simulated_profit == execution.expected_profit == path.profit
        assert rig.statuses(opportunity.id) == ["simulated"]
        [record] = rig.recorded(opportunity.id)
        assert record.simulated_profit == path.profit
        assert (await rig.nonce_status()).submitted_total == 0


async def test_a_simulated_v3_path_within_its_tick_range_makes_its_expected_profit(
    devnet: Deployment,
) -> None:
    async with running(devnet, mode="simulate") as rig:
        path = await v2_v3_path(rig.w3, devnet)
        execution = await rig.outcome(await rig.opportunity(path), "simulated", "skipped")
        assert execution.outcome == "simulated", execution.reason
        assert execution.simulated_profit == path.profit
        assert any(pool.kind == "uniswap_v3" for pool, _, _ in path.hops)


async def test_live_opportunities_are_executed_and_the_bot_gains_their_profit(
    devnet: Deployment,
) -> None:
    tka = devnet.token("TKA").address
    async with web3(devnet.http_url) as w3:
        # Revoked before the bot's nonce manager starts: the executor must approve again.
        revoke = contract(w3, "ERC20", tka).functions.approve(devnet.arbitrage, 0)
        await w3.eth.wait_for_transaction_receipt(await revoke.transact({"from": BOT}))
    async with running(devnet, mode="simulate") as rig:
        assert (await rig.set("mode", "live")).mode == "live"
        realised: dict[str, int] = {}
        for make in (v2_v2_path, v2_v3_path):
            path = await make(rig.w3, devnet)
            realised[path.start_token] = realised.get(path.start_token, 0) + path.profit
            before = await rig.balance(path.start_token)
            opportunity = await rig.opportunity(path)
            execution = await rig.outcome(opportunity, "executed", "reverted", "skipped")
            assert execution.outcome == "executed", execution.reason
            assert execution.realised_profit == path.profit
            assert await rig.balance(path.start_token) - before == path.profit
            assert rig.statuses(opportunity.id) == ["executed"]
            [record] = rig.recorded(opportunity.id)
            assert record.realised_profit == path.profit
            assert record.tx_hash == execution.tx_hash
        assert (await rig.status()).realised_profit == realised
        nonces = await rig.nonce_status()
        assert nonces.mined_total == 3  # the approval and two arbitrages
        assert nonces.failed_total == nonces.dropped_total == 0


async def test_a_live_opportunity_below_min_profit_is_skipped_and_not_sent(
    devnet: Deployment,
) -> None:
    async with running(devnet, mode="live") as rig:
        path = await v2_v2_path(rig.w3, devnet)
        await rig.set("min_profit", path.profit + 1)
        execution = await rig.outcome(await rig.opportunity(path), "executed", "skipped")
        assert execution.outcome == "skipped"
        assert "simulation reverted" in (execution.reason or "")
        assert (await rig.nonce_status()).submitted_total == 0


async def test_an_opportunity_whose_block_was_reorged_away_is_stale_and_not_executed(
    devnet: Deployment,
) -> None:
    async with running(devnet, mode="live") as rig:
        path = await v2_v2_path(rig.w3, devnet)
        opportunity = await rig.opportunity(path)
        await rig.seen(opportunity.block)
        # The block with the skewing swap is replaced by an empty one.
        await rpc(rig.w3, "anvil_reorg", 1, [])

        async def reorg_seen() -> bool:
            status: ChainStatus = await rig.ref("/chain").ask(GetChainStatus(), timeout=20)
            return status.reorgs_total >= 1

        await eventually(reorg_seen, timeout=20)
        execution = await rig.outcome(opportunity, "stale", "executed", "sent", "skipped")
        assert execution.outcome == "stale"
        assert rig.statuses(opportunity.id) == ["stale"]
        assert (await rig.nonce_status()).submitted_total == 0


async def test_an_opportunity_too_far_below_the_head_is_skipped(devnet: Deployment) -> None:
    async with running(devnet, mode="live", max_age_blocks=2) as rig:
        path = await v2_v2_path(rig.w3, devnet)
        opportunity = await rig.opportunity(path)
        for _ in range(3):
            await rpc(rig.w3, "evm_mine")
        await rig.seen(opportunity.block + 3)
        execution = await rig.outcome(opportunity, "skipped", "sent", "executed")
        assert execution.outcome == "skipped"
        assert "3 blocks below the head" in (execution.reason or "")
        assert (await rig.nonce_status()).submitted_total == 0


async def test_a_bad_mode_is_rejected_and_the_executor_keeps_its_mode(devnet: Deployment) -> None:
    async with running(devnet, mode="simulate") as rig:
        for name, value in (("mode", "yolo"), ("mode", 1), ("max_age_blocks", -1), ("speed", 3)):
            with pytest.raises(Rejected):
                await rig.set(name, value)
        status = await rig.status()
        assert (status.mode, status.max_age_blocks) == ("simulate", 2)
        assert (await rig.set("mode", "observe")).mode == "observe"
        path = await v2_v2_path(rig.w3, devnet)
        opportunity = await rig.opportunity(path)
        execution = await rig.outcome(opportunity, "observed", "simulated")
        assert execution.outcome == "observed"
        assert execution.simulated_profit is None
        assert rig.statuses(opportunity.id) == []  # analytics records new ones itself
        assert (await rig.ref("/executor").ask(GetExecutorStatus(), timeout=20)).outcomes == {
            "observed": 1
        }


async def test_an_opportunity_analytics_published_again_as_stale_is_not_executed(
    devnet: Deployment,
) -> None:
    async with running(devnet, mode="live") as rig:
        path = await v2_v2_path(rig.w3, devnet)
        opportunity = msgspec.structs.replace(await rig.opportunity(path), status="stale")
        execution = await rig.outcome(opportunity, "stale", "sent", "executed", "skipped")
        assert execution.outcome == "stale"
        assert rig.statuses(opportunity.id) == []  # analytics recorded it stale itself
        assert (await rig.nonce_status()).submitted_total == 0
