"""The deployment record: plain data that survives TOML, with lookups by name."""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from actors.devnet import Deployment


async def test_a_deployment_survives_a_round_trip_through_toml(devnet: Deployment) -> None:
    text = devnet.to_toml()
    assert type(devnet).from_toml(text) == devnet
    assert set(tomllib.loads(text)) == {"devnet"}
    assert type(devnet).from_toml(devnet.to_toml(section="other"), section="other") == devnet


async def test_dexes_and_tokens_are_found_by_name(devnet: Deployment) -> None:
    assert devnet.dex("uniswap_v3").quoter
    assert devnet.dex("uniswap_v3").position_manager
    assert devnet.token("TKB").address == devnet.tokens[1].address
    assert devnet.symbol(devnet.tokens[2].address.lower()) == "TKC"
    assert devnet.symbol(devnet.weth) == devnet.weth
    assert devnet.pools == [pool for dex in devnet.dexes for pool in dex.pools]
    with pytest.raises(KeyError):
        devnet.dex("sushiswap")
    with pytest.raises(KeyError):
        devnet.token("WETH")
