"""Process faults: SIGTERM to `arbiter run --devnet` while it is under load.

Its own anvil, ports and state dir. Load: the devnet's swap traffic, plus
clients reading the API and /metrics as fast as they can and sending
control messages. SIGTERM must stop it gracefully: exit code 0, every
actor stopped within its deadline (no ``shutdown_timeout``, no failure),
no request answered with a server error, anvil gone with it.

SIGKILL at random points, with the bank's checks on what was acknowledged,
is tests/actors/bank/test_crash.py (twenty kills during devnet traffic).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import pytest

from actors.devnet import free_port
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("loop_lag")]

ARBITER = Path(sys.executable).with_name("arbiter")
SHUTDOWN_DEADLINE_S = 10.0  # [runtime] shutdown_timeout's default
LOADERS = 6


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    devnet_port, http_port = free_port(), free_port()
    log = (tmp_path / "stdout.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [
            str(ARBITER),
            "run",
            "--devnet",
            "--devnet-port",
            str(devnet_port),
            "--http",
            f"127.0.0.1:{http_port}",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ARBITER_RUNTIME_LOG_FORMAT": "json"},
    )
    try:
        yield process, f"http://127.0.0.1:{http_port}", devnet_port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()


async def test_sigterm_under_load_stops_gracefully_with_exit_code_zero_within_the_deadline(
    running: tuple[subprocess.Popen[bytes], str, int], tmp_path: Path
) -> None:
    process, base, devnet_port = running
    statuses: list[int] = []
    stop = asyncio.Event()

    async with aiohttp.ClientSession() as session:

        async def processed_blocks() -> bool:
            try:
                async with session.get(f"{base}/api/chain") as reply:
                    chains = await reply.json()
            except aiohttp.ClientError:
                return False
            return bool(chains) and (chains[0]["processed_block"] or 0) >= 20

        await eventually(processed_blocks, timeout=90)
        token = (tmp_path / "state" / "token").read_text().strip()

        async def load(n: int) -> None:
            paths = ["/api/actors", "/metrics", "/api/pools", "/api/chain"]
            while not stop.is_set():
                try:
                    if n == 0:
                        async with session.post(
                            f"{base}/api/actors/app/monitor/messages?ask=1",
                            data=json.dumps({"type": "Ping"}),
                            headers={"Authorization": f"Bearer {token}"},
                        ) as reply:
                            statuses.append(reply.status)
                    else:
                        async with session.get(base + paths[n % len(paths)]) as reply:
                            await reply.read()
                            statuses.append(reply.status)
                except (aiohttp.ClientError, OSError):
                    return  # the server went away: the stop under test

        loaders = [asyncio.create_task(load(n)) for n in range(LOADERS)]
        await eventually(lambda: len(statuses) >= 200, timeout=60)
        process.send_signal(signal.SIGTERM)
        started = asyncio.get_running_loop().time()
        await eventually(lambda: process.poll() is not None, timeout=SHUTDOWN_DEADLINE_S + 10)
        stopped_in = asyncio.get_running_loop().time() - started
        stop.set()
        await asyncio.gather(*loaders)

    output = (tmp_path / "stdout.log").read_text()
    events = [json.loads(line).get("event") for line in output.splitlines() if line.startswith("{")]
    assert process.returncode == 0, output[-3000:]
    assert stopped_in <= SHUTDOWN_DEADLINE_S + 2, "the kernel's shutdown deadline bounds the stop"
    assert "system_stopped" in events
    assert "shutdown_timeout" not in events
    assert "actor_failed" not in events
    assert statuses, "no request was answered"
    assert all(status < 500 for status in statuses), sorted(set(statuses))
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", devnet_port), 1):
        pytest.fail("anvil still listens after arbiter stopped")
