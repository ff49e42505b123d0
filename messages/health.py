"""Health snapshots: what the kernel reports about each actor."""

from __future__ import annotations

import msgspec

__all__ = ["ActorSnapshot", "GetDashboardUrl", "GetLoopStats", "LoopStats"]


class ActorSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """One actor's health, with the fields of ``GET /api/actors``.

    Latency figures are microseconds, None until the first sample.
    """

    path: str
    actor: str
    state: str
    supervisor: str | None
    paused: bool
    mailbox_depth: int
    mailbox_capacity: int
    mailbox_high_water: int
    mailbox_policy: str
    received_total: int
    handled_total: int
    failed_total: int
    rejected_total: int
    dropped_total: int
    restarts_total: int
    last_error: str | None
    uptime_s: float
    handle_time_p50_us: float | None
    handle_time_p99_us: float | None
    mailbox_wait_p50_us: float | None
    mailbox_wait_p99_us: float | None
    children: list[str]


class GetLoopStats(msgspec.Struct, frozen=True, tag=True):
    """Asks the loop monitor for `LoopStats`."""


class LoopStats(msgspec.Struct, frozen=True, kw_only=True):
    """Event-loop lag: how late the monitor's ticks ran, in milliseconds."""

    samples: int
    lag_p50_ms: float | None
    lag_p99_ms: float | None
    lag_max_ms: float
    lag_last_ms: float


class GetDashboardUrl(msgspec.Struct, frozen=True, tag=True):
    """Asks the dashboard for the URL it serves on (``http://127.0.0.1:8700/``)."""
