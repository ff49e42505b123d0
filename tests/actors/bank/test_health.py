"""A full disk under the running app: the bank says so on /readyz and the page, the rest runs on."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from actors.bank import BankUnavailable, write_durably
from messages.bank import BlockRecord, QueryBlocks
from messages.chain import ChainStatus, GetChainStatus
from messages.health import GetDashboardUrl
from runtime import ActorSystem, Supervisor
from runtime.app import app_children
from runtime.config import BankConfig, ChainConfig, Config, DashboardConfig
from tests.actors.bank.conftest import opportunity, resize_tmpfs, tiny_tmpfs
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from pathlib import Path

    from runtime import ActorRef
    from tests.fixtures.anvil import AnvilNode

pytestmark = pytest.mark.timeout(90)


def ref(system: ActorSystem, path: str) -> ActorRef:
    found = system.lookup(path)
    assert found is not None, path
    return found


async def fill(bank: ActorRef) -> BankUnavailable:
    """Write until the disk is full; the error that says so."""
    for written in range(100_000):
        try:
            await write_durably(bank, opportunity(f"o{written}-" + "x" * 200))
        except BankUnavailable as exc:
            return exc
    raise AssertionError("100,000 writes and the disk is not full")


async def test_a_full_disk_shows_on_readyz_and_the_page_the_chain_runs_on_and_writes_resume(
    tmp_path: Path, anvil_node: AnvilNode
) -> None:
    with tiny_tmpfs(tmp_path / "tiny", "256k") as tiny:
        config = Config(
            chain=ChainConfig(ws_url=anvil_node.ws_url, chain_id=31337),
            dashboard=DashboardConfig(port=0, token="test-token-health"),
            bank=BankConfig(path=str(tiny / "arbiter.db")),
        )
        async with ActorSystem("test") as system, aiohttp.ClientSession() as http:
            await system.spawn(partial(Supervisor, app_children(config, tmp_path)), name="app")
            url = str(await ref(system, "/app/dashboard").ask(GetDashboardUrl(), timeout=10))
            bank, chain = ref(system, "/app/bank"), ref(system, "/app/chain/devnet")

            assert "full" in str(await fill(bank))
            async with http.get(f"{url}readyz") as reply:
                assert reply.status == 503
                reasons = (await reply.json())["reasons"]
            [reason] = [r for r in reasons if "bank" in r]
            assert "failing" in reason
            assert "full" in reason
            assert str(tiny / "arbiter.db") in reason
            page = await next_snapshot(http, url)
            assert page["bank"]["state"] == "failing"
            assert reason in page["reasons"]

            await anvil_node.rpc("anvil_mine", "0x3")
            head = int(await anvil_node.rpc("eth_blockNumber"), 16)

            async def chain_followed() -> bool:
                status: ChainStatus = await chain.ask(GetChainStatus(), timeout=10)
                return status.processed_block == head

            await eventually(chain_followed, timeout=20)
            snapshots = {s.path: s for s in system.snapshot()}
            for path in ("/app/bank", "/app/chain/devnet", "/app/dashboard"):
                assert (snapshots[path].state, snapshots[path].restarts_total) == ("running", 0)

            resize_tmpfs(tiny, "8m")

            async def ready() -> bool:
                async with http.get(f"{url}readyz") as reply:
                    return reply.status == 200

            await eventually(ready, timeout=20)
            await write_durably(bank, opportunity("after"))
            await anvil_node.rpc("evm_mine")

            async def recorded() -> bool:
                blocks: list[BlockRecord] = await bank.ask(QueryBlocks(chain="devnet", limit=1))
                return [b.number for b in blocks] == [head + 1]

            await eventually(recorded, timeout=20)


async def next_snapshot(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """The next snapshot the health page is pushed over its WebSocket."""
    async with http.ws_connect(f"{url}ws") as ws:
        while True:
            message = await ws.receive_json(timeout=10)
            if message["type"] == "snapshot":
                return message
