"""What a node's refusal of ``eth_sendRawTransaction`` means for the nonce."""

from __future__ import annotations

import enum

__all__ = ["Refusal", "classify"]


class Refusal(enum.Enum):
    """The node's answer to a raw transaction, as far as its nonce is concerned."""

    KNOWN = "known"
    """The node already has this very transaction: as good as accepted."""
    NONCE_TAKEN = "nonce_taken"
    """The nonce is used (mined, or pooled by another transaction): resync."""
    UNDERPRICED = "underpriced"
    """A replacement that does not bump the fees enough."""
    REJECTED = "rejected"
    """Anything else (funds, gas, fee below base fee): the transaction is not in the pool."""


# Geth, Erigon, Nethermind, Reth and anvil spell these differently.
_KNOWN = ("already known", "already imported", "known transaction", "alreadyknown")
_NONCE_TAKEN = ("nonce too low", "nonce is too low", "oldnonce", "nonce has already been used")
_UNDERPRICED = ("replacement transaction underpriced", "replacement underpriced")


def classify(node_message: str) -> Refusal:
    """Classify a node's error message for a raw transaction it refused."""
    text = node_message.lower()
    if any(pattern in text for pattern in _KNOWN):
        return Refusal.KNOWN
    if any(pattern in text for pattern in _NONCE_TAKEN):
        return Refusal.NONCE_TAKEN
    if any(pattern in text for pattern in _UNDERPRICED):
        return Refusal.UNDERPRICED
    return Refusal.REJECTED
