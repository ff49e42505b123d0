"""SIGKILL the runtime at random moments of a devnet run: it restarts where it was, losing nothing.

``arbiter devnet`` (anvil, the deployed DEXes and swap traffic) runs on its
own, so the node outlives every kill; ``arbiter run --config`` against it is
started and SIGKILLed again and again, each time once it has processed a
random number of further blocks. After each kill the database must open and
hold every block read from it before the kill; after each restart the chain
client must have resumed from the checkpoint the database held, every
watcher from its own, and every pool must equal the chain.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from actors.devnet import free_port
from tests.actors.bank.running import ROOT, Arbiter, integrity, read_blocks, read_checkpoint
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.timeout(150)

DEVNET = [sys.executable, "-m", "runtime", "devnet"]
RUNS = 20
BUDGET_S = 90.0
DEXES = ("uniswap_v2_a", "uniswap_v2_b", "uniswap_v3")
_GET_RESERVES = "0x0902f1ac"
_SLOT0 = "0x3850c7bd"
_LIQUIDITY = "0x1a686502"


class Devnet:
    def __init__(self, port: int, config: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.config = config

    async def rpc(self, method: str, *params: object) -> Any:
        [result] = await self.batch([(method, list(params))])
        return result

    async def batch(self, calls: list[tuple[str, list[object]]]) -> list[Any]:
        body = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        async with aiohttp.ClientSession() as session, session.post(self.url, json=body) as reply:
            answers = sorted(await reply.json(), key=lambda answer: answer["id"])
        assert all("error" not in answer for answer in answers), answers
        return [answer["result"] for answer in answers]


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    port = free_port()
    config = tmp_path / "devnet.toml"
    with subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [*DEVNET, "--port", str(port), "--interval", "0.1", "--config-out", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "ARBITER_RUNTIME_LOG_FORMAT": "json"},
    ) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                if line.startswith("devnet ready"):
                    break
            else:
                pytest.fail("arbiter devnet ended before it was ready")
            yield Devnet(port, config)
        finally:
            process.terminate()
            process.wait(timeout=30)


async def get(url: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(url) as reply:
        assert reply.status == 200, await reply.text()
        return json.loads(await reply.read())


async def assert_pools_equal_the_chain(devnet: Devnet, url: str) -> None:
    """Every pool as the API shows it equals what its contract says at the pool's block.

    Asked by block hash once the node is past the block: anvil 1.7.1 was seen
    answering an ``eth_call`` at its newest block's number with the state of
    the block it was mining.
    """
    pools = await get(f"{url}api/pools")
    assert len(pools) == 9
    newest = max(pool["block"] for pool in pools)

    async def past_it() -> bool:
        return int(await devnet.rpc("eth_blockNumber"), 16) > newest

    await eventually(past_it, timeout=30)
    numbers = sorted({pool["block"] for pool in pools})
    headers = await devnet.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    hashes = {n: header["hash"] for n, header in zip(numbers, headers, strict=True)}
    calls: list[tuple[str, list[object]]] = []
    for pool in pools:
        selectors = [_GET_RESERVES] if pool["kind"] == "uniswap_v2" else [_SLOT0, _LIQUIDITY]
        at = {"blockHash": hashes[pool["block"]]}
        calls += [
            ("eth_call", [{"to": pool["address"], "data": selector}, at]) for selector in selectors
        ]
    answers = iter(await devnet.batch(calls))
    for pool in pools:
        if pool["kind"] == "uniswap_v2":
            words = _words(next(answers))
            assert (pool["reserve0"], pool["reserve1"]) == (str(words[0]), str(words[1])), pool
        else:
            slot0, liquidity = _words(next(answers)), _words(next(answers))
            tick = slot0[1] - (1 << 256) if slot0[1] >> 255 else slot0[1]
            expected = (str(slot0[0]), str(liquidity[0]), str(tick))
            assert (pool["sqrt_price_x96"], pool["liquidity"], pool["tick"]) == expected, pool


def _words(data: str) -> list[int]:
    raw = bytes.fromhex(data.removeprefix("0x"))
    return [int.from_bytes(raw[i : i + 32], "big") for i in range(0, len(raw), 32)]


def restored_from(arbiter: Arbiter) -> dict[str, int | None]:
    """What each watcher's ``watching`` line said it restored from (None: read the chain)."""
    found: dict[str, int | None] = {}
    for line in arbiter.lines:
        if '"watching"' in line:
            event = json.loads(line)
            found[event["dex"]] = event.get("restored_from")
    return found


async def test_after_twenty_sigkills_at_random_moments_nothing_is_lost_or_applied_twice(
    devnet: Devnet, tmp_path: Path
) -> None:
    rng = random.Random(20_261_125)
    state = tmp_path / "state"
    database = state / "arbiter.db"
    deadline = time.monotonic() + BUDGET_S
    seen: dict[int, str] = {}  # blocks read back from the database before a kill
    resumed = 0
    for run in range(RUNS):
        assert time.monotonic() < deadline, f"only {run} of {RUNS} runs within {BUDGET_S} s"
        checkpoint = read_checkpoint(database) if database.exists() else None
        own = {dex: read_checkpoint(database, dex) if database.exists() else None for dex in DEXES}
        with Arbiter(state, devnet.config) as arbiter:
            await eventually(lambda a=arbiter: a.printed("arbiter: health page at"), timeout=30)
            url = arbiter.url()
            [chain] = await get(f"{url}api/chain")
            expected = None if checkpoint is None else checkpoint.block_number
            assert chain["resumed_from"] == expected, (run, chain)
            await eventually(lambda a=arbiter: len(restored_from(a)) == len(DEXES), timeout=30)
            for dex, point in restored_from(arbiter).items():
                mine = own[dex]
                assert point == (None if mine is None else mine.block_number), (run, dex)
            resumed += checkpoint is not None
            try:
                await assert_pools_equal_the_chain(devnet, url)
            except AssertionError as exc:
                context = (run, chain, restored_from(arbiter), checkpoint, own)
                raise AssertionError(f"{context}") from exc
            # A random moment: a random number of blocks further on.
            target = chain["processed_block"] + rng.randint(0, 12)

            async def reached(url: str = url, target: int = target) -> bool:
                [status] = await get(f"{url}api/chain")
                return status["processed_block"] >= target

            await eventually(reached, timeout=30)
            seen |= {block.number: block.hash for block in read_blocks(database)}
            arbiter.kill()
        assert integrity(database) == [("ok",)]
        kept = {block.number: block.hash for block in read_blocks(database, limit=100_000)}
        lost = {number for number, block_hash in seen.items() if kept.get(number) != block_hash}
        assert not lost, f"run {run}: blocks read back before the kill are gone: {sorted(lost)}"
    assert resumed == RUNS - 1
    await assert_every_block_recorded_once_on_the_node_chain(devnet, database)


async def assert_every_block_recorded_once_on_the_node_chain(
    devnet: Devnet, database: Path
) -> None:
    blocks = sorted(read_blocks(database, limit=100_000), key=lambda block: block.number)
    numbers = [block.number for block in blocks]
    assert numbers == list(range(numbers[0], numbers[-1] + 1)), "a block was skipped"
    node = await devnet.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    assert [block.hash for block in blocks] == [header["hash"] for header in node]
    assert [block.parent_hash for block in blocks] == [header["parentHash"] for header in node]
