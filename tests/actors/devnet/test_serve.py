"""`arbiter devnet` as a user runs it: a real process with its own anvil, stopped by a signal."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import psutil
import pytest

from actors.devnet import READY_LINE, free_port
from actors.devnet._rpc import rpc
from messages.market import Pool
from runtime.config import load_config
from tests.fixtures.devnet import pool_state, web3
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from pathlib import Path

ARBITER = [sys.executable, "-m", "runtime"]


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def read_until_ready(process: subprocess.Popen[str], timeout: float = 30.0) -> str:
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(READY_LINE):
            return "".join(seen)
    pytest.fail(f"{READY_LINE!r} not printed within {timeout} s; got: {''.join(seen)}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
async def test_devnet_prints_the_addresses_writes_the_config_and_stops_on_a_signal(
    tmp_path: Path, sig: signal.Signals
) -> None:
    config = tmp_path / "devnet.toml"
    port = free_port()
    command = [*ARBITER, "devnet", "--port", str(port), "--config-out", str(config)]
    command += ["--interval", "0.05"]
    with subprocess.Popen(  # noqa: S603, ASYNC220 - our own CLI; Popen returns at once
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            printed = read_until_ready(process)
            anvil_pid = int(re.findall(r"pid (\d+)", printed)[-1])
            # What it writes is a config `arbiter run --config` takes.
            written = load_config(config, {})
            assert written.chain is not None
            assert written.chain.ws_url == f"ws://127.0.0.1:{port}"
            pools = [(dex.kind, address) for dex in written.dex for address in dex.pools]
            assert len(pools) == 9
            for _, address in pools:
                assert address in printed
            async with web3(f"http://127.0.0.1:{port}") as w3:
                for kind, address in pools:
                    shown = Pool(address=address, dex="d", kind=kind, token0="", token1="", fee=0)
                    assert await pool_state(w3, shown)
                first = int(await rpc(w3, "eth_blockNumber"), 16)

                async def traffic_mined() -> bool:
                    return int(await rpc(w3, "eth_blockNumber"), 16) > first

                await eventually(traffic_mined)
            process.send_signal(sig)
            _, errors = process.communicate(timeout=20)
        finally:
            process.kill()
    assert process.returncode == 0, errors
    assert "Traceback" not in errors
    assert gone(anvil_pid)


def test_devnet_on_a_port_in_use_fails_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [*ARBITER, "devnet", "--port", str(port), "--no-traffic"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port} is in use" in lines[0]
