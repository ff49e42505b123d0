"""A deployment as an arbiter config file: ``[chain]``, one ``[[dex]]`` per DEX, ``[executor]``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actors.devnet._deployment import Deployment

__all__ = ["arbiter_config"]


def arbiter_config(deployment: Deployment, chain: str = "devnet") -> str:
    """TOML that ``arbiter run --config FILE`` takes to follow this devnet."""
    lines = [
        "# Written by arbiter for the devnet it deployed; arbiter run --config takes it.",
        "[chain]",
        f'name = "{chain}"',
        f'ws_url = "{deployment.ws_url}"',
        f"chain_id = {deployment.chain_id}",
    ]
    for dex in deployment.dexes:
        pools = ", ".join(f'"{pool.address}"' for pool in dex.pools)
        lines += [
            "",
            "[[dex]]",
            f'name = "{dex.name}"',
            f'kind = "{dex.kind}"',
            f'factory = "{dex.factory}"',
            f"pools = [{pools}]",
        ]
    if deployment.arbitrage:
        lines += [
            "",
            '# The arbitrage contract and the bot account that owns it: mode = "simulate"',
            '# works as it is; "live" also needs the bot in [nonce] accounts and its key.',
            "[executor]",
            f'account = "{deployment.bot}"',
            f'contract = "{deployment.arbitrage}"',
        ]
    return "\n".join(lines) + "\n"
