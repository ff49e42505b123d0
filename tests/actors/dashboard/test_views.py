"""The pure parts: rates and sparkline samples, readiness, pool rows, settings, the CLI's tree."""

from __future__ import annotations

import msgspec
import pytest

from actors.dashboard import DashboardSettings, parse_http_address, render_readiness, render_tree
from actors.dashboard._api import ApiError, decode_control
from actors.dashboard._history import History
from actors.dashboard._settings import is_loopback
from actors.dashboard._views import chain_row, pool_rows, records
from messages.control import Restart, SetParam
from messages.health import ActorSnapshot
from messages.market import Pool, PoolSnapshot, V2State
from runtime import ConfigError
from tests.actors.dashboard.conftest import chain_status


def snapshot(path: str, handled: int = 0, depth: int = 0, **fields: object) -> ActorSnapshot:
    values: dict[str, object] = {
        "path": path,
        "actor": "Worker",
        "state": "running",
        "supervisor": "/" if path != "/" else None,
        "paused": False,
        "mailbox_depth": depth,
        "mailbox_capacity": 1000,
        "mailbox_high_water": depth,
        "mailbox_policy": "backpressure",
        "received_total": handled + depth,
        "handled_total": handled,
        "failed_total": 0,
        "rejected_total": 0,
        "dropped_total": 0,
        "restarts_total": 0,
        "last_error": None,
        "uptime_s": 1.0,
        "handle_time_p50_us": None,
        "handle_time_p99_us": None,
        "mailbox_wait_p50_us": None,
        "mailbox_wait_p99_us": None,
        "children": [],
    }
    return ActorSnapshot(**(values | fields))  # type: ignore[arg-type]


# -- history ----------------------------------------------------------------------


def test_rates_are_messages_handled_per_second_since_the_last_observation() -> None:
    history = History(interval=2.0, length=10)
    history.observe(0.0, [snapshot("/a", handled=0)])

    history.observe(0.5, [snapshot("/a", handled=50)])

    assert history.rates == {"/a": 100.0, "": 100.0}


def test_a_sample_is_taken_at_first_then_once_per_interval_over_that_interval() -> None:
    history = History(interval=2.0, length=10)

    taken = [history.observe(t / 2, [snapshot("/a", handled=t * 10, depth=t)]) for t in range(6)]

    assert taken == [True, False, False, False, True, False]
    assert list(history.series["/a"].rate) == [0.0, 20.0]
    assert list(history.series["/a"].depth) == [0, 4]
    assert history.latest()["/a"] == {"rate": 20.0, "depth": 4}


def test_samples_are_bounded_by_the_length() -> None:
    history = History(interval=1.0, length=3)

    for t in range(10):
        history.observe(float(t), [snapshot("/a", handled=t)])

    assert list(history.series["/a"].rate) == [1.0, 1.0, 1.0]


def test_an_actor_that_is_gone_is_forgotten_and_one_that_reappears_starts_from_zero() -> None:
    history = History(interval=1.0, length=5)
    history.observe(0.0, [snapshot("/a", handled=100), snapshot("/b")])
    history.observe(1.0, [snapshot("/a", handled=150)])
    assert set(history.series) == {"/a", ""}

    history.observe(2.0, [snapshot("/a", handled=10)])

    assert history.series["/a"].rate[-1] == 0.0


# -- views ------------------------------------------------------------------------------


def test_pool_rows_show_big_integers_as_decimal_strings_and_unread_state_as_null() -> None:
    pool = Pool(address="0xp", dex="d", kind="uniswap_v2", token0="0x0", token1="0x1", fee=3000)
    rows = pool_rows(
        [
            PoolSnapshot(pool=pool, block_number=7, state=V2State(reserve0=2**128, reserve1=1)),
            PoolSnapshot(pool=pool, block_number=None, state=None),
        ]
    )

    assert rows[0]["reserve0"] == str(2**128)
    assert (rows[1]["block"], rows[1]["reserve0"]) == (None, None)


