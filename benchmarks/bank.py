"""The bank benchmark: acknowledged writes with group commit against one transaction per write.

Run it with ``arbiter bench bank --json`` or ``python -m benchmarks.bank --json``.

Every case runs the `Bank` actor in an `ActorSystem` on uvloop (the runtime's
loop), on a fresh SQLite file in a temporary directory (``--dir`` to choose
the disk), with ``synchronous=full`` unless the case says otherwise. Writers
are ``WRITERS`` concurrent coroutines, each awaiting `write_durably` of one
opportunity (one row) after the other. Cases, in interleaved trials whose
median is reported:

- ``group_commit``: the default batching (``batch_rows`` 500, ``batch_interval``
  1 ms): acknowledged rows per second, acknowledgement latency (ask to
  commit, p50 and p99), and the event loop's lag meanwhile (a callback
  scheduled every millisecond: how late it ran, p50, p99 and max).
- ``group_commit_100``, ``group_commit_1000``: the same with 100 and 1,000
  writers: a writer waits for each commit, so how many write at once bounds
  the batches.
- ``one_per_write``: the same with ``batch_rows=1``: one transaction per write.
- ``group_commit_normal``: group commit with ``synchronous=normal``.
- ``group_commit_pools``: group commit of `RecordPoolStates` of ``POOLS_PER_WRITE``
  pools each (a watcher's block), 100 writers: rows per second, rows being
  pool states.
- ``told``: rows per second of writes published on the event stream (not
  acknowledged), committed by the bank in its batches.

Benchmarks report; they do not assert. ``targets`` says which of the bank's
goals the figures meet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from actors.bank import BANK_MAILBOX, Bank, BankSettings, write_durably
from benchmarks.runtime import machine, rates, rotated, say, target
from messages.bank import (
    GetBankHealth,
    Hop,
    Opportunity,
    PoolRecord,
    RecordOpportunity,
    RecordPoolStates,
)
from messages.market import Pool, V2State
from runtime import ActorSystem
from runtime.loop import run as run_on_uvloop

__all__ = ["main", "run"]

TRIALS = 3
WRITERS = 300
ACKED_ROWS = 100_000
ONE_PER_WRITE_ROWS = 3_000
POOLS_PER_WRITE = 20
TOLD_ROWS = 200_000
PROBE_INTERVAL = 0.001
TARGET_ROWS_PER_S = 50_000
TARGET_ACK_P99_MS = 20.0
TARGET_LAG_P99_MS = 5.0

_HOP = [Hop(pool="0x" + "aa" * 20, token_in="0x" + "01" * 20, token_out="0x" + "02" * 20)]


def opportunity(identifier: str) -> RecordOpportunity:
    return RecordOpportunity(
        opportunity=Opportunity(
            id=identifier,
            block=1,
            path=_HOP,
            amount_in=10**21,
            amount_out=10**21 + 12345,
            expected_profit_wei=10**15,
            gas_cost_wei=10**14,
            detected_at=time.time(),
            latency_us=420,
        )
    )


def pool_states(writer: int, block: int) -> RecordPoolStates:
    """Writer ``writer``'s DEX after ``block``: ``POOLS_PER_WRITE`` pools' reserves."""
    dex = f"dex{writer}"
    return RecordPoolStates(
        chain="bench",
        dex=dex,
        block_number=block,
        block_hash=f"0x{block:064x}",
        states=[
            PoolRecord(
                pool=Pool(
                    address=f"0x{writer:020x}{p:020x}",
                    dex=dex,
                    kind="uniswap_v2",
                    token0="0x" + "01" * 20,
                    token1="0x" + "02" * 20,
                    fee=3000,
                ),
                state=V2State(reserve0=10**24 + block, reserve1=10**22 + p),
            )
            for p in range(POOLS_PER_WRITE)
        ],
        complete=block == 0,
    )


class LagProbe:
    """How late a callback scheduled every ``PROBE_INTERVAL`` runs: the loop's lag."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.lags: list[float] = []
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._due = self.loop.time() + PROBE_INTERVAL
        self._handle = self.loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        self.lags.append(max(0.0, self.loop.time() - self._due))
        self.start()

    def stop(self) -> dict[str, float]:
        if self._handle is not None:
            self._handle.cancel()
        lags = sorted(self.lags) or [0.0]
        return {
            "lag_p50_ms": round(percentile(lags, 0.5) * 1000, 3),
            "lag_p99_ms": round(percentile(lags, 0.99) * 1000, 3),
            "lag_max_ms": round(lags[-1] * 1000, 3),
        }


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def acked_writes(
    directory: Path, rows: int, make: Any = None, writers: int = WRITERS, **changes: Any
) -> dict[str, float]:
    """``writers`` writers acknowledging ``rows`` rows in all; the figures of one trial.

    ``make(writer, n)`` is each writer's ``n``-th write (an opportunity by default).
    """
    settings = BankSettings(path=directory / "bank.db", **changes)
    make = make or (lambda writer, n: opportunity(f"{writer}-{n}"))
    latencies: list[float] = []
    async with ActorSystem("bench-bank") as system:
        bank = await system.spawn(partial(Bank, settings), name="bank", mailbox=BANK_MAILBOX)
        rows_per_write = len(getattr(make(0, 0), "states", [None]))
        per_writer = rows // writers // rows_per_write

        async def writer(number: int) -> None:
            for n in range(per_writer):
                started = time.perf_counter()
                await write_durably(bank, make(number, n), timeout=60)
                latencies.append(time.perf_counter() - started)

        probe = LagProbe()
        probe.start()
        started = time.perf_counter()
        await asyncio.gather(*(writer(number) for number in range(writers)))
        elapsed = time.perf_counter() - started
        lag = probe.stop()
        health = await bank.ask(GetBankHealth())
    latencies.sort()
    return {
        "rows_per_s": health.committed_rows_total / elapsed,
        "ack_p50_ms": round(percentile(latencies, 0.5) * 1000, 3),
        "ack_p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "commits": health.commits_total,
        "rows_per_commit": round(health.committed_rows_total / max(1, health.commits_total), 1),
        **lag,
    }


