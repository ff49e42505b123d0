"""``arbiter status`` and ``arbiter send`` as a user runs them, against a running dashboard."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import TYPE_CHECKING

import pytest

from tests.actors.dashboard.conftest import start

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from runtime import ManualClock
    from tests.actors.dashboard.conftest import Running

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def generated(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    """A dashboard whose token was generated into its state dir, as with a bare `arbiter run`."""
    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)
    async for running in start(tmp_path, clock, token=""):
        yield running


async def arbiter(
    running: Running, *args: str, state_dir: Path | None = None
) -> tuple[int, str, str]:
    """Run the ``arbiter`` CLI in a child process while this loop keeps serving."""
    env = {k: v for k, v in os.environ.items() if k != "ARBITER_DASHBOARD_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "runtime",
        *args,
        "--url",
        running.url,
        "--state-dir",
        str(state_dir or running.state_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_status_prints_the_tree_plain_when_piped(generated: Running) -> None:
    code, out, err = await arbiter(generated, "status")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    names = [line.split()[0] for line in lines if line.strip() and not line.startswith(" " * 20)]
    for path in ("/app", "/app/chain/devnet", "/app/dex/uniswap_v2_a", "/app/dashboard"):
        assert path.rsplit("/", 1)[1] in names
    assert any(line.startswith("      devnet ") for line in lines)
    assert "running" in out
    assert lines[-1] == "ready"
    assert "\x1b[" not in out


async def test_send_prints_the_reply(generated: Running) -> None:
    code, out, err = await arbiter(generated, "send", "/app/worker", "Ping")

    assert (code, err) == (0, "")
    assert json.loads(out) == {"type": "Pong", "path": "/app/worker"}


async def test_send_set_param_changes_the_actor_without_a_restart(generated: Running) -> None:
    code, out, _ = await arbiter(
        generated, "send", "/app/worker", "SetParam", '{"name": "min_profit_wei", "value": "0"}'
    )

    assert code == 0
    assert json.loads(out) == "min_profit_wei = '0'"
    assert generated.world.params == {"min_profit_wei": "0"}
    assert generated.actor("/app/worker").restarts_total == 0


async def test_send_restart_restarts_the_actor(generated: Running) -> None:
    code, out, _ = await arbiter(generated, "send", "/app/worker", "Restart")

    assert (code, json.loads(out)) == (0, None)
    assert generated.actor("/app/worker").restarts_total == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["/app/nobody", "Ping"], "arbiter: unknown_actor: no actor at /app/nobody"),
        (["/app/worker", "Reboot"], "arbiter: unknown_type: Invalid value 'Reboot'"),
        (["/app/worker", "SetParam", '{"name": 5, "value": 1}'], "arbiter: invalid_message:"),
        (["/app/worker", "SetParam", "{name"], "arbiter: JSON '{name' is not valid JSON"),
        (["/app/worker", "SetParam", "[1]"], "arbiter: JSON '[1]' must be an object"),
        (["app/worker", "Ping"], "arbiter: actor path 'app/worker' must start with /"),
    ],
    ids=["bad path", "bad type", "bad field", "bad json", "not an object", "relative path"],
)
async def test_send_refuses_bad_input_with_one_line_and_exit_code_2(
    generated: Running, args: list[str], expected: str
) -> None:
    code, out, err = await arbiter(generated, "send", *args)

    assert (code, out) == (2, "")
    assert err.startswith(expected)
    assert err.count("\n") == 1
    assert generated.world.params == {}


async def test_send_without_the_token_is_refused(generated: Running, tmp_path: Path) -> None:
    code, _, err = await arbiter(generated, "send", "/app/worker", "Ping", state_dir=tmp_path / "x")

    assert code == 2
    assert err.startswith("arbiter: unauthorized:")


async def test_status_of_an_unreachable_dashboard_says_so(generated: Running) -> None:
    generated.url = "http://127.0.0.1:9"

    code, _, err = await arbiter(generated, "status")

    assert code == 2
    assert err.startswith("arbiter: cannot reach the dashboard at http://127.0.0.1:9")
