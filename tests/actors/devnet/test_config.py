"""The config a deployment writes: what ``arbiter run --config`` needs to follow and use it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.devnet import arbiter_config
from runtime.config import load_config

if TYPE_CHECKING:
    from pathlib import Path

    from actors.devnet import Deployment


def test_the_written_config_names_the_chain_the_pools_and_the_arbitrage_contract(
    devnet: Deployment, tmp_path: Path
) -> None:
    path = tmp_path / "devnet.toml"
    path.write_text(arbiter_config(devnet))
    config = load_config(path, {})
    assert config.chain is not None
    assert config.chain.ws_url == devnet.ws_url
    assert sorted(a for dex in config.dex for a in dex.pools) == sorted(
        p.address for p in devnet.pools
    )
    assert (config.executor.account, config.executor.contract) == (devnet.bot, devnet.arbitrage)
    assert config.executor.mode == ""
    simulate = path.read_text().replace("[executor]\n", '[executor]\nmode = "simulate"\n')
    path.write_text(simulate)
    assert load_config(path, {}).executor.mode == "simulate"
