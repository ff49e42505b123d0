"""The devnet's bot account: the one arbiter itself sends from on ``arbiter run --devnet``.

anvil's tenth default account (index 9 of its well-known mnemonic): funded
with 10,000 ETH at genesis and used by no deployer or trader, so its nonces
are the nonce manager's alone. Its key is public knowledge: for the devnet
only, never for a real chain.
"""

from __future__ import annotations

__all__ = ["BOT_ACCOUNT", "BOT_KEY"]

BOT_ACCOUNT = "0xa0ee7a142d267c1f36714e4a8f75612f20a79720"
BOT_KEY = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"