async def told_writes(directory: Path, rows: int) -> dict[str, float]:
    """``rows`` writes published on the event stream, then one acknowledged: rows per second."""
    settings = BankSettings(path=directory / "bank.db")
    async with ActorSystem("bench-bank") as system:
        bank = await system.spawn(partial(Bank, settings), name="bank", mailbox=BANK_MAILBOX)
        events = system.events
        probe = LagProbe()
        probe.start()
        started = time.perf_counter()
        for burst in range(0, rows, 1000):
            for n in range(burst, burst + 1000):
                events.publish(opportunity(str(n)))
            # The mailbox holds 10,000: let the bank take these before the next burst.
            await write_durably(bank, opportunity(f"acked-{burst}"), timeout=60)
        elapsed = time.perf_counter() - started
        lag = probe.stop()
        health = await bank.ask(GetBankHealth())
    return {
        "rows_per_s": health.committed_rows_total / elapsed,
        "dropped": health.dropped_writes_total,
        "rows_per_commit": round(health.committed_rows_total / max(1, health.commits_total), 1),
        **lag,
    }


CASES = {
    "group_commit": lambda d: acked_writes(d, ACKED_ROWS),
    "group_commit_100": lambda d: acked_writes(d, ACKED_ROWS, writers=100),
    "group_commit_1000": lambda d: acked_writes(d, ACKED_ROWS, writers=1000),
    "one_per_write": lambda d: acked_writes(d, ONE_PER_WRITE_ROWS, batch_rows=1),
    "group_commit_normal": lambda d: acked_writes(d, ACKED_ROWS, synchronous="normal"),
    "group_commit_pools": lambda d: acked_writes(d, ACKED_ROWS, pool_states, writers=100),
    "told": lambda d: told_writes(d, TOLD_ROWS),
}


def run_cases(base: Path | None) -> dict[str, Any]:
    trials: dict[str, list[dict[str, float]]] = {name: [] for name in CASES}
    for trial in range(TRIALS):
        for name in rotated(list(CASES), trial):
            with tempfile.TemporaryDirectory(dir=base) as directory:
                figures = run_on_uvloop(CASES[name](Path(directory)))
            trials[name].append(figures)
            say(f"  {name:20} " + "  ".join(f"{k} {v:,.2f}" for k, v in figures.items()))
    cases: dict[str, Any] = {}
    for name, figures in trials.items():
        case: dict[str, Any] = {"rows_per_s": rates([f["rows_per_s"] for f in figures])}
        for key in figures[0]:
            if key != "rows_per_s":
                case[key] = round(statistics.median(f[key] for f in figures), 3)
        cases[name] = case
    batched = cases["group_commit"]["rows_per_s"]["median"]
    single = cases["one_per_write"]["rows_per_s"]["median"]
    cases["group_commit"]["vs_one_per_write"] = round(batched / single, 1)
    return cases


def targets(cases: dict[str, Any]) -> dict[str, Any]:
    group = cases["group_commit"]
    rows = group["rows_per_s"]["median"]
    return {
        "acked_rows_per_s": target(rows, TARGET_ROWS_PER_S, rows >= TARGET_ROWS_PER_S),
        "ack_p99_ms": target(
            group["ack_p99_ms"], TARGET_ACK_P99_MS, group["ack_p99_ms"] <= TARGET_ACK_P99_MS
        ),
        "loop_lag_p99_ms": target(
            group["lag_p99_ms"], TARGET_LAG_P99_MS, group["lag_p99_ms"] <= TARGET_LAG_P99_MS
        ),
    }


def run(json_output: bool, base: Path | None = None) -> dict[str, Any]:
    """Run every case, print what it finds, and return (and with ``json_output`` print) it all."""
    started = time.perf_counter()
    versions = f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    say(f"arbiter bank benchmark: {versions}")
    say(
        f"{WRITERS} writers; {ACKED_ROWS:,} acknowledged rows per trial "
        f"({ONE_PER_WRITE_ROWS:,} one per transaction), {TOLD_ROWS:,} told; {TRIALS} trials"
    )
    cases = run_cases(base)
    result: dict[str, Any] = {
        "benchmark": "bank",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "machine": machine(),
        "directory": str(base or tempfile.gettempdir()),
        "writers": WRITERS,
        "cases": cases,
        "targets": targets(cases),
        "seconds": round(time.perf_counter() - started, 1),
    }
    say("summary (medians)")
    for name, figures in cases.items():
        say(f"  {name:20} {figures['rows_per_s']['median']:,} rows/s")
    for name, verdict in result["targets"].items():
        state = "met" if verdict["met"] else "MISSED"
        say(f"  target {name}: {state} ({verdict['value']:,} vs {verdict['threshold']:,})")
    say(f"done in {result['seconds']} s")
    if json_output:
        print(json.dumps(result), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.bank [--json] [--dir DIR]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="benchmarks.bank", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--dir", type=Path, default=None, help="where the database files go")
    args = parser.parse_args(argv)
    run(args.json, args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
