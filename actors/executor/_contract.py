"""Our arbitrage contract's calls as calldata, and what its answers and receipts say. Pure.

The contract (``ops/devnet/contracts/Arbitrage.sol``) takes a path of hops,
the start amount and the least profit it may make:
``execute((address pool, address tokenIn, address tokenOut, bool v3, uint24 fee)[],
uint256 amountIn, uint256 minProfit) returns (uint256 profit)``; it pulls the
start token from its owner (who approves it once per token) and reverts
unless the owner's balance of it grew by at least ``minProfit``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from eth_abi.abi import decode, encode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.crypto import keccak

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "EXECUTE_SIGNATURE",
    "MAX_ALLOWANCE",
    "ContractHop",
    "allowance_calldata",
    "approve_calldata",
    "decode_uint",
    "execute_calldata",
    "execution_gas",
    "fee_calldata",
    "token_flow",
]

EXECUTE_SIGNATURE = "execute((address,address,address,bool,uint24)[],uint256,uint256)"
MAX_ALLOWANCE = 2**256 - 1

_EXECUTE = function_signature_to_4byte_selector(EXECUTE_SIGNATURE)
_APPROVE = function_signature_to_4byte_selector("approve(address,uint256)")
_ALLOWANCE = function_signature_to_4byte_selector("allowance(address,address)")
_FEE = function_signature_to_4byte_selector("fee()")
_TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()

# Explicit gas (estimates against a moving state revert). Measured on anvil 1.7.1: a
# V2-V2 cycle used 171k, a V2-V3 cycle 167k; the limit leaves room for cold pools.
_GAS_BASE = 80_000
_GAS_PER_HOP = 150_000


class ContractHop(NamedTuple):
    """One hop as the contract takes it; ``fee`` (hundredths of a basis point) serves V2 only."""

    pool: str
    token_in: str
    token_out: str
    v3: bool
    fee: int


def execute_calldata(path: Sequence[ContractHop], amount_in: int, min_profit: int) -> str:
    """``execute(path, amount_in, min_profit)`` as ``0x`` hex calldata."""
    hops = [(h.pool, h.token_in, h.token_out, h.v3, h.fee) for h in path]
    args = encode(["(address,address,address,bool,uint24)[]", "uint256", "uint256"],
                  [hops, amount_in, min_profit])  # fmt: skip
    return "0x" + (_EXECUTE + args).hex()


def execution_gas(hops: int) -> int:
    """The gas limit for a path of ``hops`` hops."""
    return _GAS_BASE + _GAS_PER_HOP * hops


def approve_calldata(spender: str, amount: int = MAX_ALLOWANCE) -> str:
    """ERC-20 ``approve(spender, amount)`` as calldata."""
    return "0x" + (_APPROVE + encode(["address", "uint256"], [spender, amount])).hex()


def allowance_calldata(owner: str, spender: str) -> str:
    """ERC-20 ``allowance(owner, spender)`` as calldata."""
    return "0x" + (_ALLOWANCE + encode(["address", "address"], [owner, spender])).hex()


def fee_calldata() -> str:
    """A V3 pool's ``fee()`` (a V2 pair has none: the call reverts)."""
    return "0x" + _FEE.hex()


def decode_uint(result: str) -> int:
    """A ``uint256`` return value from ``0x`` hex."""
    (value,) = decode(["uint256"], bytes.fromhex(result.removeprefix("0x")))
    number: int = value
    return number


def token_flow(logs: Iterable[dict[str, Any]], token: str, account: str) -> int:
    """How much of ``token`` ``account`` gained (negative: lost) by the ``Transfer`` logs given.

    Read from a receipt's logs, this is the transaction's effect on the
    account's balance of a standard ERC-20 token.
    """
    token, holder = token.lower(), "0x" + account.lower().removeprefix("0x").rjust(64, "0")
    flow = 0
    for log in logs:
        topics = log.get("topics") or []
        if log["address"].lower() != token or len(topics) != 3 or topics[0] != _TRANSFER_TOPIC:
            continue
        amount = int(log["data"], 16)
        if topics[2].lower() == holder:
            flow += amount
        if topics[1].lower() == holder:
            flow -= amount
    return flow
