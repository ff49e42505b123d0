"""A node's refusal of a raw transaction, read for what it means for the nonce."""

from __future__ import annotations

import pytest

from actors.nonce import Refusal, classify


@pytest.mark.parametrize(
    ("message", "meaning"),
    [
        ("transaction already imported", Refusal.KNOWN),  # anvil
        ("already known", Refusal.KNOWN),  # geth
        ("nonce too low", Refusal.NONCE_TAKEN),
        ("Nonce too low: next nonce 7, tx nonce 5", Refusal.NONCE_TAKEN),
        ("OldNonce", Refusal.NONCE_TAKEN),  # nethermind
        ("replacement transaction underpriced", Refusal.UNDERPRICED),
        ("Insufficient funds for gas * price + value", Refusal.REJECTED),
        ("max fee per gas less than block base fee", Refusal.REJECTED),
        ("intrinsic gas too low", Refusal.REJECTED),
    ],
)
def test_a_refusal_is_read_for_what_it_means_for_the_nonce(message: str, meaning: Refusal) -> None:
    assert classify(message) is meaning
