"""Decoding the node's JSON (blocks, logs, JSON-RPC log frames) into our types, with msgspec.

The one place node JSON becomes a `messages.chain.Log`. Log decoding is a hot path,
guarded by ``benchmarks/ingest.py``: every log of every watched pool passes here.
One reused msgspec decoder per shape, structs without GC tracking, lengths checked
by msgspec (in C, and its errors name the field), and the rest (the ``0x`` prefix,
strict hex quantities) by hand, inline: there a Python call costs as much as the
check it would hold.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from actors.chain._jsonrpc import RpcError
from messages.chain import Log
from runtime import ChainError

__all__ = [
    "Block",
    "MalformedNodeData",
    "decode_block",
    "decode_get_logs_response",
    "decode_log",
    "decode_log_notification",
    "decode_logs",
]


class MalformedNodeData(ChainError):
    """The node sent a block, a log or a JSON-RPC frame that does not parse."""


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


# A regex ``pattern`` for the hex digits would cost more than the rest of the decoding.
_Address = Annotated[str, msgspec.Meta(min_length=42, max_length=42)]
_Hash = Annotated[str, msgspec.Meta(min_length=66, max_length=66)]
_Quantity = Annotated[str, msgspec.Meta(min_length=3, max_length=66)]


class _RawLog(msgspec.Struct, rename="camel", gc=False):
    address: _Address
    topics: list[_Hash]
    data: str
    block_number: _Quantity
    block_hash: _Hash
    transaction_hash: _Hash
    log_index: _Quantity
    removed: bool = False


class _LogParams(msgspec.Struct, gc=False):
    result: _RawLog


class _LogNotification(msgspec.Struct, gc=False):
    method: Literal["eth_subscription"]
    params: _LogParams


class _RpcError(msgspec.Struct, gc=False):
    code: int
    message: str


class _GetLogsResponse(msgspec.Struct, gc=False):
    result: list[_RawLog] | None = None
    error: _RpcError | None = None


_block_decoder = msgspec.json.Decoder(_RawBlock | None)
_log_decoder = msgspec.json.Decoder(_RawLog)
_logs_decoder = msgspec.json.Decoder(list[_RawLog])
_notification_decoder = msgspec.json.Decoder(_LogNotification)
_get_logs_decoder = msgspec.json.Decoder(_GetLogsResponse)


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


def decode_logs(raw: bytes | str) -> list[Log]:
    """The ``result`` of ``eth_getLogs``: its logs, in the node's order.

    Each log is checked as `decode_log_notification` checks it.

    Raises:
        MalformedNodeData: it is not a list of such logs.
    """
    try:
        raw_logs = _logs_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise MalformedNodeData(f"malformed logs from the node: {exc}") from exc
    return [_log(item) for item in raw_logs]


def decode_log(raw: bytes | str) -> Log:
    """The ``result`` of one notification of a ``logs`` subscription.

    Checked as `decode_log_notification` checks it.

    Raises:
        MalformedNodeData: it is not such a log.
    """
    try:
        raw_log = _log_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise MalformedNodeData(f"malformed log from the node: {exc}") from exc
    return _log(raw_log)


def decode_log_notification(frame: bytes | str) -> Log:
    """Decode one whole ``eth_subscription`` frame of a ``logs`` subscription into a `Log`.

    Hot path (``benchmarks/ingest.py``). Addresses, hashes and topics come out
    lowercase; the subscription id is not checked. Block number and log index must
    be strict hex quantities. Hashes, the address and topics are checked for shape
    (``0x`` and their length) but their digits are not parsed here: hashes are only
    compared, so a bad one can only fail to match, and the event decoders of
    `actors.dex` check topics and data digit by digit.

    Raises:
        MalformedNodeData: the frame is not such a notification (bad JSON, a missing
            or mistyped field, a quantity that is not strict hex, a hash, address,
            topic or data of the wrong shape).
    """
    try:
        notification = _notification_decoder.decode(frame)
    except msgspec.DecodeError as exc:
        raise MalformedNodeData(f"not a logs notification: {exc}") from exc
    return _log(notification.params.result)


def decode_get_logs_response(frame: bytes | str) -> list[Log]:
    """Decode one whole JSON-RPC response to ``eth_getLogs`` into its logs, in order.

    Each log is checked as `decode_log_notification` checks it.

    Raises:
        RpcError: the node answered an error.
        MalformedNodeData: the frame is not such a response.
    """
    try:
        response = _get_logs_decoder.decode(frame)
    except msgspec.DecodeError as exc:
        raise MalformedNodeData(f"not an eth_getLogs response: {exc}") from exc
    if response.error is not None:
        raise RpcError("eth_getLogs", response.error.code, response.error.message)
    if response.result is None:
        raise MalformedNodeData("eth_getLogs response has neither result nor error")
    return [_log(raw) for raw in response.result]


def _quantity(text: str) -> int:
    # int(text, 16) alone would also take signs, spaces, underscores, non-ASCII digits
    # and a missing 0x; msgspec has checked the length.
    if not (text.startswith("0x") and text.isalnum() and text.isascii()):
        raise MalformedNodeData(f"{text!r} is not a hex quantity")
    try:
        return int(text, 16)
    except ValueError:
        raise MalformedNodeData(f"{text!r} is not a hex quantity") from None


def _log(raw: _RawLog) -> Log:
    # msgspec has checked the lengths of the address, hashes and topics.
    address = raw.address
    block_hash = raw.block_hash
    transaction_hash = raw.transaction_hash
    if not (
        address.startswith("0x")
        and block_hash.startswith("0x")
        and transaction_hash.startswith("0x")
    ):
        raise MalformedNodeData(
            f"log address or hash without 0x: {address!r}, {block_hash!r}, {transaction_hash!r}"
        )
    topics = raw.topics
    for topic in topics:
        if not topic.startswith("0x"):
            raise MalformedNodeData(f"log topic without 0x: {topic!r}")
    data = raw.data
    if not data.startswith("0x") or len(data) % 2:
        raise MalformedNodeData(f"log data is not 0x and whole bytes: {data[:80]!r}")
    return Log(
        address=address.lower(),
        topics=[topic.lower() for topic in topics],
        data=data,
        block_number=_quantity(raw.block_number),
        block_hash=block_hash.lower(),
        transaction_hash=transaction_hash.lower(),
        log_index=_quantity(raw.log_index),
        removed=raw.removed,
    )
