"""The runtime process's tree: what `arbiter run` assembles, and how it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from structlog.testing import capture_logs

from runtime import Actor, ChildSpec, RestartType
from runtime import app as app_module
from runtime.app import app_children, serve
from runtime.config import ChainConfig, Config, DexConfig

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


class AlwaysFails(Actor):
    def on_start(self) -> None:
        raise RuntimeError("cannot start")


def test_without_a_chain_the_app_runs_the_monitors_and_the_dashboard(tmp_path: Path) -> None:
    names = [spec.name for spec in app_children(Config(), tmp_path)]
    assert names == ["monitor", "health", "bank", "dashboard"]


def test_with_a_chain_and_dexes_the_app_runs_a_client_and_a_watcher_per_dex(
    tmp_path: Path,
) -> None:
    config = Config(
        chain=ChainConfig(ws_url="ws://127.0.0.1:1", chain_id=1),
        dex=[
            DexConfig(name="a", kind="uniswap_v2", factory="0x" + "1" * 40),
            DexConfig(name="b", kind="uniswap_v3", factory="0x" + "2" * 40),
        ],
    )
    names = [spec.name for spec in app_children(config, tmp_path)]
    expected = ["monitor", "health", "bank", "chain", "dex", "analytics", "executor"]
    assert names == [*expected, "dashboard"]


async def test_a_root_escalation_ends_serve_with_exit_code_one_given_a_fake_failing_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A permanent child that can never start: the app supervisor gives up,
    # then the root does. No real part fails like this on demand.
    failing = ChildSpec(factory=AlwaysFails, name="doomed", restart=RestartType.PERMANENT)
    monkeypatch.setattr(app_module, "app_children", lambda _config, _state: [failing])
    with capture_logs() as logs:
        code = await serve(Config(), tmp_path)
    assert code == 1
    events = [entry["event"] for entry in logs]
    assert "root_escalated" in events


def test_each_watcher_gets_its_dex_tables_settings(tmp_path: Path) -> None:
    config = Config(
        chain=ChainConfig(ws_url="ws://127.0.0.1:1", chain_id=1),
        dex=[
            DexConfig(name="a", kind="uniswap_v2", factory="0x" + "1" * 40, sync_interval=0.25),
            DexConfig(name="b", kind="uniswap_v3", factory="0x" + "2" * 40, fee=500),
        ],
    )
    (dex,) = [spec for spec in app_children(config, tmp_path) if spec.name == "dex"]
    watchers = dex.factory.args[0]  # type: ignore[attr-defined]
    settings = {spec.name: spec.factory.args[0] for spec in watchers}
    assert (settings["a"].sync_interval, settings["a"].kind) == (0.25, "uniswap_v2")
    assert (settings["b"].sync_interval, settings["b"].fee) == (1.0, 500)
