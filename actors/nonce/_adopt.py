"""Transactions of ours that the node knows and we do not: sent just before a crash.

A record is published to the bank before its transaction is sent, but a
kill -9 can come between the two, or before the bank's commit. After a
restart such a transaction is found in the node's pool (``txpool_content``)
or in a block the bank never recorded. Signing is deterministic (RFC 6979),
so signing the node's copy of its fields with the same nonce gives back the
same hash and the same raw bytes: checked, the transaction is adopted as if
it had just been sent, and followed to its fate like any other.
"""

from __future__ import annotations

from typing import Any

from messages.tx import TxRequest

__all__ = ["adoptable", "ours", "pooled"]

_EIP1559 = "0x2"


def ours(txs: list[dict[str, Any]], account: str) -> list[dict[str, Any]]:
    """The node's transaction objects sent by ``account`` (lowercase), lowest nonce first."""
    found = [tx for tx in txs if str(tx.get("from", "")).lower() == account]
    return sorted(found, key=lambda tx: int(tx["nonce"], 16))


def pooled(content: dict[str, Any], account: str) -> list[dict[str, Any]]:
    """``account``'s transactions in a ``txpool_content`` answer, lowest nonce first."""
    txs = [
        tx
        for section in ("pending", "queued")
        for address, by_nonce in (content.get(section) or {}).items()
        if address.lower() == account
        for tx in by_nonce.values()
    ]
    return sorted(txs, key=lambda tx: int(tx["nonce"], 16))


def adoptable(tx: dict[str, Any], chain_id: int) -> tuple[TxRequest, tuple[int, int]] | None:
    """The request and fees that, signed at ``tx``'s nonce, would give ``tx`` back.

    None for what the signer would not sign that way: not a type-2
    transaction, another chain, a contract creation, an access list.
    """
    if tx.get("type") != _EIP1559 or tx.get("to") is None or tx.get("accessList"):
        return None
    if int(tx.get("chainId") or "0x0", 16) != chain_id:
        return None
    request = TxRequest(
        to=tx["to"].lower(),
        gas=int(tx["gas"], 16),
        value=int(tx["value"], 16),
        data=tx.get("input") or tx.get("data") or "0x",
    )
    fees = (int(tx["maxFeePerGas"], 16), int(tx["maxPriorityFeePerGas"], 16))
    return request, fees