def test_a_chain_that_did_not_answer_is_a_row_that_says_why() -> None:
    row = chain_row("/app/chain/devnet", "AskTimeout: no reply")

    assert row["chain"] == "devnet"
    assert row["connected"] is False
    assert row["error"] == "AskTimeout: no reply"
    assert chain_row("/app/chain/devnet", chain_status())["error"] is None


def test_records_accept_a_list_of_structs_or_dicts_and_nothing_else() -> None:
    class Row(msgspec.Struct):
        amount: int

    assert records([Row(amount=2**70), {"a": 1}], limit=5) == [{"amount": 2**70}, {"a": 1}]
    assert records([{"amount_in": 2**70, "gas_cost_wei": 5, "block": 9}], limit=5) == [
        {"amount_in": str(2**70), "gas_cost_wei": "5", "block": 9}
    ]
    assert records([{"a": 1}, {"a": 2}], limit=1) == [{"a": 1}]
    assert records("garbage", limit=5) == []


# -- control messages ---------------------------------------------------------------------


def test_control_messages_decode_with_the_actors_own_types() -> None:
    assert decode_control(b'{"type": "Restart"}') == Restart()
    assert decode_control(b'{"type": "SetParam", "name": "a", "value": 1}') == SetParam("a", 1)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{", "malformed_json"),
        (b'{"type": "Nope"}', "unknown_type"),
        (b"{}", "unknown_type"),
        (b'{"type": "SetParam", "name": null, "value": 1}', "invalid_message"),
        (b"42", "invalid_message"),
    ],
)
def test_bad_control_messages_are_400_with_a_code(body: bytes, code: str) -> None:
    with pytest.raises(ApiError) as refused:
        decode_control(body)
    assert (refused.value.status, refused.value.code) == (400, code)


# -- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:8700", ("127.0.0.1", 8700)),
        ("0.0.0.0:0", ("0.0.0.0", 0)),  # noqa: S104
        ("[::1]:9000", ("::1", 9000)),
        ("localhost:80", ("localhost", 80)),
    ],
)
def test_http_addresses_parse(text: str, address: tuple[str, int]) -> None:
    assert parse_http_address(text) == address


@pytest.mark.parametrize("text", ["8700", ":8700", "host:", "host:port", "host:70000"])
def test_bad_http_addresses_are_refused_with_the_value(text: str) -> None:
    with pytest.raises(ConfigError, match="--http"):
        parse_http_address(text)


def test_loopback_is_localhost_127_8_and_ipv6_one() -> None:
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.1.2.3", "::1"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "::", "example.org"))  # noqa: S104
    assert DashboardSettings(host="10.0.0.1").reads_need_token
    assert not DashboardSettings().reads_need_token


def test_settings_out_of_range_are_refused() -> None:
    with pytest.raises(ConfigError, match="port"):
        DashboardSettings(port=70000).check()
    with pytest.raises(ConfigError, match="interval"):
        DashboardSettings(push_interval=0).check()


# -- the CLI's rendering ---------------------------------------------------------------------


def test_the_tree_is_indented_by_depth_and_plain_without_colour() -> None:
    actors = [
        msgspec.to_builtins(s)
        for s in (
            snapshot("/", supervisor=None),
            snapshot("/app"),
            snapshot("/app/worker", last_error="ValueError: boom", state="restarting"),
        )
    ]

    text = render_tree(actors, colour=False)

    lines = text.splitlines()
    assert lines[0].startswith("/ ")
    assert lines[1].startswith("  app ")
    assert lines[2].startswith("    worker ")
    assert "restarting" in lines[2]
    assert "last error: ValueError: boom" in lines[3]
    assert "\x1b[" not in text
    assert "\x1b[33mrestarting" in render_tree(actors, colour=True)


def test_readiness_renders_as_ready_or_the_reasons() -> None:
    assert render_readiness({"status": "ready", "reasons": []}, colour=False) == "ready"
    assert render_readiness({"reasons": ["/app/x is paused"]}, colour=False) == (
        "not ready:\n  /app/x is paused"
    )
