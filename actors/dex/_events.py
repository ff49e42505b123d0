"""Uniswap V2/V3 pool events: topics, and strict decoders from a log's raw hex.

Hot path, guarded by ``benchmarks/ingest.py``: every log of every watched pool passes
here. Data is checked and converted with ``bytes.fromhex`` and ``int.from_bytes``
(C code, no ABI library), and every way a log can be wrong -- topic count, data
length, non-hex text, a value beyond its Solidity type -- raises `MalformedLog`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from actors.dex._exceptions import MalformedLog

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "BURN_TOPIC",
    "MINT_TOPIC",
    "SYNC_TOPIC",
    "V2_SWAP_TOPIC",
    "V3_SWAP_TOPIC",
    "PoolEvent",
    "V2Swap",
    "V2Sync",
    "V3Burn",
    "V3Mint",
    "V3Swap",
    "decode_event",
    "decode_v2_swap",
    "decode_v2_sync",
    "decode_v3_burn",
    "decode_v3_mint",
    "decode_v3_swap",
]

# keccak256 of the event signatures (tests/actors/dex/test_events.py recomputes them).
SYNC_TOPIC = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"
"""``Sync(uint112,uint112)`` (Uniswap V2 pair)."""
V2_SWAP_TOPIC = "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
"""``Swap(address,uint256,uint256,uint256,uint256,address)`` (Uniswap V2 pair)."""
V3_SWAP_TOPIC = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"
"""``Swap(address,address,int256,int256,uint160,uint128,int24)`` (Uniswap V3 pool)."""
MINT_TOPIC = "0x7a53080ba414158be7ec69b987b5fb7d07dee101fe85488f0853ae16239d0bde"
"""``Mint(address,address,int24,int24,uint128,uint256,uint256)`` (Uniswap V3 pool)."""
BURN_TOPIC = "0x0c396cd989a39f4459b5fa1aed6a9a8dcdbc45908acfd67e028cd568da98982c"
"""``Burn(address,int24,int24,uint128,uint256,uint256)`` (Uniswap V3 pool)."""

_WORD_BITS = 256
_MASK = (1 << 256) - 1
_UINT112 = 1 << 112
_UINT128 = 1 << 128
_UINT160 = 1 << 160
_INT24 = 1 << 23
_INT256 = 1 << 255
_ADDRESS_TOPIC_PREFIX = "0x" + "0" * 24


class V2Sync(msgspec.Struct, frozen=True, gc=False):
    """A V2 pair's reserves after a change."""

    reserve0: int
    reserve1: int


class V2Swap(msgspec.Struct, frozen=True, gc=False):
    """A V2 swap (the pair's reserves come in the `V2Sync` before it)."""

    sender: str
    to: str
    amount0_in: int
    amount1_in: int
    amount0_out: int
    amount1_out: int


class V3Swap(msgspec.Struct, frozen=True, gc=False):
    """A V3 swap: the pool's deltas (positive into the pool) and its state after."""

    sender: str
    recipient: str
    amount0: int
    amount1: int
    sqrt_price_x96: int
    liquidity: int
    tick: int


class V3Mint(msgspec.Struct, frozen=True, gc=False):
    """Liquidity ``amount`` added to ``owner``'s position ``[tick_lower, tick_upper)``."""

    sender: str
    owner: str
    tick_lower: int
    tick_upper: int
    amount: int
    amount0: int
    amount1: int


class V3Burn(msgspec.Struct, frozen=True, gc=False):
    """Liquidity ``amount`` removed from ``owner``'s position ``[tick_lower, tick_upper)``."""

    owner: str
    tick_lower: int
    tick_upper: int
    amount: int
    amount0: int
    amount1: int


PoolEvent = V2Sync | V2Swap | V3Swap | V3Mint | V3Burn


def _data(data: str, words: int) -> int:
    """The data as one big-endian integer of ``words`` 32-byte words, after strict checks."""
    if len(data) != 2 + 64 * words or data[:2] != "0x":
        raise MalformedLog(f"data must be 0x and {words} words, got {len(data)} characters")
    try:
        raw = bytes.fromhex(data[2:])
    except ValueError:
        raise MalformedLog("data is not hex") from None
    # fromhex skips whitespace, so a short result means the text held some.
    if len(raw) != 32 * words:
        raise MalformedLog("data is not hex")
    return int.from_bytes(raw)


def _topic(topic: str) -> int:
    if len(topic) != 66 or topic[:2] != "0x":
        raise MalformedLog("topic must be 0x and 64 hex digits")
    try:
        raw = bytes.fromhex(topic[2:])
    except ValueError:
        raise MalformedLog("topic is not hex") from None
    if len(raw) != 32:
        raise MalformedLog("topic is not hex")
    return int.from_bytes(raw)


def _check_topics(topics: list[str], count: int, expected: str) -> None:
    if len(topics) != count:
        raise MalformedLog(f"expected {count} topics, got {len(topics)}")
    topic0 = topics[0]
    if topic0 != expected and (not isinstance(topic0, str) or topic0.lower() != expected):
        raise MalformedLog(f"topic0 {topic0!r} is not {expected}")


