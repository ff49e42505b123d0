"""The direct type-2 encoding signs byte for byte what eth-account signs."""

from __future__ import annotations

import pytest
from coincurve import PrivateKey
from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from actors.signer._eip1559 import sign_eip1559
from messages.tx import SignRequest

# anvil's first default key: public knowledge.
KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
ACCOUNT = Account.from_key(KEY)

uint = st.integers(min_value=0, max_value=2**256 - 1)
requests = st.builds(
    SignRequest,
    chain_id=st.integers(min_value=1, max_value=2**64 - 1),
    nonce=st.integers(min_value=0, max_value=2**64 - 2),
    to=st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
    value=uint,
    data=st.binary(max_size=300).map(lambda b: "0x" + b.hex()),
    gas=st.integers(min_value=21_000, max_value=2**63 - 1),
    max_fee_per_gas=uint,
    max_priority_fee_per_gas=uint,
)


@given(requests)
def test_a_signed_transaction_equals_eth_accounts_byte_for_byte(request: SignRequest) -> None:
    expected = ACCOUNT.sign_transaction(
        {
            "type": 2,
            "chainId": request.chain_id,
            "nonce": request.nonce,
            "to": to_checksum_address(request.to),
            "value": request.value,
            "data": request.data,
            "gas": request.gas,
            "maxFeePerGas": request.max_fee_per_gas,
            "maxPriorityFeePerGas": request.max_priority_fee_per_gas,
            "accessList": (),
        }
    )
    signed = sign_eip1559(PrivateKey(KEY), request)
    assert signed.raw == expected.raw_transaction.to_0x_hex()
    assert signed.hash == expected.hash.to_0x_hex()


def test_a_recipient_that_is_not_20_bytes_is_refused() -> None:
    request = SignRequest(
        chain_id=1,
        nonce=0,
        to="0x1234",
        value=0,
        data="0x",
        gas=21_000,
        max_fee_per_gas=1,
        max_priority_fee_per_gas=1,
    )
    with pytest.raises(ValueError, match="20-byte"):
        sign_eip1559(PrivateKey(KEY), request)
