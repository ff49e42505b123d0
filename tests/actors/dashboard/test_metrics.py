"""``/metrics``: Prometheus text that a Prometheus parser reads, histograms in seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from prometheus_client.parser import text_string_to_metric_families

from actors.dashboard._metrics import _histogram, render_metrics
from actors.executor import MODES
from messages.bank import ActivityTotals
from messages.control import Ping
from runtime._histogram import Histogram, bucket_of, bucket_upper
from tests.actors.dashboard.conftest import BIG, TOKEN_A

if TYPE_CHECKING:
    from prometheus_client.samples import Sample

    from tests.actors.dashboard.conftest import Running

pytestmark = pytest.mark.timeout(30)


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    samples: list[Sample] = [
        sample for family in text_string_to_metric_families(text) for sample in family.samples
    ]
    return {(s.name, frozenset(s.labels.items())): s.value for s in samples}


def at(path: str) -> frozenset[tuple[str, str]]:
    return frozenset({("path", path)})


async def scrape(running: Running) -> tuple[str, str]:
    async with running.session.get(running.url + "/metrics") as response:
        assert response.status == 200
        return response.headers["Content-Type"], await response.text()


async def test_every_actor_has_its_gauges_and_counters_labelled_by_path(running: Running) -> None:
    content_type, text = await scrape(running)

    assert content_type.startswith("text/plain; version=0.0.4")
    metrics = parse(text)
    for snapshot in running.system.snapshot():
        for name in ("mailbox_depth", "mailbox_capacity", "running", "paused"):
            assert (f"arbiter_actor_{name}", at(snapshot.path)) in metrics
        for name in ("received", "handled", "failed", "dropped", "restarts"):
            assert metrics[f"arbiter_actor_{name}_total", at(snapshot.path)] >= 0
    assert metrics["arbiter_actor_mailbox_capacity", at("/app/worker")] == 1000
    assert metrics["arbiter_actor_running", at("/app/worker")] == 1


async def test_restarts_and_handled_messages_are_counted(running: Running) -> None:
    worker = running.system.lookup("/app/worker")
    assert worker is not None
    for _ in range(3):
        await worker.ask(Ping())
    await worker.restart()

    metrics = parse((await scrape(running))[1])

    assert metrics["arbiter_actor_restarts_total", at("/app/worker")] == 1
    assert metrics["arbiter_actor_handled_total", at("/app/worker")] == 3


async def test_handling_times_are_histograms_in_seconds(running: Running) -> None:
    worker = running.system.lookup("/app/worker")
    assert worker is not None
    for _ in range(200):
        await worker.ask(Ping())

    metrics = parse((await scrape(running))[1])

    buckets = sorted(
        (float(dict(labels)["le"]), value)
        for (name, labels), value in metrics.items()
        if name == "arbiter_actor_handle_time_seconds_bucket" and ("path", "/app/worker") in labels
    )
    count = metrics["arbiter_actor_handle_time_seconds_count", at("/app/worker")]
    assert count > 0
    assert buckets[-1] == (float("inf"), count)
    assert [value for _, value in buckets] == sorted(value for _, value in buckets)
    assert all(0 < le < 1 for le, _ in buckets[:-1])
    total = metrics["arbiter_actor_handle_time_seconds_sum", at("/app/worker")]
    assert 0 < total < count


async def test_chain_activity_and_process_families_are_there(running: Running) -> None:
    metrics = parse((await scrape(running))[1])
    devnet = frozenset({("chain", "devnet")})

    assert metrics["arbiter_chain_head_block", devnet] == 120
    assert metrics["arbiter_chain_lag_blocks", devnet] == 0
    assert metrics["arbiter_chain_reorgs_total", devnet] == 2
    assert metrics["arbiter_chain_connected", devnet] == 1
    assert metrics["arbiter_opportunities_total", frozenset()] == 5
    for status, count in {"mined": 3, "failed": 1, "pending": 0, "dropped": 0}.items():
        assert metrics["arbiter_txs_total", frozenset({("status", status)})] == count
    assert metrics["arbiter_process_resident_memory_bytes", frozenset()] > 0
    assert metrics["arbiter_loop_lag_max_seconds", frozenset()] >= 0
    assert ("arbiter_dead_letters_total", frozenset()) in metrics


async def test_analytics_and_executor_families_are_there(running: Running) -> None:
    metrics = parse((await scrape(running))[1])
    dex = frozenset({("dex", "uniswap_v2_a")})

    assert metrics["arbiter_analytics_blocks_evaluated_total", frozenset()] == 40
    assert metrics["arbiter_analytics_evaluation_seconds", frozenset()] == pytest.approx(85e-6)
    assert metrics["arbiter_analytics_spread_bps", dex] == 125
    assert metrics["arbiter_analytics_opportunities_per_hour", dex] == 7
    modes = {m: metrics["arbiter_executor_mode", frozenset({("mode", m)})] for m in MODES}
    assert modes == {"observe": 0, "simulate": 0, "live": 1}
    assert metrics["arbiter_executor_outcomes_total", frozenset({("outcome", "executed")})] == 4
    assert metrics["arbiter_executor_outcomes_total", frozenset({("outcome", "reverted")})] == 0
    assert metrics["arbiter_executor_in_flight", frozenset()] == 1
    profit = metrics["arbiter_executor_realised_profit", frozenset({("token", TOKEN_A)})]
    assert profit == BIG


def test_histogram_buckets_are_the_kernels_upper_bounds_in_seconds() -> None:
    histogram = Histogram()
    for nanoseconds in (1000, 1000, 5000):
        histogram.record(nanoseconds)
    lines: list[str] = []

    _histogram(lines, "h", '/a"b', histogram)

    upper_1us, upper_5us = (bucket_upper(bucket_of(ns)) for ns in (1000, 5000))
    assert lines[:3] == [
        f'h_bucket{{path="/a\\"b",le="{upper_1us / 1e9:.9g}"}} 2',
        f'h_bucket{{path="/a\\"b",le="{upper_5us / 1e9:.9g}"}} 3',
        'h_bucket{path="/a\\"b",le="+Inf"} 3',
    ]
    assert float(lines[3].rsplit(" ", 1)[1]) == pytest.approx(7e-6, rel=0.2)
    assert lines[4] == 'h_count{path="/a\\"b"} 3'
    parsed = parse("# TYPE h histogram\n" + "\n".join(lines) + "\n")
    assert parsed["h_count", frozenset({("path", '/a"b')})] == 3


def test_an_empty_histogram_has_only_its_inf_bucket() -> None:
    lines: list[str] = []

    _histogram(lines, "h", "/x", None)

    assert lines == [
        'h_bucket{path="/x",le="+Inf"} 0',
        'h_sum{path="/x"} 0',
        'h_count{path="/x"} 0',
    ]


def test_without_a_bank_every_transaction_status_is_zero() -> None:
    text = render_metrics(
        entries=[], chains=[], totals=ActivityTotals(), dead_letters_total=0, process={}, loop=None
    )

    metrics = parse(text)
    assert metrics["arbiter_opportunities_total", frozenset()] == 0
    for status in ("pending", "mined", "failed", "replaced", "dropped"):
        assert metrics["arbiter_txs_total", frozenset({("status", status)})] == 0