def _address_topic(topic: str) -> str:
    if len(topic) != 66 or topic[:26] != _ADDRESS_TOPIC_PREFIX:
        raise MalformedLog("address topic must be 0x, 24 zeros and 40 hex digits")
    try:
        raw = bytes.fromhex(topic[26:])
    except ValueError:
        raise MalformedLog("address topic is not hex") from None
    if len(raw) != 20:
        raise MalformedLog("address topic is not hex")
    return "0x" + raw.hex()


def _address_word(word: int) -> str:
    if word >= _UINT160:
        raise MalformedLog("address word has non-zero padding")
    return "0x" + word.to_bytes(20).hex()


def _bounded(word: int, bound: int) -> int:
    if word >= bound:
        raise MalformedLog("a word exceeds its type")
    return word


def _signed(word: int, bound: int) -> int:
    """A two's complement word as a signed int, which must lie in ``[-bound, bound)``."""
    if word < bound:
        return word
    if word >= (1 << _WORD_BITS) - bound:
        return word - (1 << _WORD_BITS)
    raise MalformedLog("a signed word exceeds its type or is not sign-extended")


def decode_v2_sync(topics: list[str], data: str) -> V2Sync:
    """Decode ``Sync(uint112 reserve0, uint112 reserve1)``.

    Raises:
        MalformedLog: not exactly this event's topics and two uint112 words of data.
    """
    _check_topics(topics, 1, SYNC_TOPIC)
    words = _data(data, 2)
    reserve0, reserve1 = words >> 256, words & _MASK
    if reserve0 >= _UINT112 or reserve1 >= _UINT112:
        raise MalformedLog("a reserve exceeds uint112")
    return V2Sync(reserve0, reserve1)


def decode_v2_swap(topics: list[str], data: str) -> V2Swap:
    """Decode ``Swap(address indexed sender, uint256 amount0In, uint256 amount1In,
    uint256 amount0Out, uint256 amount1Out, address indexed to)``.

    Raises:
        MalformedLog: not exactly this event's three topics and four words of data.
    """
    _check_topics(topics, 3, V2_SWAP_TOPIC)
    words = _data(data, 4)
    return V2Swap(
        _address_topic(topics[1]),
        _address_topic(topics[2]),
        words >> 768,
        (words >> 512) & _MASK,
        (words >> 256) & _MASK,
        words & _MASK,
    )


def decode_v3_swap(topics: list[str], data: str) -> V3Swap:
    """Decode ``Swap(address indexed sender, address indexed recipient, int256 amount0,
    int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)``.

    Raises:
        MalformedLog: not exactly this event's three topics and five words of data, or a
            word beyond its type (an int24 must be sign-extended).
    """
    _check_topics(topics, 3, V3_SWAP_TOPIC)
    words = _data(data, 5)
    return V3Swap(
        _address_topic(topics[1]),
        _address_topic(topics[2]),
        _signed(words >> 1024, _INT256),
        _signed((words >> 768) & _MASK, _INT256),
        _bounded((words >> 512) & _MASK, _UINT160),
        _bounded((words >> 256) & _MASK, _UINT128),
        _signed(words & _MASK, _INT24),
    )


def decode_v3_mint(topics: list[str], data: str) -> V3Mint:
    """Decode ``Mint(address sender, address indexed owner, int24 indexed tickLower,
    int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)``.

    Raises:
        MalformedLog: not exactly this event's four topics and four words of data.
    """
    _check_topics(topics, 4, MINT_TOPIC)
    words = _data(data, 4)
    return V3Mint(
        _address_word(words >> 768),
        _address_topic(topics[1]),
        _signed(_topic(topics[2]), _INT24),
        _signed(_topic(topics[3]), _INT24),
        _bounded((words >> 512) & _MASK, _UINT128),
        (words >> 256) & _MASK,
        words & _MASK,
    )


def decode_v3_burn(topics: list[str], data: str) -> V3Burn:
    """Decode ``Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper,
    uint128 amount, uint256 amount0, uint256 amount1)``.

    Raises:
        MalformedLog: not exactly this event's four topics and three words of data.
    """
    _check_topics(topics, 4, BURN_TOPIC)
    words = _data(data, 3)
    return V3Burn(
        _address_topic(topics[1]),
        _signed(_topic(topics[2]), _INT24),
        _signed(_topic(topics[3]), _INT24),
        _bounded(words >> 512, _UINT128),
        (words >> 256) & _MASK,
        words & _MASK,
    )


_DECODERS: dict[str, Callable[[list[str], str], PoolEvent]] = {
    SYNC_TOPIC: decode_v2_sync,
    V2_SWAP_TOPIC: decode_v2_swap,
    V3_SWAP_TOPIC: decode_v3_swap,
    MINT_TOPIC: decode_v3_mint,
    BURN_TOPIC: decode_v3_burn,
}


def decode_event(topics: list[str], data: str) -> PoolEvent | None:
    """Decode any of the five pool events by its first topic.

    Returns ``None`` for a log without topics or of another event (``Transfer``,
    ``Collect``, ``Flash``...), which a pool also emits.

    Raises:
        MalformedLog: the first topic names one of the five events but the log does
            not match its ABI.
    """
    if not topics:
        return None
    topic0 = topics[0]
    decoder = _DECODERS.get(topic0)
    if decoder is None:
        if not isinstance(topic0, str):
            raise MalformedLog(f"topic {topic0!r} is not a string")
        decoder = _DECODERS.get(topic0.lower())
        if decoder is None:
            return None
    return decoder(topics, data)
