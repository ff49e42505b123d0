"""The executor's conversation: its mode, what it did with each opportunity, and its status.

The executor takes `messages.bank.Opportunity` from ``system.events`` and
records each outcome as an `Execution` (and the opportunity's new status
to the bank). Profits are in raw units of the opportunity's start token,
before gas: ``expected_profit`` is ``amount_out - amount_in``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = [
    "Execution",
    "ExecutionOutcome",
    "ExecutorMode",
    "ExecutorStatus",
    "GetExecutions",
    "GetExecutorStatus",
]

ExecutorMode = Literal["observe", "simulate", "live"]
"""``observe`` records opportunities only; ``simulate`` also ``eth_call``s each
through the arbitrage contract at the opportunity's block; ``live`` sends it
as one transaction through the contract."""

ExecutionOutcome = Literal[
    "observed", "simulated", "sent", "executed", "reverted", "skipped", "stale"
]
"""``sent`` a transaction is in flight (its final outcome follows as another
`Execution`); ``executed`` it was mined and ``realised_profit`` is what the
account gained; ``reverted`` it was mined and reverted; ``skipped`` not
simulated or sent (too old, the simulation reverted, the node refused it:
``reason`` says); ``stale`` its block was reorged away."""

Limit = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class Execution(msgspec.Struct, frozen=True, kw_only=True):
    """What the executor did with one opportunity, at Unix time ``at``.

    ``simulated_profit`` is the contract's answer to the simulation (None
    when none ran or it reverted); ``realised_profit`` the change of the
    account's start-token balance by the mined transaction (from its
    receipt's ``Transfer`` logs).
    """

    opportunity_id: str
    block: int
    mode: ExecutorMode
    outcome: ExecutionOutcome
    start_token: str
    amount_in: int
    expected_profit: int
    simulated_profit: int | None = None
    realised_profit: int | None = None
    tx_hash: str | None = None
    reason: str | None = None
    at: float


class GetExecutions(msgspec.Struct, frozen=True, tag=True):
    """Asks the executor for its newest ``limit`` `Execution` records, newest first."""

    limit: Limit = 50


class GetExecutorStatus(msgspec.Struct, frozen=True, tag=True):
    """Asks the executor for its `ExecutorStatus`."""


class ExecutorStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The executor's mode and settings, the head it knows, and its outcomes so far.

    ``outcomes`` counts `Execution` records by outcome; ``realised_profit``
    sums the ``realised_profit`` of the ``executed`` ones, per start token
    (raw units of that token).
    """

    mode: ExecutorMode
    account: str
    contract: str
    max_age_blocks: int
    min_profit: int
    head_block: int | None
    in_flight: int
    outcomes: dict[str, int]
    realised_profit: dict[str, int] = {}
