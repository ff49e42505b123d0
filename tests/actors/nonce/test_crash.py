"""kill -9 with transactions in flight: all answered are in the bank, none reused, all settle."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from actors.bank import Store
from tests.actors.nonce.conftest import ACCOUNT, KEY, rpc_batch
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from tests.fixtures.anvil import AnvilNode

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[3]
FINAL = {"mined", "failed", "replaced", "dropped"}
KILLS = ((150, "mine"), (40, "wait"), (250, "forget"))
"""Submits answered before each kill (it lands while others are being sent), and what the
node does before the next start: mine a block, keep them all waiting in its pool, or forget
its pool (``anvil_dropAllTransactions``): then only the bank knows them."""


class Sender:
    """One run of `tests.actors.nonce.crash_sender`: the app's tree, sending transfers."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.sent: list[str] = []
        self.url = ""

    @classmethod
    async def start(cls, config: Path, state_dir: Path, submits: int) -> Sender:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.actors.nonce.crash_sender",
            str(config),
            str(state_dir),
            str(submits),
            cwd=ROOT,
            env={**os.environ, "ARBITER_PRIVATE_KEY": KEY},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        sender = cls(process)
        sender.url = (await sender.line()).removeprefix("url ").rstrip("/")
        return sender

    async def line(self) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(60):
            line = (await self.process.stdout.readline()).decode()
        assert line, "the sender ended"
        return line.strip()

    async def read_sent(self, count: int) -> None:
        """Wait until ``count`` hashes are answered in all."""
        while len(self.sent) < count:
            line = await self.line()
            if line.startswith("sent "):
                self.sent.append(line.removeprefix("sent "))

    async def kill(self) -> str:
        """SIGKILL; keep the hashes it printed before it died; return its log."""
        self.process.send_signal(signal.SIGKILL)
        out, err = await self.process.communicate()
        # A torn last line was never printed whole: its hash was not answered.
        lines = out.decode().split("\n")[:-1]
        self.sent += [line.removeprefix("sent ") for line in lines if line.startswith("sent ")]
        return err.decode()

    async def txs(self) -> dict[str, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.url}/api/txs?limit=1000") as response,
        ):
            assert response.status == 200
            return {row["hash"]: row for row in await response.json()}


def in_the_bank(database: Path) -> tuple[dict[str, int], set[int]]:
    """Every transaction the bank recorded (hash -> nonce), and the nonces it has in flight.

    Read by the bank's own store once the process that owned it is dead.
    """
    store = Store.open(database)
    try:
        recorded = {r.hash: r.nonce for r in store.txs(100_000)}
        return recorded, {e.nonce for e in store.in_flight(ACCOUNT)}
    finally:
        store.close()


def write_config(tmp_path: Path, node: AnvilNode) -> Path:
    path = tmp_path / "arbiter.toml"
    path.write_text(
        f'[chain]\nws_url = "{node.ws_url}"\nchain_id = 31337\npoll_interval = 0.5\n'
        f'[nonce]\naccounts = ["{ACCOUNT}"]\n'
        "[dashboard]\nport = 0\n"
        f'[bank]\npath = "{tmp_path / "arbiter.db"}"\n'
    )
    return path


async def test_after_a_kill_9_with_transactions_in_flight_no_nonce_is_reused_and_all_settle(
    anvil_node: AnvilNode, tmp_path: Path
) -> None:
    config, state = write_config(tmp_path, anvil_node), tmp_path / "state"
    await anvil_node.rpc("evm_setAutomine", False)
    killed: list[str] = []
    logs = ""
    for answered, then in KILLS:
        sender = await Sender.start(config, state, submits=100_000)
        try:
            await sender.read_sent(answered)
        finally:
            logs += await sender.kill()
        # An answer waits for its record's commit: each answered hash is in the bank.
        recorded, in_flight = in_the_bank(tmp_path / "arbiter.db")
        assert set(sender.sent) <= recorded.keys(), set(sender.sent) - recorded.keys()
        killed += sender.sent
        if then == "mine":
            await anvil_node.rpc("evm_mine")
        elif then == "forget":
            pooled = await anvil_node.rpc("txpool_content")
            assert pooled["pending"], "nothing in flight was forgotten"
            assert {recorded[h] for h in sender.sent} <= in_flight
            await anvil_node.rpc("anvil_dropAllTransactions")

    last = await Sender.start(config, state, submits=20)
    try:
        await last.read_sent(20)
        expected = {*killed, *last.sent}

        async def all_final() -> bool:
            await anvil_node.rpc("evm_mine")
            txs = await last.txs()
            return expected <= txs.keys() and all(tx["status"] in FINAL for tx in txs.values())

        await eventually(all_final, timeout=60)
        records = await last.txs()
    finally:
        logs += await last.kill()

    chain_nonce = int(await anvil_node.rpc("eth_getTransactionCount", ACCOUNT, "latest"), 16)
    on_chain = await rpc_batch(anvil_node, [("eth_getTransactionReceipt", [h]) for h in records])
    receipts = dict(zip(records, on_chain, strict=True))
    consumed = [r for r in records.values() if r["status"] in ("mined", "failed")]
    # Every nonce the chain consumed is known, once: none reused, none forgotten.
    assert sorted(r["nonce"] for r in consumed) == list(range(chain_nonce))
    for record in records.values():
        receipt = receipts[record["hash"]]
        if record["status"] in ("mined", "failed"):
            assert receipt is not None, record
            assert int(receipt["blockNumber"], 16) == record["block"]
            assert receipt["from"] == ACCOUNT
        else:
            assert receipt is None, record
    assert {records[h]["status"] for h in [*killed, *last.sent]} == {"mined"}
    assert KEY.removeprefix("0x") not in logs
    adopted = logs.count('"tx_adopted"')
    print(  # noqa: T201 - the numbers are the point
        f"\n{len(KILLS)} kill -9s after {len(killed)} answered submits: {len(records)} "
        f"transactions, {chain_nonce} nonces consumed, {adopted} adopted from the node"
    )
