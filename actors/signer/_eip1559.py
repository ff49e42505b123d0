"""Signing a type-2 (EIP-1559) transaction: RLP, keccak and one secp256k1 signature.

The hot path of every submit (benchmarks/nonce.py guards it). eth-account's
``sign_transaction`` builds and checks the same transaction through several
layers of dict formatters and makes a key object per call: about 1.8 ms on
the benchmark machine, of which the signature itself (coincurve, i.e.
libsecp256k1) is a quarter; the ``rlp`` package's encoder, which infers a
serializer per field, costs another 90 us. The one transaction type we send
is a list of integers and byte strings, encoded here directly: the whole
signing takes little more than the signature, and gives byte for byte what
eth-account gives (libsecp256k1 signs deterministically, RFC 6979, low-s;
the signer's tests compare the two).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_utils.crypto import keccak

from messages.tx import Signed

if TYPE_CHECKING:
    from coincurve import PrivateKey

    from messages.tx import SignRequest

__all__ = ["sign_eip1559"]

_TYPE = b"\x02"
_EMPTY_LIST = b"\xc0"  # the access list: none


def sign_eip1559(key: PrivateKey, request: SignRequest) -> Signed:
    """``request`` signed with ``key``: the raw transaction and its hash, ``0x`` hex.

    Raises:
        ValueError: ``to`` is not a 20-byte address, or ``data`` is not hex.
    """
    to = bytes.fromhex(request.to.removeprefix("0x"))
    if len(to) != 20:
        raise ValueError(f"not a 20-byte address: {request.to}")
    fields = b"".join(
        (
            _int(request.chain_id),
            _int(request.nonce),
            _int(request.max_priority_fee_per_gas),
            _int(request.max_fee_per_gas),
            _int(request.gas),
            _bytes(to),
            _int(request.value),
            _bytes(bytes.fromhex(request.data.removeprefix("0x"))),
            _EMPTY_LIST,
        )
    )
    signature = key.sign_recoverable(keccak(_TYPE + _list(fields)), hasher=None)
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    raw = _TYPE + _list(fields + _int(signature[64]) + _int(r) + _int(s))
    return Signed(hash="0x" + keccak(raw).hex(), raw="0x" + raw.hex())


def _int(value: int) -> bytes:
    """An unsigned integer: big-endian without leading zeros (zero is empty)."""
    return _bytes(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _bytes(value: bytes) -> bytes:
    if len(value) == 1 and value[0] < 0x80:
        return value
    return _length(len(value), 0x80) + value


def _list(payload: bytes) -> bytes:
    """A list whose items, encoded and joined, are ``payload``."""
    return _length(len(payload), 0xC0) + payload


def _length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes((offset + length,))
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(size),)) + size
