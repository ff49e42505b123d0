"""``/ws``: the greeting, pushes on the timer, viewers that do not read, reads behind a token."""

from __future__ import annotations

import asyncio
import base64
import socket
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from actors.dashboard import Dashboard, DashboardSettings
from messages.control import Ping
from runtime import Actor, ActorSystem, ConfigError
from runtime._context import child_spec
from tests.actors.dashboard.conftest import TOKEN, start
from tests.runtime.support import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from runtime import ManualClock
    from tests.actors.dashboard.conftest import Running

pytestmark = pytest.mark.timeout(30)

LOOPS = ("asyncio", "uvloop")
"""Each test runs on both: transports differ (uvloop's are no `asyncio.WriteTransport`)."""

PUSH = 0.5


async def next_snapshot(ws: aiohttp.ClientWebSocketResponse, clock: ManualClock) -> dict[str, Any]:
    """Move the clock to the next push and return the snapshot it sends."""
    clock.advance(PUSH)
    while True:
        message = await ws.receive_json(timeout=10)
        if message["type"] == "snapshot":
            return message


async def test_a_viewer_is_greeted_then_sent_everything_the_page_shows_at_each_push(
    running: Running, clock: ManualClock
) -> None:
    async with running.session.ws_connect(running.url + "/ws") as ws:
        hello = await ws.receive_json(timeout=10)
        assert hello["type"] == "hello"
        assert hello["push_interval"] == PUSH
        assert set(hello["history"]) == {"interval", "length", "series"}

        snapshot = await next_snapshot(ws, clock)

    assert snapshot["system"] == "test"
    assert snapshot["ready"] is True
    paths = [actor["path"] for actor in snapshot["actors"]]
    assert paths[:2] == ["/", "/app"]
    assert {"/app/worker", "/app/chain/devnet", "/app/dashboard"} <= set(paths)
    worker = next(actor for actor in snapshot["actors"] if actor["path"] == "/app/worker")
    assert worker["restart"] == "permanent"
    assert {"messages_per_s", "last_traceback", "mailbox_capacity"} <= worker.keys()
    assert [chain["head_block"] for chain in snapshot["chains"]] == [120]
    assert len(snapshot["pools"]) == 2
    assert [o["id"] for o in snapshot["opportunities"]] == [5, 4, 3, 2, 1]
    assert [tx["nonce"] for tx in snapshot["txs"]] == [3, 2, 1]
    assert snapshot["analytics"]["error"] is None
    assert [p["spread_bps"] for p in snapshot["analytics"]["pairs"]] == [125]
    assert [d["dex"] for d in snapshot["analytics"]["dexes"]] == ["uniswap_v2_a"]
    assert snapshot["executor"]["mode"] == "live"
    assert snapshot["executor"]["outcomes"]["executed"] == 4
    assert snapshot["process"]["resident_memory_bytes"] > 0
    assert snapshot["process"]["open_fds"] > 0
    assert snapshot["loop"]["samples"] >= 0


async def test_a_restart_shows_in_the_next_push(running: Running, clock: ManualClock) -> None:
    async with running.session.ws_connect(running.url + "/ws") as ws:
        await ws.receive_json(timeout=10)
        before = await next_snapshot(ws, clock)
        await running.post("/app/worker", '{"type": "Restart"}', ask=True)

        after = await next_snapshot(ws, clock)

    def restarts(snapshot: dict[str, Any]) -> int:
        return next(a["restarts_total"] for a in snapshot["actors"] if a["path"] == "/app/worker")

    assert (restarts(before), restarts(after)) == (0, 1)


async def test_sparkline_samples_are_pushed_every_history_interval_and_kept_for_new_viewers(
    running: Running, clock: ManualClock
) -> None:
    worker = running.system.lookup("/app/worker")
    assert worker is not None
    async with running.session.ws_connect(running.url + "/ws") as ws:
        await ws.receive_json(timeout=10)
        snapshots = []
        for _ in range(5):
            for _ in range(10):
                await worker.ask(Ping())
            snapshots.append(await next_snapshot(ws, clock))

    # The first push takes the first sample; the next comes 2 s (four pushes) later,
    # with the rate over those 2 s: 40 pings.
    samples = [s["sample"] for s in snapshots]
    assert [sample is not None for sample in samples] == [True, False, False, False, True]
    assert samples[4]["/app/worker"]["rate"] == 40 / 2.0
    async with running.session.ws_connect(running.url + "/ws") as late:
        hello = await late.receive_json(timeout=10)
    series = hello["history"]["series"]
    assert series["/app/worker"]["rate"] == [0.0, 40 / 2.0]
    assert len(series[""]["depth"]) == len(series["/app/worker"]["depth"])


