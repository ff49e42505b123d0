"""Nothing acknowledged is lost when the process writing through the bank is SIGKILLed."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actors.bank import Store

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[3]
RUNS = 20
BUDGET_S = 60.0


def kill_writer(path: Path, run: int, after: int) -> set[str]:
    """Start a writer, SIGKILL it once ``after`` writes are acknowledged; return every acked id."""
    with subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tests.actors.bank.crash_writer", str(path), str(run)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as writer:
        assert writer.stdout is not None
        try:
            assert writer.stdout.readline() == "ready\n"
            acked = {writer.stdout.readline().strip() for _ in range(after)}
        finally:
            os.kill(writer.pid, signal.SIGKILL)
        # What it printed before it died was acknowledged too; a torn last line was not.
        rest = writer.stdout.read()
        writer.wait()
    acked |= {line for line in rest.split("\n")[:-1] if line}
    acked.discard("")
    return acked


def recorded_ids(path: Path) -> set[str]:
    store = Store.open(path)  # the database opens, at the current schema
    store.close()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {identifier for (identifier,) in connection.execute("SELECT id FROM opportunities")}
    finally:
        connection.close()


def test_every_acknowledged_write_survives_a_sigkill_at_a_random_moment(db_path: Path) -> None:
    rng = random.Random(20_240_607)
    deadline = time.monotonic() + BUDGET_S
    acked: set[str] = set()
    for run in range(RUNS):
        assert time.monotonic() < deadline, f"only {run} of {RUNS} runs within {BUDGET_S} s"
        acked |= kill_writer(db_path, run, after=rng.randint(0, 400))
        missing = acked - recorded_ids(db_path)
        assert not missing, f"run {run}: {len(missing)} acknowledged writes lost: {min(missing)}.."
    assert len(acked) > RUNS * 50
