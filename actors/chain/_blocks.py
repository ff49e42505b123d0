"""Decoding the node's blocks and logs (camelCase hex JSON) into our types, with msgspec."""

from __future__ import annotations

import msgspec

from messages.chain import Log
from runtime import ChainError

__all__ = ["Block", "MalformedNodeData", "decode_block", "decode_logs"]


class MalformedNodeData(ChainError):
    """The node sent a block or log that does not parse."""


class Block(msgspec.Struct, frozen=True):
    """What the chain client needs of a block."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int
    base_fee: int | None


class _RawBlock(msgspec.Struct, frozen=True):
    number: str
    hash: str
    parentHash: str  # noqa: N815 - the node's field name
    timestamp: str
    baseFeePerGas: str | None = None  # noqa: N815


class _RawLog(msgspec.Struct, frozen=True):
    address: str
    topics: list[str]
    data: str
    blockNumber: str  # noqa: N815
    blockHash: str  # noqa: N815
    transactionHash: str  # noqa: N815
    logIndex: str  # noqa: N815
    removed: bool = False


_block_decoder = msgspec.json.Decoder(_RawBlock | None)
_log_decoder = msgspec.json.Decoder(_RawLog)
_logs_decoder = msgspec.json.Decoder(list[_RawLog])


def decode_block(raw: bytes) -> Block | None:
    """A block from ``eth_getBlockBy*`` or a ``newHeads`` notification; None for ``null``.

    Raises:
        MalformedNodeData: it does not parse.
    """
    try:
        block = _block_decoder.decode(raw)
        if block is None:
            return None
        return Block(
            number=int(block.number, 16),
            hash=block.hash.lower(),
            parent_hash=block.parentHash.lower(),
            timestamp=int(block.timestamp, 16),
            base_fee=int(block.baseFeePerGas, 16) if block.baseFeePerGas else None,
        )
    except (msgspec.DecodeError, ValueError) as exc:
        raise MalformedNodeData(f"malformed block from the node: {exc}") from exc


def decode_logs(raw: bytes) -> list[Log]:
    """The result of ``eth_getLogs``.

    Raises:
        MalformedNodeData: it does not parse.
    """
    try:
        return [_log(item) for item in _logs_decoder.decode(raw)]
    except (msgspec.DecodeError, ValueError) as exc:
        raise MalformedNodeData(f"malformed logs from the node: {exc}") from exc


def decode_log(raw: bytes) -> Log:
    """One log of a ``logs`` subscription.

    Raises:
        MalformedNodeData: it does not parse.
    """
    try:
        return _log(_log_decoder.decode(raw))
    except (msgspec.DecodeError, ValueError) as exc:
        raise MalformedNodeData(f"malformed log from the node: {exc}") from exc


def _log(raw: _RawLog) -> Log:
    return Log(
        address=raw.address.lower(),
        topics=[topic.lower() for topic in raw.topics],
        data=raw.data,
        block_number=int(raw.blockNumber, 16),
        block_hash=raw.blockHash.lower(),
        transaction_hash=raw.transactionHash.lower(),
        log_index=int(raw.logIndex, 16),
        removed=raw.removed,
    )
