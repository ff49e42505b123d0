"""What `make setup` installed with npm: the anvil binary and the compiled Uniswap contracts.

Both live in ``ops/devnet/node_modules`` of the repository, pinned by its
``package-lock.json``. The contracts ship their ABI and creation bytecode,
with no link references, so they deploy as they are. Our own contracts
(``ops/devnet/contracts``) are compiled by `make setup` with the pinned solc
into ``ops/devnet/build``.
"""

from __future__ import annotations

import functools
import json
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actors.devnet._errors import DevnetNotInstalled

__all__ = [
    "BUILD",
    "CONTRACTS",
    "NODE_MODULES",
    "OWN_CONTRACTS",
    "Artifact",
    "anvil_binary",
    "load_artifact",
]

NODE_MODULES = Path(__file__).resolve().parents[2] / "ops" / "devnet" / "node_modules"
"""Where ``npm ci`` in ``ops/devnet`` puts its packages."""

BUILD = NODE_MODULES.parent / "build"
"""Where ``node compile.js`` in ``ops/devnet`` puts our own compiled contracts."""

_V3_CORE = "@uniswap/v3-core/artifacts/contracts"
_V3_PERIPHERY = "@uniswap/v3-periphery/artifacts/contracts"

CONTRACTS: dict[str, str] = {
    "ERC20": "@uniswap/v2-core/build/ERC20.json",
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
    "UniswapV3Factory": f"{_V3_CORE}/UniswapV3Factory.sol/UniswapV3Factory.json",
    "UniswapV3Pool": f"{_V3_CORE}/UniswapV3Pool.sol/UniswapV3Pool.json",
    "SwapRouter": f"{_V3_PERIPHERY}/SwapRouter.sol/SwapRouter.json",
    "NonfungiblePositionManager": (
        f"{_V3_PERIPHERY}/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
    ),
    "QuoterV2": f"{_V3_PERIPHERY}/lens/QuoterV2.sol/QuoterV2.json",
}
"""Contract name -> its artifact, relative to ``node_modules``."""

OWN_CONTRACTS: dict[str, str] = {"Arbitrage": "Arbitrage.json"}
"""Our contract name -> its artifact, relative to `BUILD`."""

# The platform packages of @foundry-rs/anvil, as its own bin.mjs picks them.
_ANVIL_PLATFORMS = {
    ("linux", "x86_64"): "linux-amd64",
    ("linux", "amd64"): "linux-amd64",
    ("linux", "aarch64"): "linux-arm64",
    ("linux", "arm64"): "linux-arm64",
    ("darwin", "x86_64"): "darwin-amd64",
    ("darwin", "arm64"): "darwin-arm64",
    ("win32", "amd64"): "win32-amd64",
}


@dataclass(frozen=True, slots=True)
class Artifact:
    """A compiled contract: its ABI and its creation bytecode (``0x``-prefixed hex)."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


def anvil_binary(node_modules: Path = NODE_MODULES) -> Path:
    """The anvil executable shipped by the npm package ``@foundry-rs/anvil``.

    Raises:
        DevnetNotInstalled: no anvil under ``node_modules``.
    """
    name = "anvil.exe" if sys.platform == "win32" else "anvil"
    scope = node_modules / "@foundry-rs"
    suffix = _ANVIL_PLATFORMS.get((sys.platform, platform.machine().lower()))
    candidates = [scope / f"anvil-{suffix}" / "bin" / name] if suffix else []
    candidates += sorted(scope.glob(f"anvil-*/bin/{name}"))
    candidates.append(scope / "anvil" / "dist" / name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise DevnetNotInstalled(f"anvil is not installed under {node_modules}: run `make setup`")


def load_artifact(name: str, node_modules: Path = NODE_MODULES) -> Artifact:
    """The compiled contract ``name`` (a key of `CONTRACTS` or `OWN_CONTRACTS`); read once.

    Raises:
        KeyError: ``name`` is not one of `CONTRACTS` or `OWN_CONTRACTS`.
        DevnetNotInstalled: its npm package is not installed, or ours not compiled.
    """
    return _load(name, node_modules)


@functools.cache
def _load(name: str, node_modules: Path) -> Artifact:
    if name in OWN_CONTRACTS:
        path = node_modules.parent / "build" / OWN_CONTRACTS[name]
    else:
        path = node_modules / CONTRACTS[name]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DevnetNotInstalled(
            f"contract {name} is not installed ({path} is missing): run `make setup`"
        ) from exc
    bytecode = data["bytecode"]
    if not bytecode.startswith("0x"):
        bytecode = "0x" + bytecode
    return Artifact(name=name, abi=data["abi"], bytecode=bytecode)
