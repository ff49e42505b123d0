"""Pool event decoding: round trips against eth_abi, and strictness."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.dex import (
    BURN_TOPIC,
    MINT_TOPIC,
    SYNC_TOPIC,
    V2_SWAP_TOPIC,
    V3_SWAP_TOPIC,
    MalformedLog,
    V2Swap,
    V2Sync,
    V3Burn,
    V3Mint,
    V3Swap,
    decode_event,
    decode_v2_swap,
    decode_v2_sync,
    decode_v3_burn,
    decode_v3_mint,
    decode_v3_swap,
)
from runtime import ArbiterError

if TYPE_CHECKING:
    from collections.abc import Callable

    from actors.dex import PoolEvent

uint112 = st.integers(min_value=0, max_value=2**112 - 1)
uint128 = st.integers(min_value=0, max_value=2**128 - 1)
uint160 = st.integers(min_value=0, max_value=2**160 - 1)
uint256 = st.integers(min_value=0, max_value=2**256 - 1)
int256 = st.integers(min_value=-(2**255), max_value=2**255 - 1)
int24 = st.integers(min_value=-(2**23), max_value=2**23 - 1)
addresses = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())


def hex_of(types: list[str], values: list[Any]) -> str:
    return "0x" + abi_encode(types, values).hex()


def topic_of(kind: str, value: Any) -> str:
    return hex_of([kind], [value])


@pytest.mark.parametrize(
    ("topic", "signature"),
    [
        (SYNC_TOPIC, "Sync(uint112,uint112)"),
        (V2_SWAP_TOPIC, "Swap(address,uint256,uint256,uint256,uint256,address)"),
        (V3_SWAP_TOPIC, "Swap(address,address,int256,int256,uint160,uint128,int24)"),
        (MINT_TOPIC, "Mint(address,address,int24,int24,uint128,uint256,uint256)"),
        (BURN_TOPIC, "Burn(address,int24,int24,uint128,uint256,uint256)"),
    ],
)
def test_each_topic_is_the_keccak_of_its_event_signature(topic: str, signature: str) -> None:
    assert topic == "0x" + keccak(text=signature).hex()


def test_malformed_log_is_an_arbiter_error() -> None:
    assert issubclass(MalformedLog, ArbiterError)


# -- round trips ------------------------------------------------------------------


@given(reserve0=uint112, reserve1=uint112)
def test_a_sync_log_decodes_to_what_eth_abi_encoded(reserve0: int, reserve1: int) -> None:
    data = hex_of(["uint112", "uint112"], [reserve0, reserve1])
    assert decode_v2_sync([SYNC_TOPIC], data) == V2Sync(reserve0, reserve1)


@given(sender=addresses, to=addresses, amounts=st.lists(uint256, min_size=4, max_size=4))
def test_a_v2_swap_log_decodes_to_what_eth_abi_encoded(
    sender: str, to: str, amounts: list[int]
) -> None:
    topics = [V2_SWAP_TOPIC, topic_of("address", sender), topic_of("address", to)]
    data = hex_of(["uint256"] * 4, amounts)
    assert decode_v2_swap(topics, data) == V2Swap(sender, to, *amounts)


@given(
    sender=addresses,
    recipient=addresses,
    amount0=int256,
    amount1=int256,
    sqrt_price_x96=uint160,
    liquidity=uint128,
    tick=int24,
)
def test_a_v3_swap_log_decodes_to_what_eth_abi_encoded(
    *,
    sender: str,
    recipient: str,
    amount0: int,
    amount1: int,
    sqrt_price_x96: int,
    liquidity: int,
    tick: int,
) -> None:
    topics = [V3_SWAP_TOPIC, topic_of("address", sender), topic_of("address", recipient)]
    data = hex_of(
        ["int256", "int256", "uint160", "uint128", "int24"],
        [amount0, amount1, sqrt_price_x96, liquidity, tick],
    )
    expected = V3Swap(sender, recipient, amount0, amount1, sqrt_price_x96, liquidity, tick)
    assert decode_v3_swap(topics, data) == expected


@given(
    sender=addresses,
    owner=addresses,
    tick_lower=int24,
    tick_upper=int24,
    amount=uint128,
    amount0=uint256,
    amount1=uint256,
)
def test_a_mint_log_decodes_to_what_eth_abi_encoded(
    *,
    sender: str,
    owner: str,
    tick_lower: int,
    tick_upper: int,
    amount: int,
    amount0: int,
    amount1: int,
) -> None:
    topics = [
        MINT_TOPIC,
        topic_of("address", owner),
        topic_of("int24", tick_lower),
        topic_of("int24", tick_upper),
    ]
    data = hex_of(["address", "uint128", "uint256", "uint256"], [sender, amount, amount0, amount1])
    expected = V3Mint(sender, owner, tick_lower, tick_upper, amount, amount0, amount1)
    assert decode_v3_mint(topics, data) == expected


@given(
    owner=addresses,
    tick_lower=int24,
    tick_upper=int24,
    amount=uint128,
    amount0=uint256,
    amount1=uint256,
)
def test_a_burn_log_decodes_to_what_eth_abi_encoded(
    *, owner: str, tick_lower: int, tick_upper: int, amount: int, amount0: int, amount1: int
) -> None:
    topics = [
        BURN_TOPIC,
        topic_of("address", owner),
        topic_of("int24", tick_lower),
        topic_of("int24", tick_upper),
    ]
    data = hex_of(["uint128", "uint256", "uint256"], [amount, amount0, amount1])
    expected = V3Burn(owner, tick_lower, tick_upper, amount, amount0, amount1)
    assert decode_v3_burn(topics, data) == expected


def test_decode_event_picks_the_decoder_by_the_first_topic() -> None:
    data = hex_of(["uint112", "uint112"], [1, 2])
    assert decode_event([SYNC_TOPIC], data) == V2Sync(1, 2)
    assert decode_event([SYNC_TOPIC.upper().replace("0X", "0x")], data) == V2Sync(1, 2)


def test_other_events_and_anonymous_logs_decode_to_none() -> None:
    transfer = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
    assert decode_event([transfer, "0x" + "00" * 32, "0x" + "00" * 32], "0x" + "00" * 32) is None
    assert decode_event([], "0x") is None


# -- strictness: eth_abi's strict decoder is the oracle ---------------------------------

# Words biased towards the edges of each type: small, sign-extended, padded, random.
words = st.one_of(
    st.integers(min_value=0, max_value=2**24).map(lambda v: v.to_bytes(32)),
    st.integers(min_value=-(2**24), max_value=-1).map(lambda v: v.to_bytes(32, signed=True)),
    st.integers(min_value=0, max_value=2**160).map(lambda v: v.to_bytes(32)),
    st.integers(min_value=0, max_value=2**256 - 1).map(lambda v: v.to_bytes(32)),
)

Fields = list[tuple[str, str]]
# Each event: its decoder, then (field, ABI type) of its indexed topics and of its data.
EVENTS: dict[str, tuple[Callable[[list[str], str], PoolEvent], Fields, Fields]] = {
    "sync": (decode_v2_sync, [], [("reserve0", "uint112"), ("reserve1", "uint112")]),
    "v2_swap": (
        decode_v2_swap,
        [("sender", "address"), ("to", "address")],
        [(name, "uint256") for name in ("amount0_in", "amount1_in", "amount0_out", "amount1_out")],
    ),
    "v3_swap": (
        decode_v3_swap,
        [("sender", "address"), ("recipient", "address")],
        [
            ("amount0", "int256"),
            ("amount1", "int256"),
            ("sqrt_price_x96", "uint160"),
            ("liquidity", "uint128"),
            ("tick", "int24"),
        ],
    ),
    "mint": (
        decode_v3_mint,
        [("owner", "address"), ("tick_lower", "int24"), ("tick_upper", "int24")],
        [
            ("sender", "address"),
            ("amount", "uint128"),
            ("amount0", "uint256"),
            ("amount1", "uint256"),
        ],
    ),
    "burn": (
        decode_v3_burn,
        [("owner", "address"), ("tick_lower", "int24"), ("tick_upper", "int24")],
        [("amount", "uint128"), ("amount0", "uint256"), ("amount1", "uint256")],
    ),
}
TOPIC0 = {
    "sync": SYNC_TOPIC,
    "v2_swap": V2_SWAP_TOPIC,
    "v3_swap": V3_SWAP_TOPIC,
    "mint": MINT_TOPIC,
    "burn": BURN_TOPIC,
}


@settings(max_examples=400)
@given(event=st.sampled_from(sorted(EVENTS)), data=st.data())
def test_random_words_decode_exactly_when_eth_abi_s_strict_decoder_accepts_them(
    event: str, data: st.DataObject
) -> None:
    decoder, topic_fields, data_fields = EVENTS[event]
    topic_words = [data.draw(words) for _ in topic_fields]
    data_words = [data.draw(words) for _ in data_fields]
    topics = [TOPIC0[event], *("0x" + word.hex() for word in topic_words)]
    raw = b"".join(data_words)
    try:
        values = [
            *(
                abi_decode([kind], word)[0]
                for (_, kind), word in zip(topic_fields, topic_words, strict=True)
            ),
            *abi_decode([kind for _, kind in data_fields], raw),
        ]
    except DecodingError:
        with pytest.raises(MalformedLog):
            decoder(topics, "0x" + raw.hex())
        return
    decoded = decoder(topics, "0x" + raw.hex())
    expected = {
        name: value.lower() if isinstance(value, str) else value
        for (name, _), value in zip([*topic_fields, *data_fields], values, strict=True)
    }
    assert {name: getattr(decoded, name) for name in decoded.__struct_fields__} == expected


# -- malformed input raises MalformedLog and nothing else ------------------------------

VALID_SYNC = hex_of(["uint112", "uint112"], [5, 7])


@pytest.mark.parametrize(
    ("topics", "data"),
    [
        ([], VALID_SYNC),
        ([SYNC_TOPIC, SYNC_TOPIC], VALID_SYNC),
        ([V3_SWAP_TOPIC], VALID_SYNC),
        ([SYNC_TOPIC], VALID_SYNC[:-2]),
        ([SYNC_TOPIC], VALID_SYNC + "00"),
        ([SYNC_TOPIC], VALID_SYNC[2:] + "00"),
        ([SYNC_TOPIC], "0X" + VALID_SYNC[2:]),
        ([SYNC_TOPIC], VALID_SYNC[:-1] + "g"),
        ([SYNC_TOPIC], VALID_SYNC[:10] + "_" + VALID_SYNC[11:]),
        ([SYNC_TOPIC], VALID_SYNC[:10] + " " + VALID_SYNC[11:]),
        ([SYNC_TOPIC], VALID_SYNC[:10] + "  " + VALID_SYNC[12:]),
        ([SYNC_TOPIC], VALID_SYNC[:10] + "\n\t" + VALID_SYNC[12:]),
        ([SYNC_TOPIC], VALID_SYNC[:10] + "+" + VALID_SYNC[11:]),
        ([SYNC_TOPIC], "0x" + "ff" * 64),
        ([SYNC_TOPIC], ""),
    ],
    ids=[
        "no topics",
        "two topics",
        "another event",
        "short data",
        "long data",
        "no 0x",
        "0X",
        "non-hex digit",
        "underscore",
        "space",
        "a byte of spaces",
        "a byte of newline and tab",
        "plus sign",
        "reserve beyond uint112",
        "empty",
    ],
)
def test_a_malformed_sync_log_raises_malformed_log(topics: list[str], data: str) -> None:
    with pytest.raises(MalformedLog):
        decode_v2_sync(topics, data)


def test_an_int24_that_is_not_sign_extended_is_malformed() -> None:
    swap = hex_of(["int256", "int256", "uint160", "uint128", "int24"], [1, -1, 2**96, 10, -5])
    not_extended = swap[:-64] + "00" * 29 + (-5).to_bytes(3, signed=True).hex()
    topics = [V3_SWAP_TOPIC, "0x" + "00" * 32, "0x" + "00" * 32]
    assert decode_v3_swap(topics, swap).tick == -5
    with pytest.raises(MalformedLog):
        decode_v3_swap(topics, not_extended)


def test_an_address_topic_with_dirty_padding_is_malformed() -> None:
    data = hex_of(["uint256"] * 4, [1, 2, 3, 4])
    dirty = "0x01" + "00" * 31
    with pytest.raises(MalformedLog):
        decode_v2_swap([V2_SWAP_TOPIC, dirty, "0x" + "00" * 32], data)


def test_whitespace_in_a_topic_is_malformed() -> None:
    data = hex_of(["uint128", "uint256", "uint256"], [1, 2, 3])
    owner = "0x" + "00" * 32
    spaced_tick = "0x" + "00" * 30 + "  " + "05"
    spaced_owner = "0x" + "00" * 12 + "ab" * 19 + "  "
    with pytest.raises(MalformedLog):
        decode_v3_burn([BURN_TOPIC, owner, spaced_tick, owner], data)
    with pytest.raises(MalformedLog):
        decode_v3_burn([BURN_TOPIC, spaced_owner, owner, owner], data)


def test_a_tick_topic_of_the_wrong_length_is_malformed() -> None:
    data = hex_of(["uint128", "uint256", "uint256"], [1, 2, 3])
    owner = "0x" + "00" * 32
    with pytest.raises(MalformedLog):
        decode_v3_burn([BURN_TOPIC, owner, "0x" + "00" * 31, "0x" + "00" * 32], data)


hexish = st.text(alphabet="0123456789abcdefABCDEFxX_ +-g\n", max_size=400)
any_text = st.text(max_size=400)


@settings(max_examples=300)
@given(
    topics=st.lists(
        st.one_of(st.sampled_from(sorted(TOPIC0.values())), hexish, any_text), max_size=5
    ),
    data=st.one_of(hexish, any_text, hexish.map(lambda text: "0x" + text)),
)
def test_any_text_either_decodes_or_raises_malformed_log(topics: list[str], data: str) -> None:
    with contextlib.suppress(MalformedLog):
        decode_event(topics, data)


@settings(max_examples=200)
@given(
    event=st.sampled_from(sorted(EVENTS)),
    length=st.integers(min_value=0, max_value=7),
    alphabet=st.sampled_from(["0123456789abcdef", "0123456789abcdef_ g"]),
    data=st.data(),
)
def test_text_of_any_word_count_either_decodes_or_raises_malformed_log(
    event: str, length: int, alphabet: str, data: st.DataObject
) -> None:
    decoder, topic_fields, _ = EVENTS[event]
    body = data.draw(st.text(alphabet=alphabet, min_size=64 * length, max_size=64 * length))
    topics = [TOPIC0[event], *(data.draw(hexish) for _ in topic_fields)]
    with contextlib.suppress(MalformedLog):
        decoder(topics, "0x" + body)
