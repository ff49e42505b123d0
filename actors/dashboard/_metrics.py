"""``/metrics``: the tree, the chains and the activity in Prometheus text format (0.0.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from messages.chain import ChainStatus
from messages.executor import ExecutionOutcome, ExecutorMode
from runtime._histogram import bucket_lower, bucket_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from actors.dashboard._views import ChainAnswer, Entry
    from messages.analytics import AnalyticsStats
    from messages.bank import ActivityTotals
    from messages.executor import ExecutorStatus
    from messages.health import ActorSnapshot, LoopStats
    from runtime._histogram import Histogram

__all__ = ["CONTENT_TYPE", "TX_STATUSES", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

TX_STATUSES = ("pending", "mined", "failed", "replaced", "dropped")
"""Every transaction status, so each has a series from the first scrape on."""

_ACTOR_GAUGES: list[tuple[str, str, Callable[[ActorSnapshot], float]]] = [
    ("mailbox_depth", "Messages waiting in the actor's mailbox.", lambda s: s.mailbox_depth),
    ("mailbox_capacity", "Capacity of the actor's mailbox.", lambda s: s.mailbox_capacity),
    (
        "mailbox_high_water",
        "Deepest the actor's mailbox has been.",
        lambda s: s.mailbox_high_water,
    ),
    ("running", "1 while the actor is running (paused included).", lambda s: s.state == "running"),
    ("paused", "1 while the actor is paused.", lambda s: s.paused),
    ("uptime_seconds", "Seconds since the actor (re)started.", lambda s: s.uptime_s),
]
_ACTOR_COUNTERS: list[tuple[str, str, Callable[[ActorSnapshot], float]]] = [
    ("received_total", "Messages that reached the actor.", lambda s: s.received_total),
    ("handled_total", "Messages the actor handled.", lambda s: s.handled_total),
    ("failed_total", "Failures of the actor.", lambda s: s.failed_total),
    ("dropped_total", "Messages its mailbox dropped.", lambda s: s.dropped_total),
    ("restarts_total", "Restarts of the actor.", lambda s: s.restarts_total),
]
_CHAIN_GAUGES: list[tuple[str, str, Callable[[ChainStatus], float | None]]] = [
    ("head_block", "The node's latest block.", lambda c: c.head_block),
    ("processed_block", "The last block processed.", lambda c: c.processed_block),
    ("lag_blocks", "Blocks the client is behind its node.", lambda c: c.lag_blocks),
    ("connected", "1 while connected to the node.", lambda c: c.connected),
]
_CHAIN_COUNTERS: list[tuple[str, str, Callable[[ChainStatus], float | None]]] = [
    ("reorgs_total", "Reorgs seen.", lambda c: c.reorgs_total),
    ("reconnects_total", "Reconnections to the node.", lambda c: c.reconnects_total),
    ("malformed_total", "Malformed frames from the node, skipped.", lambda c: c.malformed_total),
]


_ANALYTICS: list[tuple[str, str, str, Callable[[AnalyticsStats], float | None]]] = [
    ("pools", "gauge", "Pools in analytics' price graph.", lambda a: a.pools),
    ("cycles", "gauge", "Arbitrage cycles analytics evaluates.", lambda a: a.cycles),
    (
        "blocks_evaluated_total",
        "counter",
        "Blocks whose changed pools' cycles analytics re-evaluated.",
        lambda a: a.blocks_evaluated,
    ),
    (
        "cycles_evaluated_total",
        "counter",
        "Cycle evaluations made by analytics.",
        lambda a: a.cycles_evaluated_total,
    ),
    (
        "evaluation_seconds",
        "gauge",
        "How long analytics' last block re-evaluation took.",
        lambda a: None if a.last_evaluation_us is None else a.last_evaluation_us / 1e6,
    ),
]


def render_metrics(
    *,
    entries: list[Entry],
    chains: list[ChainAnswer],
    totals: ActivityTotals,
    dead_letters_total: int,
    process: dict[str, float],
    loop: LoopStats | None,
    analytics: AnalyticsStats | None = None,
    executor: ExecutorStatus | None = None,
) -> str:
    """The whole exposition, every family with its ``# HELP`` and ``# TYPE``.

    Histograms are the kernel's latency histograms in seconds: cumulative
    counts at each non-empty bucket's upper bound, then ``+Inf``. The kernel
    keeps counts, not sums, so ``_sum`` is estimated from the buckets'
    midpoints (within the buckets' 19 %).
    """
    lines: list[str] = []
    _actors(lines, entries)
    named = [(answer.chain, answer) for _, answer in chains if isinstance(answer, ChainStatus)]
    for name, text, chain_value in _CHAIN_GAUGES:
        _family(
            lines,
            f"arbiter_chain_{name}",
            "gauge",
            text,
            by="chain",
            items=named,
            value=chain_value,
        )
    for name, text, chain_value in _CHAIN_COUNTERS:
        _family(
            lines,
            f"arbiter_chain_{name}",
            "counter",
            text,
            by="chain",
            items=named,
            value=chain_value,
        )
    by_status = dict.fromkeys(TX_STATUSES, 0) | totals.txs_total
    lines += [
        "# HELP arbiter_opportunities_total Opportunities recorded.",
        "# TYPE arbiter_opportunities_total counter",
        f"arbiter_opportunities_total {totals.opportunities_total}",
        "# HELP arbiter_txs_total Transactions recorded, by status.",
        "# TYPE arbiter_txs_total counter",
        *(f'arbiter_txs_total{{status="{_escape(k)}"}} {n}' for k, n in by_status.items()),
        "# HELP arbiter_dead_letters_total Messages no actor handled.",
        "# TYPE arbiter_dead_letters_total counter",
        f"arbiter_dead_letters_total {dead_letters_total}",
    ]
    for name, value in process.items():
        kind = "counter" if name.endswith("_total") else "gauge"
        family = f"arbiter_process_{name}"
        text = f"The runtime process's {name.replace('_', ' ')}."
        lines += [
            f"# HELP {family} {text}",
            f"# TYPE {family} {kind}",
            f"{family} {_number(value)}",
        ]
    if loop is not None:
        for name, lag_ms in (
            ("p50", loop.lag_p50_ms),
            ("p99", loop.lag_p99_ms),
            ("max", loop.lag_max_ms),
        ):
            family = f"arbiter_loop_lag_{name}_seconds"
            lines += [
                f"# HELP {family} How late the event loop ran the monitor's ticks ({name}).",
                f"# TYPE {family} gauge",
            ]
            if lag_ms is not None:
                lines.append(f"{family} {lag_ms / 1000!r}")
    _analytics(lines, analytics)
    _executor(lines, executor)
    return "\n".join(lines) + "\n"


def _analytics(lines: list[str], analytics: AnalyticsStats | None) -> None:
    """Analytics' own figures, and its rolling window's spread and rate per DEX."""
    for name, kind, text, read in _ANALYTICS:
        family = f"arbiter_analytics_{name}"
        lines += [f"# HELP {family} {text}", f"# TYPE {family} {kind}"]
        number = None if analytics is None else read(analytics)
        if number is not None:
            lines.append(f"{family} {_number(number)}")
    dexes = [] if analytics is None else [(d.dex, d) for d in analytics.dexes]
    _family(
        lines,
        "arbiter_analytics_spread_bps",
        "gauge",
        "Widest spread between a DEX's pool and another pool of its pair (basis points).",
        by="dex",
        items=dexes,
        value=lambda d: d.spread_bps,
    )
    _family(
        lines,
        "arbiter_analytics_opportunities_per_hour",
        "gauge",
        "Opportunities through a DEX over analytics' rolling window, per hour.",
        by="dex",
        items=dexes,
        value=lambda d: d.opportunities_per_hour,
    )


def _executor(lines: list[str], executor: ExecutorStatus | None) -> None:
    """The executor's mode, its outcomes by kind, and its realised profit per start token."""
    modes: list[tuple[str, int]] = []
    outcomes: list[tuple[str, int]] = []
    profits: list[tuple[str, int]] = []
    in_flight: list[tuple[str, int]] = []
    if executor is not None:
        modes = [(mode, int(mode == executor.mode)) for mode in get_args(ExecutorMode)]
        outcomes = [(o, executor.outcomes.get(o, 0)) for o in get_args(ExecutionOutcome)]
        profits = sorted(executor.realised_profit.items())
        in_flight = [("", executor.in_flight)]
    for family, kind, text, by, items in (
        (
            "arbiter_executor_mode",
            "gauge",
            "1 for the executor's current mode, 0 for the other modes.",
            "mode",
            modes,
        ),
        (
            "arbiter_executor_outcomes_total",
            "counter",
            "Opportunities the executor handled, by outcome.",
            "outcome",
            outcomes,
        ),
        (
            "arbiter_executor_realised_profit",
            "gauge",
            "Profit the executor's mined arbitrages realised, in raw units of their start token.",
            "token",
            profits,
        ),
    ):
        _family(lines, family, kind, text, by=by, items=items, value=lambda n: n)
    lines += [
        "# HELP arbiter_executor_in_flight Transactions sent and not yet final.",
        "# TYPE arbiter_executor_in_flight gauge",
        *(f"arbiter_executor_in_flight {n}" for _, n in in_flight),
    ]


def _actors(lines: list[str], entries: list[Entry]) -> None:
    snapshots = [(snapshot.path, snapshot) for _, snapshot in entries]
    for name, text, value in _ACTOR_GAUGES:
        _family(
            lines, f"arbiter_actor_{name}", "gauge", text, by="path", items=snapshots, value=value
        )
    for name, text, value in _ACTOR_COUNTERS:
        _family(
            lines, f"arbiter_actor_{name}", "counter", text, by="path", items=snapshots, value=value
        )
    for name, text, which in (
        ("handle_time_seconds", "Time to handle a message (sampled).", "handle_time"),
        ("mailbox_wait_seconds", "Time from enqueue to handler start (sampled).", "mailbox_wait"),
    ):
        family = f"arbiter_actor_{name}"
        lines += [f"# HELP {family} {text}", f"# TYPE {family} histogram"]
        for cell, _ in entries:
            histogram: Histogram | None = getattr(cell, which)
            _histogram(lines, family, cell.path, histogram)


def _family[T](
    lines: list[str],
    family: str,
    kind: str,
    text: str,
    *,
    by: str,
    items: list[tuple[str, T]],
    value: Callable[[T], float | None],
) -> None:
    lines += [f"# HELP {family} {text}", f"# TYPE {family} {kind}"]
    for key, item in items:
        number = value(item)
        if number is not None:
            lines.append(f'{family}{{{by}="{_escape(key)}"}} {_number(number)}')


def _histogram(lines: list[str], family: str, path: str, histogram: Histogram | None) -> None:
    label = f'path="{_escape(path)}"'
    buckets = histogram.buckets() if histogram is not None else []
    total = 0
    estimated_ns = 0
    previous = 0
    for upper, count in buckets:
        lines.append(f'{family}_bucket{{{label},le="{upper / 1e9:.9g}"}} {count}')
        in_bucket = count - previous
        estimated_ns += in_bucket * (bucket_lower(bucket_of(upper)) + upper) // 2
        previous = total = count
    lines.append(f'{family}_bucket{{{label},le="+Inf"}} {total}')
    lines.append(f"{family}_sum{{{label}}} {estimated_ns / 1e9:.9g}")
    lines.append(f"{family}_count{{{label}}} {total}")


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
