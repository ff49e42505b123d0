"""A wallet on a real anvil: chain client, signer and one nonce manager in an actor system."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.nonce import NonceBook, NonceManager, NonceSettings, StuckPolicy, submit
from actors.signer import Signer, SignerSettings
from messages.tx import (
    GetInFlight,
    GetNonceStatus,
    GetTxs,
    InFlightTx,
    NonceStatus,
    TxRecord,
    TxRequest,
)
from runtime import ActorSystem, Backoff, MailboxConfig, SupervisorPolicy
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from runtime import ActorRef
    from tests.fixtures.anvil import AnvilNode

# anvil's first and second default accounts: funded, and their keys are public knowledge.
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ACCOUNT = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
OTHER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
OTHER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"

# Short enough that stuck transactions are handled within a few mined blocks.
POLICY = StuckPolicy(rebroadcast_after=2, replace_after=4, max_replacements=2)


def transfer(value: int = 1, **fields: Any) -> TxRequest:
    return TxRequest(to=OTHER, gas=21_000, value=value, **fields)


class Rig:
    """The actors of one test and the node under them."""

    def __init__(self, node: AnvilNode, system: ActorSystem, manager: ActorRef) -> None:
        self.node = node
        self.system = system
        self.manager = manager

    async def submit(self, request: TxRequest) -> str:
        return await submit(self.manager, request)

    async def status(self) -> NonceStatus:
        status: NonceStatus = await self.manager.ask(GetNonceStatus(), timeout=30)
        return status

    async def txs(self, limit: int = 10_000) -> list[TxRecord]:
        records: list[TxRecord] = await self.manager.ask(GetTxs(limit), timeout=30)
        return records

    async def in_flight(self) -> list[InFlightTx]:
        entries: list[InFlightTx] = await self.manager.ask(GetInFlight(), timeout=30)
        return entries

    async def chain_nonce(self, account: str = ACCOUNT, block: str = "latest") -> int:
        return int(await self.node.rpc("eth_getTransactionCount", account, block), 16)

    async def settled(self, count: int, timeout: float = 30) -> None:
        """Wait until ``count`` nonces are mined (or failed) and nothing is in flight."""

        async def done() -> bool:
            status = await self.status()
            return status.mined_total + status.failed_total >= count and status.in_flight == 0

        await eventually(done, timeout=timeout)

    async def mine(self) -> int:
        """Mine one block; return once the manager has seen it and checked the chain."""
        await self.node.rpc("evm_mine")
        tip = int(await self.node.rpc("eth_blockNumber"), 16)

        async def seen() -> bool:
            return (await self.status()).head_block == tip

        await eventually(seen, timeout=20)
        # The check the head queued is ahead of this ask in the mailbox.
        await self.status()
        return tip

    async def mine_until(self, condition: Callable[[], Any], blocks: int = 20) -> int:
        """Mine block after block until ``await condition()`` holds; return the blocks mined."""
        for mined in range(blocks + 1):
            if await condition():
                return mined
            await self.mine()
        raise AssertionError(f"not done after mining {blocks} blocks")


async def rpc_batch(node: AnvilNode, calls: list[tuple[str, list[object]]]) -> list[Any]:
    """Many JSON-RPC calls in one HTTP request; results in call order."""
    payload = [
        {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
        for i, (method, params) in enumerate(calls)
    ]
    async with (
        aiohttp.ClientSession() as session,
        session.post(node.http_url, json=payload) as response,
    ):
        answers = await response.json()
    by_id = {answer["id"]: answer for answer in answers}
    errors = [a["error"] for a in answers if "error" in a]
    assert not errors, errors
    return [by_id[i]["result"] for i in range(len(calls))]


async def start_wallet(
    node: AnvilNode, system: ActorSystem, book: NonceBook | None = None, *, bank_path: str = ""
) -> Rig:
    settings = ChainSettings("devnet", node.ws_url, 31337, rpc_timeout=10.0, poll_interval=0.5)
    await system.spawn(partial(ChainClient, settings, ChainMemory()), name="chain")
    await system.spawn_pykka(Signer, SignerSettings(), name="signer")
    nonce_settings = NonceSettings(
        account=ACCOUNT,
        chain="devnet",
        chain_id=31337,
        chain_path="/chain",
        signer_path="/signer",
        policy=POLICY,
        bank_path=bank_path,
    )
    manager = await system.spawn(
        partial(NonceManager, nonce_settings, book or NonceBook(ACCOUNT)),
        name="nonce",
        mailbox=MailboxConfig(capacity=10_000),
    )
    return Rig(node, system, manager)


def new_system() -> ActorSystem:
    return ActorSystem(
        "test",
        supervision=SupervisorPolicy(max_restarts=20, within=60, backoff=Backoff(0.01, 0.2)),
    )


@pytest.fixture
async def wallet(anvil_node: AnvilNode, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    monkeypatch.setenv("ARBITER_PRIVATE_KEY", KEY)
    async with new_system() as system:
        yield await start_wallet(anvil_node, system)
