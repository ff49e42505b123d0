"""The HTTP API against a real system: every endpoint, every refusal, and nothing changed by one."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, NamedTuple

import aiohttp
import pytest

from actors.dashboard import Dashboard, DashboardSettings
from messages.health import GetDashboardUrl
from runtime import ActorSystem
from tests.actors.dashboard.conftest import (
    BIG,
    POOL_V2,
    POOL_V3,
    TOKEN,
    TOKEN_A,
    TOKEN_B,
    chain_status,
    start,
)
from tests.runtime.support import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from tests.actors.dashboard.conftest import Running

pytestmark = pytest.mark.timeout(30)

ACTOR_FIELDS = {
    "path",
    "actor",
    "state",
    "supervisor",
    "mailbox_depth",
    "mailbox_capacity",
    "mailbox_high_water",
    "received_total",
    "handled_total",
    "failed_total",
    "dropped_total",
    "restarts_total",
    "last_error",
    "uptime_s",
    "handle_time_p50_us",
    "handle_time_p99_us",
    "mailbox_wait_p50_us",
    "mailbox_wait_p99_us",
}
TREE = {
    "/",
    "/app",
    "/app/monitor",
    "/app/chain",
    "/app/chain/devnet",
    "/app/dex",
    "/app/dex/uniswap_v2_a",
    "/app/bank",
    "/app/analytics",
    "/app/executor",
    "/app/worker",
    "/app/dashboard",
}


# -- reads ----------------------------------------------------------------------


async def test_healthz_answers_ok_while_the_root_runs(running: Running) -> None:
    assert await running.get("/healthz") == (200, {"status": "ok"})


async def test_readyz_is_200_when_every_permanent_actor_runs_and_the_chain_is_synced(
    running: Running,
) -> None:
    assert await running.get("/readyz") == (200, {"status": "ready", "reasons": []})


async def test_readyz_is_503_with_the_reasons_when_an_actor_is_paused_and_the_chain_lags(
    running: Running,
) -> None:
    worker = running.system.lookup("/app/worker")
    assert worker is not None
    worker.pause()
    running.world.chain = chain_status(lag_blocks=7)

    status, body = await running.get("/readyz")

    assert status == 503
    assert body == {
        "status": "not_ready",
        "reasons": ["/app/worker is paused", "/app/chain/devnet is 7 blocks behind its node"],
    }


async def test_readyz_names_a_chain_client_that_is_not_connected(running: Running) -> None:
    running.world.chain = chain_status(connected=False)

    status, body = await running.get("/readyz")

    assert status == 503
    assert body["reasons"] == ["/app/chain/devnet is not connected to its node"]


async def test_readyz_names_a_permanent_actor_that_was_stopped_for_good(running: Running) -> None:
    worker = running.system.lookup("/app/worker")
    assert worker is not None
    await worker.stop()

    status, body = await running.get("/readyz")

    assert status == 503
    assert body["reasons"] == ["/app/worker was stopped and will not be restarted"]


async def test_actors_lists_every_actor_with_the_fields_of_the_interface(running: Running) -> None:
    status, actors = await running.get("/api/actors")

    assert status == 200
    assert {actor["path"] for actor in actors} == TREE
    for actor in actors:
        assert actor.keys() >= ACTOR_FIELDS
    worker = next(actor for actor in actors if actor["path"] == "/app/worker")
    assert worker["actor"] == "Worker"
    assert worker["state"] == "running"
    assert worker["supervisor"] == "/app"
    assert worker["mailbox_capacity"] == 1000


async def test_one_actor_comes_with_its_children_in_full(running: Running) -> None:
    status, chain = await running.get("/api/actors/app/chain")

    assert status == 200
    assert chain["path"] == "/app/chain"
    assert chain["restart"] == "permanent"
    assert [child["path"] for child in chain["children"]] == ["/app/chain/devnet"]
    assert chain["children"][0].keys() >= ACTOR_FIELDS


async def test_an_actor_that_failed_shows_its_last_error_and_traceback(running: Running) -> None:
    status, _ = await running.post(
        "/app/worker", '{"type": "SetParam", "name": "fail", "value": 1}', ask=True
    )
    assert status == 422
    await until(lambda: running.actor("/app/worker").restarts_total == 1)

    _, worker = await running.get("/api/actors/app/worker")

    assert worker["last_error"] == "ValueError: asked to fail with 1"
    assert "on_set_param" in worker["last_traceback"]


async def test_a_refused_message_is_422_rejected_and_the_actor_runs_on(running: Running) -> None:
    status, body = await running.post(
        "/app/worker", '{"type": "SetParam", "name": "refuse", "value": 2}', ask=True
    )

    assert status == 422
    assert body == {
        "error": {"code": "rejected", "message": "/app/worker refused the message: refusing 2"}
    }
    worker = running.actor("/app/worker")
    assert (worker.rejected_total, worker.failed_total, worker.restarts_total) == (1, 0, 0)


@pytest.mark.parametrize(
    "path", ["/api/actors/app/nobody", "/api/actors/app/Worker", "/api/actors/a..b"]
)
async def test_an_unknown_actor_path_is_404_in_the_error_format(
    running: Running, path: str
) -> None:
    status, body = await running.get(path)

    assert status == 404
    assert body["error"]["code"] == "unknown_actor"


async def test_chain_lists_each_chain_clients_status(running: Running) -> None:
    status, chains = await running.get("/api/chain")

    assert status == 200
    assert chains == [
        {
            "path": "/app/chain/devnet",
            "chain": "devnet",
            "chain_id": 31337,
            "head_block": 120,
            "head_hash": "0x" + "ab" * 32,
            "processed_block": 120,
            "lag_blocks": 0,
            "reorgs_total": 2,
            "reconnects_total": 1,
            "connected": True,
            "resumed_from": 100,
            "malformed_total": 0,
            "error": None,
        }
    ]


async def test_pools_are_listed_with_their_integers_as_decimal_strings(running: Running) -> None:
    status, pools = await running.get("/api/pools")

    assert status == 200
    v2, v3 = pools
    assert v2["address"] == POOL_V2
    assert (v2["kind"], v2["dex"], v2["block"]) == ("uniswap_v2", "uniswap_v2_a", 120)
    assert (v2["reserve0"], v2["reserve1"]) == (str(BIG), "5")
    assert v3["address"] == POOL_V3
    assert (v3["sqrt_price_x96"], v3["liquidity"], v3["tick"]) == (str(BIG), "9", "-3")


async def test_opportunities_are_the_banks_newest_first_up_to_the_limit(running: Running) -> None:
    status, opportunities = await running.get("/api/opportunities?limit=2")

    assert status == 200
    assert [o["id"] for o in opportunities] == [5, 4]
    assert opportunities[0]["expected_profit_wei"] == str(BIG)


async def test_txs_are_the_banks_newest_first(running: Running) -> None:
    status, txs = await running.get("/api/txs")

    assert status == 200
    assert [tx["nonce"] for tx in txs] == [3, 2, 1]


async def test_analytics_gives_the_rolling_stats_per_pair_and_dex_with_profits_as_strings(
    running: Running,
) -> None:
    status, analytics = await running.get("/api/analytics")

    assert status == 200
    assert (analytics["window_s"], analytics["opportunities_total"]) == (3600, 7)
    assert analytics["min_profit_wei"] == "0"
    [pair] = analytics["pairs"]
    assert (pair["token0"], pair["token1"], pair["spread_bps"]) == (TOKEN_A, TOKEN_B, 125)
    assert (pair["best_profit_wei"], pair["median_profit_wei"]) == (str(BIG), str(3 * 10**15))
    [dex] = analytics["dexes"]
    assert (dex["dex"], dex["opportunities_per_hour"]) == ("uniswap_v2_a", 7)
    assert (dex["best_profit_wei"], dex["median_profit_wei"]) == (str(BIG), None)
    assert "error" not in analytics


async def test_executor_gives_its_mode_outcomes_and_realised_profit_as_strings(
    running: Running,
) -> None:
    status, executor = await running.get("/api/executor")

    assert status == 200
    assert (executor["mode"], executor["in_flight"]) == ("live", 1)
    assert executor["outcomes"] == {"executed": 4, "skipped": 2, "sent": 5}
    assert executor["realised_profit"] == {TOKEN_A: str(BIG)}
    assert executor["min_profit"] == "1"


async def test_a_paused_analytics_or_executor_is_503_unavailable_with_the_reason(
    running: Running,
) -> None:
    for path in ("/app/analytics", "/app/executor"):
        ref = running.system.lookup(path)
        assert ref is not None
        ref.pause()

        status, body = await running.get("/api/" + path.rsplit("/", 1)[1])

        assert status == 503
        assert body["error"] == {"code": "unavailable", "message": f"{path} is paused"}


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1001", "2.5"])
async def test_a_bad_limit_is_400(running: Running, limit: str) -> None:
    for endpoint in ("/api/opportunities", "/api/txs"):
        status, body = await running.get(f"{endpoint}?limit={limit}")
        assert status == 400
        assert body["error"]["code"] == "invalid_limit"


async def test_without_chain_dex_or_bank_the_lists_are_empty_and_the_system_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)
    settings = DashboardSettings(port=0, token=TOKEN, state_dir=tmp_path)
    async with ActorSystem("bare") as system, aiohttp.ClientSession() as session:
        dashboard = await system.spawn(lambda: Dashboard(settings), name="dashboard")
        url = str(await dashboard.ask(GetDashboardUrl())).rstrip("/")
        for path in ("/api/chain", "/api/pools", "/api/opportunities", "/api/txs"):
            async with session.get(url + path) as response:
                assert (response.status, await response.json()) == (200, [])
        async with session.get(url + "/readyz") as response:
            assert response.status == 200
        for path in ("/api/analytics", "/api/executor"):
            async with session.get(url + path) as response:
                body = await response.json()
                assert response.status == 503
                assert body["error"]["message"] == "no actor at /app/" + path.rsplit("/", 1)[1]
        async with session.get(url + "/metrics") as response:
            text = await response.text()
    assert "arbiter_opportunities_total 0\n" in text


async def test_an_unknown_route_and_a_wrong_method_answer_in_the_error_format(
    running: Running,
) -> None:
    status, body = await running.get("/api/nothing")
    assert (status, body["error"]["code"]) == (404, "not_found")
    async with running.session.delete(running.url + "/api/actors") as response:
        assert response.status == 405
        assert (await response.json())["error"]["code"] == "method_not_allowed"


# -- control --------------------------------------------------------------------


async def test_a_told_restart_is_accepted_and_restarts_the_actor(running: Running) -> None:
    status, body = await running.post("/app/worker", '{"type": "Restart"}')

    assert (status, body) == (202, {"status": "accepted"})
    await until(lambda: running.actor("/app/worker").restarts_total == 1)
    assert running.actor("/app/worker").state == "running"


async def test_an_asked_restart_answers_once_the_actor_has_restarted(running: Running) -> None:
    status, body = await running.post("/app/worker", '{"type": "Restart"}', ask=True)

    assert (status, body) == (200, {"reply": None})
    assert running.actor("/app/worker").restarts_total == 1


async def test_pause_and_resume_take_effect_at_once(running: Running) -> None:
    assert (await running.post("/app/worker", '{"type": "Pause"}'))[0] == 202
    assert running.actor("/app/worker").paused

    assert (await running.post("/app/worker", '{"type": "Resume"}'))[0] == 202
    assert not running.actor("/app/worker").paused


async def test_an_asked_ping_answers_with_the_pong(running: Running) -> None:
    status, body = await running.post("/app/chain/devnet", '{"type": "Ping"}', ask=True)

    assert (status, body) == (200, {"reply": {"type": "Pong", "path": "/app/chain/devnet"}})


async def test_an_asked_get_status_answers_with_the_snapshot(running: Running) -> None:
    status, body = await running.post("/app/bank", '{"type": "GetStatus"}', ask=True)

    assert status == 200
    assert body["reply"]["path"] == "/app/bank"
    assert body["reply"].keys() >= ACTOR_FIELDS


async def test_set_param_reaches_the_actor_and_its_reply_comes_back(running: Running) -> None:
    body = '{"type": "SetParam", "name": "min_profit_wei", "value": "0"}'

    status, answer = await running.post("/app/worker", body, ask=True)

    assert (status, answer) == (200, {"reply": "min_profit_wei = '0'"})
    assert running.world.params == {"min_profit_wei": "0"}
    assert running.actor("/app/worker").restarts_total == 0


async def test_a_told_set_param_is_accepted_and_handled(running: Running) -> None:
    body = '{"type": "SetParam", "name": "max_hops", "value": 3}'

    assert (await running.post("/app/worker", body))[0] == 202
    await until(lambda: running.world.params == {"max_hops": 3})


async def test_asking_an_actor_without_a_handler_is_422_no_handler(running: Running) -> None:
    body = '{"type": "WatchPool", "dex": "uniswap_v2_a", "address": "0x1"}'

    status, answer = await running.post("/app/monitor", body, ask=True)

    assert status == 422
    assert answer["error"]["code"] == "no_handler"


async def test_stop_ends_the_actor_for_good(running: Running) -> None:
    status, _ = await running.post("/app/bank", '{"type": "Stop"}', ask=True)

    assert status == 200
    assert running.system.lookup("/app/bank") is None
    assert (await running.get("/api/opportunities"))[1] == []


async def test_restarting_the_dashboard_through_itself_answers_and_it_serves_again(
    running: Running,
) -> None:
    status, _ = await running.post("/app/dashboard", '{"type": "Restart"}', ask=True)

    assert status == 202
    await until(lambda: running.actor("/app/dashboard").restarts_total == 1, limit=10_000)
    await running.refresh_url()
    assert (await running.get("/healthz"))[0] == 200


async def test_restarting_an_ancestor_of_the_dashboard_answers_and_the_tree_comes_back(
    running: Running,
) -> None:
    status, _ = await running.post("/app", '{"type": "Restart"}', ask=True)

    assert status == 202

    def back() -> bool:
        app = running.actor("/app")
        dashboard = running.system.lookup("/app/dashboard")
        return (
            app.restarts_total == 1
            and app.state == "running"
            and bool(dashboard and dashboard.alive)
        )

    await until(back, limit=10_000)
    await running.refresh_url()
    assert {actor["path"] for actor in (await running.get("/api/actors"))[1]} == TREE


async def test_shutdown_stops_the_whole_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARBITER_DASHBOARD_TOKEN", raising=False)
    async for running in start(tmp_path, None):
        status, _ = await running.post("/app/worker", '{"type": "Shutdown"}')
        assert status == 202
        await asyncio.wait_for(running.system.wait_stopped(), timeout=10)
        assert not running.system.running


# -- refusals: each is a 4xx in the error format, and changes nothing -----------------


class Bad(NamedTuple):
    path: str
    body: bytes
    token: str | None
    status: int
    code: str


BAD_REQUESTS = [
    pytest.param(
        Bad("/app/worker", b'{"type": "Restart"}', None, 401, "unauthorized"), id="no token"
    ),
    pytest.param(
        Bad("/app/worker", b'{"type": "Restart"}', "", 401, "unauthorized"), id="empty token"
    ),
    pytest.param(
        Bad("/app/worker", b'{"type": "Restart"}', TOKEN + "x", 403, "forbidden"), id="wrong token"
    ),
    pytest.param(
        Bad("/app/nobody", b'{"type": "Restart"}', TOKEN, 404, "unknown_actor"), id="unknown path"
    ),
    pytest.param(
        Bad("/app/WORKER", b'{"type": "Restart"}', TOKEN, 404, "unknown_actor"), id="bad path"
    ),
    pytest.param(
        Bad("/app/worker", b'{"type": "Reboot"}', TOKEN, 400, "unknown_type"), id="unknown type"
    ),
    pytest.param(
        Bad("/app/worker", b'{"name": "x"}', TOKEN, 400, "unknown_type"), id="missing type"
    ),
    pytest.param(
        Bad("/app/worker", b'{"type": "Restart"', TOKEN, 400, "malformed_json"), id="malformed"
    ),
    pytest.param(Bad("/app/worker", b"", TOKEN, 400, "malformed_json"), id="empty body"),
    pytest.param(Bad("/app/worker", b"\xff\xfe", TOKEN, 400, "malformed_json"), id="not utf-8"),
    pytest.param(
        Bad("/app/worker", b'["Restart"]', TOKEN, 400, "invalid_message"), id="not an object"
    ),
    pytest.param(
        Bad(
            "/app/worker",
            b'{"type": "SetParam", "name": 5, "value": "0"}',
            TOKEN,
            400,
            "invalid_message",
        ),
        id="wrong field type",
    ),
    pytest.param(
        Bad(
            "/app/worker",
            b'{"type": "SetParam", "name": "x", "value": [1]}',
            TOKEN,
            400,
            "invalid_message",
        ),
        id="wrong value type",
    ),
    pytest.param(
        Bad("/app/worker", b'{"type": "SetParam", "value": 1}', TOKEN, 400, "invalid_message"),
        id="missing field",
    ),
    pytest.param(
        Bad(
            "/app/worker",
            b'{"type": "SetParam", "name": "fail", "value": 1, "x": ' + b"1" * 70_000 + b"}",
            TOKEN,
            413,
            "body_too_large",
        ),
        id="oversize body",
    ),
]


@pytest.mark.parametrize("bad", BAD_REQUESTS)
@pytest.mark.parametrize("ask", [False, True], ids=["tell", "ask"])
async def test_bad_control_requests_are_refused_and_change_nothing(
    running: Running, bad: Bad, ask: bool
) -> None:
    before = {
        s.path: (s.handled_total, s.restarts_total, s.paused) for s in running.system.snapshot()
    }
    dead_letters = running.system.dead_letters_total

    answer = await running.post(bad.path, bad.body, token=bad.token, ask=ask)

    assert answer[0] == bad.status
    assert answer[1]["error"]["code"] == bad.code
    assert isinstance(answer[1]["error"]["message"], str)
    await asyncio.sleep(0)  # wait-ok: one loop turn for anything the request set going
    after = {
        s.path: (s.handled_total, s.restarts_total, s.paused) for s in running.system.snapshot()
    }
    assert after == before
    assert running.system.dead_letters_total == dead_letters
    assert running.world.params == {}


async def test_an_error_names_the_known_types(running: Running) -> None:
    _, body = await running.post("/app/worker", '{"type": "Reboot"}')

    message = body["error"]["message"]
    for name in ("Ping", "Restart", "SetParam", "WatchPool"):
        assert name in message


async def test_a_body_without_a_content_length_is_capped_too(running: Running) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    url = f"{running.url}/api/actors/app/worker/messages"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with running.session.post(url, data=chunks(), headers=headers) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "body_too_large"


async def test_the_token_is_never_in_a_response(running: Running) -> None:
    seen = []
    for path in (
        "/",
        "/static/app.js",
        "/static/app.css",
        "/healthz",
        "/readyz",
        "/api/actors",
        "/api/actors/app/dashboard",
        "/api/chain",
        "/api/pools",
        "/api/opportunities",
        "/api/txs",
        "/metrics",
    ):
        async with running.session.get(running.url + path) as response:
            seen.append(await response.text())
            seen.append(json.dumps(dict(response.headers)))
    for body in ('{"type": "GetStatus"}', '{"type": "Nope"}', "{"):
        _, answer = await running.post("/app/dashboard", body, ask=True)
        seen.append(json.dumps(answer))
    _, answer = await running.post("/app/dashboard", '{"type": "Ping"}', token=TOKEN[:-1] + "0")
    seen.append(json.dumps(answer))

    assert all(TOKEN not in text for text in seen)
