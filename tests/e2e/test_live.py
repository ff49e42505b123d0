"""The whole app on the devnet, as `arbiter run --devnet` runs it: live arbitrage that pays.

One child process runs anvil, the deployment, the traffic and the app tree
(chain client, watchers, analytics, executor in ``live``, wallet, bank,
dashboard). The test reads only what a user can: the dashboard's API and
the chain.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from eth_utils.abi import function_signature_to_4byte_selector

from actors.devnet import BOT_ACCOUNT, free_port
from actors.devnet._rpc import rpc
from tests.fixtures.devnet import contract, web3
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

pytestmark = pytest.mark.timeout(110)

INSUFFICIENT_PROFIT = (
    "0x" + function_signature_to_4byte_selector("InsufficientProfit(int256,uint256)").hex()
)


class App:
    def __init__(self, url: str, http_url: str, process: asyncio.subprocess.Process) -> None:
        self.url = url
        self.http_url = http_url
        self.process = process

    async def get(self, path: str) -> Any:
        async with aiohttp.ClientSession() as session, session.get(self.url + path) as response:
            assert response.status == 200, await response.text()
            return await response.json()


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    """`arbiter run --devnet` on free ports, stopped with SIGTERM after the test."""
    port = free_port()
    env = os.environ | {"ARBITER_DASHBOARD_PORT": "0"}
    env.pop("ARBITER_DASHBOARD_TOKEN", None)
    with (tmp_path / "stderr.log").open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "runtime",
            "run",
            "--devnet",
            "--devnet-port",
            str(port),
            "--state-dir",
            str(tmp_path / "state"),
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert b"health page at " in line, (tmp_path / "stderr.log").read_text()
            url = line.decode().split("health page at ", 1)[1].strip().rstrip("/")
            yield App(url, f"http://127.0.0.1:{port}", process)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), timeout=30)
    assert code == 0, (tmp_path / "stderr.log").read_text()[-4000:]


def executed(opportunities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        o
        for o in opportunities
        if o["status"] == "executed" and o["realised_profit"] is not None and o["tx_hash"]
    ]


async def test_live_arbitrage_on_the_devnet_grows_the_bots_balance_and_no_tx_of_ours_misfires(
    app: App,
) -> None:
    async def some_executed() -> bool:
        return len(executed(await app.get("/api/opportunities?limit=1000"))) >= 2

    await eventually(some_executed, timeout=60, every=0.2)
    opportunities = await app.get("/api/opportunities?limit=1000")
    txs = await app.get("/api/txs?limit=1000")
    done = executed(opportunities)
    bot = BOT_ACCOUNT.lower()

    assert all(o["latency_us"] > 0 for o in opportunities if o["status"] == "new")
    async with web3(app.http_url) as w3:
        holder = w3.to_checksum_address(BOT_ACCOUNT)
        for opportunity in done:
            realised = int(opportunity["realised_profit"])
            receipt = await w3.eth.get_transaction_receipt(opportunity["tx_hash"])
            block = receipt["blockNumber"]
            token = contract(w3, "ERC20", opportunity["path"][0]["token_in"])
            before = await token.functions.balanceOf(holder).call(block_identifier=block - 1)
            after = await token.functions.balanceOf(holder).call(block_identifier=block)
            assert receipt["status"] == 1
            assert realised > 0
            # Automine: the arbitrage is its block's only transaction of the bot.
            assert after - before == realised
        # Ours: sent from the bot with distinct nonces, none dropped or replaced.
        assert {tx["account"].lower() for tx in txs} == {bot}
        assert len({tx["nonce"] for tx in txs}) == len(txs)
        assert not [tx for tx in txs if tx["status"] in {"dropped", "replaced"}]
        # A reverted one may only be the contract's own refusal: the pool moved first
        # and the profit fell below min_profit. Replayed on its block's parent state
        # (automine: one transaction per block), it must revert with InsufficientProfit,
        # not with a nonce error or anything else.
        for tx in [tx for tx in txs if tx["status"] == "failed"]:
            sent = await w3.eth.get_transaction(tx["hash"])
            replay = {"from": sent["from"], "to": sent["to"], "data": sent["input"].to_0x_hex()}
            with pytest.raises(Exception) as refused:
                await rpc(w3, "eth_call", replay, hex(sent["blockNumber"] - 1))
            assert INSUFFICIENT_PROFIT in str(refused.value)
