"""Queries the dashboard asks the memory bank: recent opportunities, transactions, totals.

The bank (``/app/bank``) answers them; until it exists nobody does, and the
dashboard shows empty lists and zero totals.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["ActivityTotals", "QueryOpportunities", "QueryTotals", "QueryTxs"]

Limit = Annotated[int, msgspec.Meta(ge=1, le=1000)]


class QueryOpportunities(msgspec.Struct, frozen=True, tag=True):
    """Asks for the newest ``limit`` opportunities, newest first.

    The reply is a list of records (msgspec Structs or dicts) with the
    fields of ``GET /api/opportunities``.
    """

    limit: Limit = 50


class QueryTxs(msgspec.Struct, frozen=True, tag=True):
    """Asks for the newest ``limit`` transactions, newest first.

    The reply is a list of records (msgspec Structs or dicts) with the
    fields of ``GET /api/txs``.
    """

    limit: Limit = 50


class QueryTotals(msgspec.Struct, frozen=True, tag=True):
    """Asks for `ActivityTotals`, the counters behind ``/metrics``."""


class ActivityTotals(msgspec.Struct, frozen=True, kw_only=True):
    """Opportunities recorded, and transactions by status (``pending``, ``mined``, ...)."""

    opportunities_total: int = 0
    txs_total: dict[str, int] = msgspec.field(default_factory=dict)
