"""anvil as a child process: ready when started, gone when stopped, never outliving its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from actors.devnet import DEFAULT_CHAIN_ID, Anvil, DevnetError, free_port
from actors.devnet._rpc import connect, rpc
from tests.fixtures.waiting import eventually


def gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie nobody reaped yet counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def block_number(node: Anvil) -> int:
    w3 = connect(node.http_url)
    try:
        return int(await rpc(w3, "eth_blockNumber"), 16)
    finally:
        await w3.provider.disconnect()


async def test_a_started_node_answers_with_its_chain_id_and_is_gone_after_stop() -> None:
    node = Anvil(port=free_port())
    await node.start()
    pid = node.pid
    assert pid is not None
    assert node.running
    w3 = connect(node.http_url)
    try:
        assert int(await rpc(w3, "eth_chainId"), 16) == DEFAULT_CHAIN_ID
    finally:
        await w3.provider.disconnect()
    await node.stop()
    assert not node.running
    assert node.pid is None
    assert gone(pid)


async def test_stop_is_idempotent_and_the_context_manager_stops_the_node() -> None:
    async with Anvil(port=free_port()) as node:
        pid = node.pid
        assert pid is not None
    assert gone(pid)
    await node.stop()
    assert node.pid is None


async def test_a_port_in_use_is_refused_with_one_clear_error(anvil: Anvil) -> None:
    with pytest.raises(DevnetError, match=rf"127\.0\.0\.1:{anvil.port} is in use"):
        await Anvil(port=anvil.port).start()
    assert await block_number(anvil) == 0


async def test_a_started_node_cannot_be_started_again(anvil: Anvil) -> None:
    with pytest.raises(DevnetError, match="already started"):
        await anvil.start()


async def test_a_node_that_exits_at_start_is_reported_with_its_own_error() -> None:
    node = Anvil(port=free_port(), chain_id=-1)
    with pytest.raises(DevnetError, match="anvil exited with code"):
        await node.start()
    assert node.pid is None


async def test_with_a_block_time_blocks_are_mined_without_transactions() -> None:
    async with Anvil(port=free_port(), block_time=0.1) as node:
        first = await block_number(node)

        async def mined() -> bool:
            return await block_number(node) > first

        await eventually(mined, timeout=5)
    assert "--block-time" in node.command()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_node_dies_with_its_parent_even_when_the_parent_is_killed() -> None:
    script = (
        "import asyncio, sys\n"
        "from actors.devnet import Anvil, free_port\n"
        "async def main():\n"
        "    node = await Anvil(port=free_port()).start()\n"
        "    print(node.pid, flush=True)\n"
        "    await asyncio.Event().wait()\n"
        "asyncio.run(main())\n"
    )
    with subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as parent:
        try:
            assert parent.stdout is not None
            child = int(parent.stdout.readline())
            assert not gone(child)
        finally:
            os.kill(parent.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not gone(child):
        assert time.monotonic() < deadline, f"anvil {child} outlived its killed parent"
        time.sleep(0.01)  # wait-ok: a poll with a deadline
