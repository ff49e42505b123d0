"""Decoding the node's JSON: blocks, logs, and whole JSON-RPC log frames, strictly."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.chain import (
    Block,
    MalformedNodeData,
    RpcError,
    decode_block,
    decode_get_logs_response,
    decode_log,
    decode_log_notification,
    decode_logs,
)
from messages.chain import Log
from runtime import ArbiterError, ChainError

if TYPE_CHECKING:
    from collections.abc import Callable


def test_malformed_node_data_is_a_chain_error_and_so_an_arbiter_error() -> None:
    assert issubclass(MalformedNodeData, ChainError)
    assert issubclass(ChainError, ArbiterError)


# -- blocks ------------------------------------------------------------------------

RAW_BLOCK: dict[str, Any] = {
    "number": "0x1b4",
    "hash": "0x" + "AB" * 32,
    "parentHash": "0x" + "Cd" * 32,
    "timestamp": "0x65f0a1b2",
    "baseFeePerGas": "0x3b9aca00",
    "miner": "0x" + "00" * 20,
    "gasUsed": "0x5208",
    "transactions": [],
}


def test_a_block_decodes_to_numbers_and_lowercase_hashes() -> None:
    assert decode_block(json.dumps(RAW_BLOCK).encode()) == Block(
        number=0x1B4,
        hash="0x" + "ab" * 32,
        parent_hash="0x" + "cd" * 32,
        timestamp=0x65F0A1B2,
        base_fee=1_000_000_000,
    )


def test_a_block_without_a_base_fee_has_none() -> None:
    block = {key: value for key, value in RAW_BLOCK.items() if key != "baseFeePerGas"}
    decoded = decode_block(json.dumps(block).encode())
    assert decoded is not None
    assert decoded.base_fee is None


def test_a_null_block_decodes_to_none() -> None:
    assert decode_block(b"null") is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[]",
        b'"0x1b4"',
        json.dumps({key: value for key, value in RAW_BLOCK.items() if key != "hash"}).encode(),
        json.dumps({**RAW_BLOCK, "number": "0xzz"}).encode(),
        json.dumps({**RAW_BLOCK, "number": 436}).encode(),
        json.dumps({**RAW_BLOCK, "timestamp": None}).encode(),
        json.dumps({**RAW_BLOCK, "baseFeePerGas": "1 gwei"}).encode(),
    ],
    ids=[
        "empty",
        "truncated",
        "a list",
        "a string",
        "no hash",
        "non-hex number",
        "number as a JSON int",
        "null timestamp",
        "non-hex base fee",
    ],
)
def test_a_malformed_block_raises_malformed_node_data(raw: bytes) -> None:
    with pytest.raises(MalformedNodeData):
        decode_block(raw)


# -- logs: four ways in, one Log out -----------------------------------------------

# Sync(uint112,uint112) of a Uniswap V2 pair, in capitals as some nodes send hex.
TOPIC = "0x1C411E9A96E071241C2F21F7726B17AE89E3CAB4C78BE50E062B03A9FFFBBAD1"
DATA = "0x" + (5).to_bytes(32).hex() + (7).to_bytes(32).hex()
RAW_LOG: dict[str, Any] = {
    "address": "0xB4E16D0168E52D35CACD2C6185B44281EC28C9DC",
    "topics": [TOPIC],
    "data": DATA,
    "blockNumber": "0x1b4",
    "blockHash": "0x" + "AB" * 32,
    "transactionHash": "0x" + "cd" * 32,
    "transactionIndex": "0x3",
    "logIndex": "0x1f",
    "removed": False,
}
EXPECTED_LOG = Log(
    address="0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc",
    topics=[TOPIC.lower()],
    data=DATA,
    block_number=0x1B4,
    block_hash="0x" + "ab" * 32,
    transaction_hash="0x" + "cd" * 32,
    log_index=0x1F,
)


def notification(log: dict[str, Any]) -> str:
    return json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "eth_subscription",
            "params": {"subscription": "0x9ce59a13059e417087c02d3236a0b1cc", "result": log},
        }
    )


def get_logs_response(logs: list[dict[str, Any]]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": 7, "result": logs})


def via_notification(log: dict[str, Any]) -> Log:
    return decode_log_notification(notification(log).encode())


def via_get_logs_response(log: dict[str, Any]) -> Log:
    (decoded,) = decode_get_logs_response(get_logs_response([log]).encode())
    return decoded


def via_logs_result(log: dict[str, Any]) -> Log:
    (decoded,) = decode_logs(json.dumps([log]).encode())
    return decoded


def via_log_result(log: dict[str, Any]) -> Log:
    return decode_log(json.dumps(log).encode())


ONE_LOG = pytest.mark.parametrize(
    "decode",
    [via_notification, via_get_logs_response, via_logs_result, via_log_result],
    ids=["notification frame", "getLogs frame", "getLogs result", "notification result"],
)


@ONE_LOG
def test_a_log_decodes_to_numbers_and_lowercase_hex(
    decode: Callable[[dict[str, Any]], Log],
) -> None:
    assert decode(RAW_LOG) == EXPECTED_LOG


@ONE_LOG
def test_a_removed_log_says_so(decode: Callable[[dict[str, Any]], Log]) -> None:
    assert decode({**RAW_LOG, "removed": True}).removed


def test_a_notification_frame_decodes_from_text_as_from_bytes() -> None:
    assert decode_log_notification(notification(RAW_LOG)) == EXPECTED_LOG


def test_a_get_logs_response_decodes_to_its_logs_in_order() -> None:
    second = {**RAW_LOG, "logIndex": "0x20"}
    logs = decode_get_logs_response(get_logs_response([RAW_LOG, second]))
    assert [log.log_index for log in logs] == [0x1F, 0x20]
    assert logs[0] == EXPECTED_LOG


def test_a_get_logs_result_decodes_to_its_logs_in_order() -> None:
    second = {**RAW_LOG, "logIndex": "0x20"}
    logs = decode_logs(json.dumps([second, RAW_LOG]).encode())
    assert [log.log_index for log in logs] == [0x20, 0x1F]
    assert logs[1] == EXPECTED_LOG


def test_no_logs_decode_to_an_empty_list() -> None:
    assert decode_get_logs_response(b'{"jsonrpc":"2.0","id":1,"result":[]}') == []
    assert decode_logs(b"[]") == []


def test_a_get_logs_error_is_an_rpc_error_with_the_node_s_message() -> None:
    frame = '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"block range too large"}}'
    with pytest.raises(RpcError, match="block range too large") as caught:
        decode_get_logs_response(frame)
    assert caught.value.code == -32000
    assert caught.value.node_message == "block range too large"


def test_a_get_logs_response_with_neither_result_nor_error_is_malformed() -> None:
    with pytest.raises(MalformedNodeData):
        decode_get_logs_response('{"jsonrpc":"2.0","id":1}')


def test_a_frame_of_another_method_is_malformed() -> None:
    frame = notification(RAW_LOG).replace("eth_subscription", "eth_subscribe")
    with pytest.raises(MalformedNodeData):
        decode_log_notification(frame)


@ONE_LOG
@pytest.mark.parametrize(
    "change",
    [
        {"blockNumber": "1b4"},
        {"blockNumber": "0x"},
        {"blockNumber": "0X1b4"},
        {"blockNumber": None},
        {"blockNumber": 436},
        {"logIndex": "0x_1"},
        {"logIndex": "0x1_0"},
        {"blockNumber": "-0x1"},
        {"blockNumber": " 0x1"},
        {"blockNumber": "0x1 "},
        {"blockNumber": "0x1g"},
        {"blockNumber": "0x\u0661"},
        {"blockNumber": "0x" + "f" * 65},
        {"address": "0x1234"},
        {"address": "b4e16d0168e52d35cacd2c6185b44281ec28c9dc12"},
        {"address": "0XB4E16D0168E52D35CACD2C6185B44281EC28C9DC"},
        {"blockHash": "0x" + "ab" * 31},
        {"blockHash": "0X" + "ab" * 32},
        {"transactionHash": "0x" + "ab" * 33},
        {"transactionHash": "ab" * 33},
        {"topics": ["0x1234"]},
        {"topics": [TOPIC, "0X" + "00" * 32]},
        {"topics": TOPIC},
        {"data": "0x123"},
        {"data": "1234"},
        {"data": "0X1234"},
        {"data": 5},
        {"removed": "no"},
    ],
)
def test_a_log_with_a_bad_field_is_malformed(
    decode: Callable[[dict[str, Any]], Log], change: dict[str, Any]
) -> None:
    with pytest.raises(MalformedNodeData):
        decode({**RAW_LOG, **change})


@ONE_LOG
@pytest.mark.parametrize(
    "field",
    ["address", "topics", "data", "blockNumber", "blockHash", "transactionHash", "logIndex"],
)
def test_a_log_missing_a_field_is_malformed(
    decode: Callable[[dict[str, Any]], Log], field: str
) -> None:
    log = dict(RAW_LOG)
    del log[field]
    with pytest.raises(MalformedNodeData):
        decode(log)


@pytest.mark.parametrize("frame", ["", "{", "null", "[]", '{"jsonrpc":"2.0","id":1}', "\xff"])
def test_garbage_frames_are_malformed(frame: str) -> None:
    with pytest.raises(MalformedNodeData):
        decode_log_notification(frame)
    with pytest.raises(MalformedNodeData):
        decode_get_logs_response(frame)


@pytest.mark.parametrize("raw", [b"", b"{", b"null", b"{}", b"[null]", b"[[]]"])
def test_garbage_results_are_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedNodeData):
        decode_logs(raw)
    with pytest.raises(MalformedNodeData):
        decode_log(raw)


def mixed_case(draw: st.DrawFn, raw: bytes) -> str:
    """``raw`` as 0x hex, each digit in upper or lower case as drawn."""
    digits = raw.hex()
    upper = draw(st.integers(min_value=0, max_value=2 ** len(digits) - 1))
    return "0x" + "".join(
        digit.upper() if upper >> index & 1 else digit for index, digit in enumerate(digits)
    )


@st.composite
def logs(draw: st.DrawFn) -> tuple[dict[str, Any], Log]:
    """A well-formed node log in any letter case, and the `Log` it must decode to."""
    address = draw(st.binary(min_size=20, max_size=20))
    topics = draw(st.lists(st.binary(min_size=32, max_size=32), max_size=4))
    data = draw(st.binary(max_size=200))
    block_hash = draw(st.binary(min_size=32, max_size=32))
    transaction_hash = draw(st.binary(min_size=32, max_size=32))
    block_number = draw(st.integers(min_value=0, max_value=2**64))
    log_index = draw(st.integers(min_value=0, max_value=2**32))
    removed = draw(st.booleans())
    raw = {
        "address": mixed_case(draw, address),
        "topics": [mixed_case(draw, topic) for topic in topics],
        "data": "0x" + data.hex(),
        "blockNumber": hex(block_number),
        "blockHash": mixed_case(draw, block_hash),
        "transactionHash": mixed_case(draw, transaction_hash),
        "logIndex": hex(log_index),
        "removed": removed,
    }
    expected = Log(
        address="0x" + address.hex(),
        topics=["0x" + topic.hex() for topic in topics],
        data="0x" + data.hex(),
        block_number=block_number,
        block_hash="0x" + block_hash.hex(),
        transaction_hash="0x" + transaction_hash.hex(),
        log_index=log_index,
        removed=removed,
    )
    return raw, expected


@ONE_LOG
@settings(max_examples=100)
@given(case=logs())
def test_any_well_formed_log_decodes_to_its_values(
    decode: Callable[[dict[str, Any]], Log], case: tuple[dict[str, Any], Log]
) -> None:
    raw, expected = case
    assert decode(raw) == expected


@settings(max_examples=300)
@given(frame=st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_any_bytes_or_text_either_decode_or_raise_malformed_node_data(frame: bytes | str) -> None:
    with contextlib.suppress(MalformedNodeData):
        decode_log_notification(frame)
    with contextlib.suppress(MalformedNodeData, RpcError):
        decode_get_logs_response(frame)
    with contextlib.suppress(MalformedNodeData):
        decode_logs(frame)
    with contextlib.suppress(MalformedNodeData):
        decode_log(frame)
    with contextlib.suppress(MalformedNodeData):
        decode_block(frame.encode() if isinstance(frame, str) else frame)


@ONE_LOG
@settings(max_examples=100)
@given(
    field=st.sampled_from(sorted(RAW_LOG)),
    value=st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=80)),
)
def test_any_field_value_either_decodes_or_raises_malformed_node_data(
    decode: Callable[[dict[str, Any]], Log], field: str, value: Any
) -> None:
    with contextlib.suppress(MalformedNodeData):
        decode({**RAW_LOG, field: value})
