"""Transactions: submitting, signing, and following them to a final status.

The conversation: an executor asks a nonce manager (one per account) to
`Submit` a `TxRequest`; the manager allocates the nonce, asks the signer to
sign (`SignRequest` -> `Signed`), sends it, and publishes every status change
as `TxUpdated` on ``system.events``. Hashes and addresses are lowercase ``0x``
hex strings; amounts and fees are ints in wei.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = [
    "GetAccount",
    "GetInFlight",
    "GetNonceStatus",
    "GetTxs",
    "InFlightTx",
    "NonceStatus",
    "SentTx",
    "SignRequest",
    "Signed",
    "Submit",
    "TxKind",
    "TxRecord",
    "TxRefused",
    "TxRequest",
    "TxStatus",
    "TxUpdated",
]

Address = Annotated[str, msgspec.Meta(pattern=r"^0x[0-9a-fA-F]{40}$")]
HexData = Annotated[str, msgspec.Meta(pattern=r"^0x(?:[0-9a-fA-F]{2})*$")]
Wei = Annotated[int, msgspec.Meta(ge=0)]
Gas = Annotated[int, msgspec.Meta(ge=21_000, le=2**63 - 1)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=10_000)]

TxStatus = Literal["pending", "mined", "failed", "replaced", "dropped"]
"""``pending`` sent, not yet in a block; ``mined`` in a block and succeeded;
``failed`` in a block and reverted (its nonce is consumed all the same);
``replaced`` another transaction of ours took its nonce (a fee bump or a
cancel); ``dropped`` refused by the node, or its nonce taken by a transaction
we did not send."""

TxKind = Literal["submit", "replacement", "cancel", "fill"]
"""Why a transaction was signed: a `Submit`, a fee bump of a stuck one, a
zero-value self-transfer cancelling one, or one filling a nonce gap."""


class TxRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What to send; the nonce manager adds the nonce and, when left out, the fees.

    ``gas`` is always explicit: estimates against a moving state revert.
    Without fees the manager offers ``2 * base_fee + priority_fee``.
    """

    to: Address
    gas: Gas
    value: Wei = 0
    data: HexData = "0x"
    max_fee_per_gas: Wei | None = None
    max_priority_fee_per_gas: Wei | None = None
    opportunity_id: str | None = None


class Submit(msgspec.Struct, frozen=True, tag=True):
    """Asks a nonce manager to sign and send ``request``.

    The reply is the transaction's hash (``str``) once the node has it, or
    `TxRefused` when nothing was sent (the manager carries on either way).
    """

    request: TxRequest


class TxRefused(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The reply to a `Submit` that sent nothing.

    ``invalid``: the request did not validate, no nonce was touched;
    otherwise the node refused the signed transaction (``reason`` is its
    message) and the nonce goes to the next submit.
    """

    reason: str
    invalid: bool = False


class TxRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One signed transaction as the nonce manager knows it: a row of ``GET /api/txs``."""

    hash: str
    account: str
    nonce: int
    status: TxStatus
    block: int | None = None
    opportunity_id: str | None = None
    kind: TxKind = "submit"
    to: str = ""
    value: int = 0
    gas: int = 0
    max_fee_per_gas: int = 0
    max_priority_fee_per_gas: int = 0
    sent_block: int | None = None
    """The head the manager knew when it (last) sent this transaction."""
    error: str | None = None
    """Why the node refused it, for a ``dropped`` transaction it refused."""


class SentTx(msgspec.Struct, frozen=True, kw_only=True):
    """One signed attempt at a nonce: its record, its raw bytes (to send it again), its request."""

    record: TxRecord
    raw: str
    request: TxRequest


class InFlightTx(msgspec.Struct, frozen=True, kw_only=True):
    """A nonce whose fate is not known yet, with every attempt at it (oldest first).

    What the bank keeps to restore a nonce manager after a restart. The
    last attempt is the current one: the one sent again, and bumped, while stuck.
    """

    account: str
    nonce: int
    attempts: list[SentTx]


class TxUpdated(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Published on ``system.events`` when a transaction is recorded or changes status.

    ``in_flight`` is its nonce's state afterwards, None once the nonce's fate
    is known (mined, failed, or taken by another transaction).
    """

    record: TxRecord
    in_flight: InFlightTx | None


class GetTxs(msgspec.Struct, frozen=True, tag=True):
    """Asks a nonce manager for its newest ``limit`` `TxRecord`s, newest first."""

    limit: Limit = 50


class GetInFlight(msgspec.Struct, frozen=True, tag=True):
    """Asks a nonce manager for its `InFlightTx` list, lowest nonce first."""


class GetNonceStatus(msgspec.Struct, frozen=True, tag=True):
    """Asks a nonce manager for its `NonceStatus`."""


class NonceStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A nonce manager's counters and where it stands."""

    account: str
    next_nonce: int | None
    chain_nonce: int | None
    """Nonces the chain has consumed (``latest`` count) at ``head_block``."""
    head_block: int | None
    in_flight: int
    submitted_total: int
    rejected_total: int
    resyncs_total: int
    rebroadcasts_total: int
    replacements_total: int
    cancels_total: int
    fills_total: int
    mined_total: int
    failed_total: int
    dropped_total: int
    orphaned_total: int


class SignRequest(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Asks the signer to sign one type-2 (EIP-1559) transaction; the reply is `Signed`."""

    chain_id: int
    nonce: int
    to: str
    value: int
    data: str
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


class Signed(msgspec.Struct, frozen=True):
    """A signed transaction: its hash and its raw bytes, both ``0x`` hex."""

    hash: str
    raw: str


class GetAccount(msgspec.Struct, frozen=True, tag=True):
    """Asks the signer for the address of its key (lowercase ``0x`` hex)."""
