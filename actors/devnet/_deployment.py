"""The record of a devnet deployment: node, accounts, tokens, DEXes and their pools."""

from __future__ import annotations

import tomllib
from typing import Any

import msgspec

from actors.devnet._toml import dumps
from messages.market import Pool, PoolKind, Token  # noqa: TC001 - msgspec reads field types at run time

__all__ = ["Deployment", "DexDeployment"]


class DexDeployment(msgspec.Struct, frozen=True, kw_only=True):
    """One DEX as deployed: its contracts and its pools.

    ``router`` is a Router02 for V2 and a SwapRouter for V3; V3 also has a
    ``position_manager`` (NonfungiblePositionManager) and a ``quoter``
    (QuoterV2), empty for V2.
    """

    name: str
    kind: PoolKind
    factory: str
    router: str
    pools: list[Pool]
    position_manager: str = ""
    quoter: str = ""


class Deployment(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a devnet deployment put on chain, as plain data.

    Addresses are checksummed hex strings. ``traders`` are funded, unlocked
    anvil accounts that hold every token and have approved every router;
    ``bot`` is the funded account that owns ``arbitrage``, our arbitrage
    contract (both empty in records written before it existed); ``block`` is
    the block number when the deployment was complete.
    """

    chain_id: int
    http_url: str
    ws_url: str
    block: int
    deployer: str
    traders: list[str]
    weth: str
    tokens: list[Token]
    dexes: list[DexDeployment]
    bot: str = ""
    arbitrage: str = ""

    @property
    def pools(self) -> list[Pool]:
        """Every pool of every DEX."""
        return [pool for dex in self.dexes for pool in dex.pools]

    def dex(self, name: str) -> DexDeployment:
        """The DEX called ``name``.

        Raises:
            KeyError: there is none.
        """
        for dex in self.dexes:
            if dex.name == name:
                return dex
        raise KeyError(name)

    def token(self, symbol: str) -> Token:
        """The token with ``symbol``.

        Raises:
            KeyError: there is none.
        """
        for token in self.tokens:
            if token.symbol == symbol:
                return token
        raise KeyError(symbol)

    def symbol(self, address: str) -> str:
        """The symbol of the token at ``address`` (the address itself if unknown)."""
        for token in self.tokens:
            if token.address.lower() == address.lower():
                return token.symbol
        return address

    def to_dict(self) -> dict[str, Any]:
        """The record as plain dicts, lists, strings and ints."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data

    def to_toml(self, section: str = "devnet") -> str:
        """The record as TOML, under ``[section]``."""
        return dumps({section: self.to_dict()})

    @classmethod
    def from_toml(cls, text: str, section: str = "devnet") -> Deployment:
        """Read back what `to_toml` wrote.

        Raises:
            tomllib.TOMLDecodeError: ``text`` is not TOML.
            KeyError: it has no ``[section]``.
            msgspec.ValidationError: the section is not a deployment record.
        """
        return msgspec.convert(tomllib.loads(text)[section], cls)
