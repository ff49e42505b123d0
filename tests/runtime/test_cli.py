"""The `arbiter` command as a user runs it: a real process, real signals."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.fixtures.anvil import AnvilNode

ARBITER = [sys.executable, "-m", "runtime"]


def _start(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [*ARBITER, "run", "--state-dir", str(tmp_path / "state"), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "ARBITER_RUNTIME_LOG_FORMAT": "json", "ARBITER_DASHBOARD_PORT": "0"},
    )


def _wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float = 20.0) -> list[str]:
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    pytest.fail(f"{needle!r} not printed within {timeout} s; got: {''.join(seen)}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_gracefully_on_a_signal_with_exit_code_zero(tmp_path: Path, sig: int) -> None:
    process = _start(tmp_path)
    try:
        started = _wait_for_line(process, "arbiter: health page at http://127.0.0.1:")
        process.send_signal(sig)
        output, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert any("arbiter_running" in line for line in started)
    assert "system_stopped" in output
    assert (tmp_path / "state" / "arbiter.log").read_text().count("system_stopped") == 1


async def test_run_with_a_chain_follows_the_node_and_stops_cleanly(
    tmp_path: Path, anvil_node: AnvilNode
) -> None:
    config = tmp_path / "chain.toml"
    config.write_text(f'[chain]\nws_url = "{anvil_node.ws_url}"\nchain_id = 31337\n')
    process = _start(tmp_path, "--config", str(config))
    try:
        _wait_for_line(process, "chain_connected")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert "actor_failed" not in output


def test_run_refuses_an_invalid_config_with_one_line_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[runtime]\nlog_level = "loud"\n')
    result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [*ARBITER, "run", "--config", str(config), "--state-dir", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "runtime.log_level" in lines[0]
    assert "'loud'" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "s").exists()


def test_run_refuses_a_missing_config_file(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [*ARBITER, "run", "--config", str(tmp_path / "nope.toml")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_bench_with_an_unknown_name_lists_the_benchmarks() -> None:
    result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [*ARBITER, "bench", "no-such-bench"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "no benchmark 'no-such-bench'; there are:" in result.stderr


@pytest.mark.parametrize(
    ("http", "expected"),
    [("0.0.0.0:0", "needs"), ("nonsense", "HOST:PORT"), ("127.0.0.1:99999", "HOST:PORT")],
)
def test_run_refuses_an_unsafe_or_malformed_http_address(
    tmp_path: Path, http: str, expected: str
) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "ARBITER_DASHBOARD_TOKEN"}
    result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [*ARBITER, "run", "--http", http, "--state-dir", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=environ,
    )
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


async def test_run_devnet_deploys_follows_the_pools_and_stops_cleanly(tmp_path: Path) -> None:
    import re
    import urllib.request

    from actors.devnet import free_port
    from tests.fixtures.waiting import eventually

    port = free_port()
    process = _start(tmp_path, "--devnet", "--devnet-port", str(port))
    try:
        seen = _wait_for_line(process, "arbiter: health page at", timeout=60)
        url = re.findall(r"health page at (\S+)", "".join(seen))[-1]
        assert (tmp_path / "state" / "devnet.toml").exists()

        def pools_with_state() -> bool:
            with urllib.request.urlopen(f"{url}api/pools", timeout=5) as response:  # noqa: S310
                pools = json.loads(response.read())
            return len(pools) == 9 and all(p.get("block") is not None for p in pools)

        await eventually(pools_with_state, timeout=30)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert "actor_failed" not in output, output
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
        pytest.fail("anvil still listens after arbiter stopped")