async def test_a_viewer_that_does_not_read_is_dropped_and_the_others_still_get_pushes(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)
    # Many actors make big pushes, which fill the socket buffers in fewer of them.
    idle = [child_spec(Idle, name=f"idle-{n}") for n in range(300)]
    async for running in start(tmp_path, clock, idle, ws_max_backlog=32 * 1024):
        host, port = running.url.removeprefix("http://").split(":")
        loop = asyncio.get_running_loop()
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.setblocking(False)
        try:
            await loop.sock_connect(stalled, (host, int(port)))
            key = base64.b64encode(b"0123456789abcdef").decode()
            await loop.sock_sendall(
                stalled,
                (
                    f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n"
                ).encode(),
            )
            async with running.session.ws_connect(running.url + "/ws") as ws:
                await ws.receive_json(timeout=10)
                dropped = 0
                for _ in range(2000):
                    snapshot = await next_snapshot(ws, clock)
                    dropped = snapshot["viewers_dropped_total"]
                    if dropped:
                        break
                assert dropped == 1
                assert (await next_snapshot(ws, clock))["type"] == "snapshot"
            assert await loop.sock_recv(stalled, 1 << 20) != b""  # the stalled viewer got data...
            await until(partial(_closed, stalled), limit=100_000)  # ...then was cut off
        finally:
            stalled.close()


class Idle(Actor):
    pass


def _closed(sock: socket.socket) -> bool:
    try:
        while sock.recv(1 << 20):
            pass
    except BlockingIOError:
        return False
    except ConnectionError:
        return True
    return True


async def test_a_websocket_from_another_origin_is_refused(running: Running) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await running.session.ws_connect(running.url + "/ws", origin="http://evil.example")
    assert refused.value.status == 403


# -- bound beyond loopback: reads need the token too ---------------------------------


@pytest.fixture
async def exposed(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)
    async for running in start(tmp_path, clock, host="0.0.0.0"):  # noqa: S104 - the point of the test
        running.url = running.url.replace("0.0.0.0", "127.0.0.1")  # noqa: S104
        yield running


async def test_beyond_loopback_reads_need_the_token(exposed: Running) -> None:
    for path in ("/api/actors", "/api/chain", "/readyz", "/metrics"):
        assert (await exposed.get(path))[0] == 401
        assert (await exposed.get(path, token="wrong"))[0] == 403
        async with exposed.session.get(
            exposed.url + path, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as response:
            assert response.status == 200
    assert (await exposed.get("/healthz"))[0] == 200
    async with exposed.session.get(exposed.url + "/") as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("first", "code"),
    [('{"token": "wrong"}', 4403), ("hello", 4401), ('{"nothing": 1}', 4401)],
    ids=["wrong token", "not json", "no token"],
)
async def test_beyond_loopback_a_viewer_without_the_token_is_closed(
    exposed: Running, first: str, code: int
) -> None:
    async with exposed.session.ws_connect(exposed.url + "/ws") as ws:
        await ws.send_str(first)
        message = await ws.receive(timeout=10)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert message.data == code


async def test_beyond_loopback_a_viewer_with_the_token_is_greeted(exposed: Running) -> None:
    async with exposed.session.ws_connect(exposed.url + "/ws") as ws:
        await ws.send_str(f'{{"token": "{TOKEN}"}}')
        hello = await ws.receive_json(timeout=10)
    assert hello["type"] == "hello"
    assert TOKEN not in str(hello)


def test_beyond_loopback_without_a_token_the_settings_are_refused() -> None:
    settings = DashboardSettings(host="0.0.0.0")  # noqa: S104 - the point of the test

    with pytest.raises(ConfigError, match=r"dashboard\.host = '0\.0\.0\.0'"):
        settings.check()
    settings.check(environ_token="from-the-environment")


async def test_beyond_loopback_without_a_token_the_dashboard_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)
    settings = DashboardSettings(host="0.0.0.0", port=0, state_dir=tmp_path)  # noqa: S104
    async with ActorSystem("refuses") as system:
        ref = await system.spawn(
            partial(Dashboard, settings), name="dashboard", restart="temporary"
        )
        await until(lambda: not ref.alive)
    assert not (tmp_path / "token").exists()
