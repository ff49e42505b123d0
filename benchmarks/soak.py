"""Soak: `arbiter run --devnet` under its swap traffic for SOAK_MINUTES (default 30).

Samples, every SOAK_SAMPLE_S seconds (default 30), the runtime process's
resident memory, open files, threads and asyncio tasks (its /metrics), its
loop lag, the size of everything in its state dir (the SQLite files among
it), and the chain's processed block. After the warm-up (the first fifth of
the run), each figure must stay flat: memory within 10 % (and 16 MiB) of
its level at the end of the warm-up, files, threads and tasks within a
small count. Then SIGTERM: the process must exit 0 within its shutdown
deadline. Prints a table, then one JSON object last; exits 1 if a figure
grew.

    make soak                      # 30 minutes
    SOAK_MINUTES=5 make soak       # what RELIABILITY.md reports
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARBITER = ROOT / ".venv" / "bin" / "arbiter"
SHUTDOWN_DEADLINE_S = 15.0
# Figures that must be flat after the warm-up: (name, absolute slack, relative slack).
FLAT = (
    ("rss_mib", 16.0, 0.10),
    ("open_fds", 8, 0.0),
    ("threads", 2, 0.0),
    ("asyncio_tasks", 8, 0.0),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 - loopback only
        return str(reply.read().decode())


def metric(text: str, name: str) -> float | None:
    found = re.search(rf"^{re.escape(name)} ([0-9.eE+-]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def sample(base: str, state_dir: Path, started: float) -> dict[str, Any]:
    text = get(f"{base}/metrics")
    chains = json.loads(get(f"{base}/api/chain"))
    rss = metric(text, "arbiter_process_resident_memory_bytes") or 0.0
    return {
        "t_s": round(time.monotonic() - started, 1),
        "rss_mib": round(rss / 2**20, 1),
        "open_fds": metric(text, "arbiter_process_open_fds"),
        "threads": metric(text, "arbiter_process_threads"),
        "asyncio_tasks": metric(text, "arbiter_process_asyncio_tasks"),
        "loop_lag_max_ms": round((metric(text, "arbiter_loop_lag_max_seconds") or 0) * 1000, 1),
        "state_dir_kib": round(directory_bytes(state_dir) / 1024, 1),
        "sqlite_kib": round(
            sum(f.stat().st_size for f in state_dir.rglob("*.db*") if f.is_file()) / 1024, 1
        ),
        "processed_block": chains[0]["processed_block"] if chains else None,
    }


def wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"soak: arbiter exited with {process.returncode} while starting")
        try:
            chains = json.loads(get(f"{base}/api/chain", timeout=2))
            if chains and chains[0].get("processed_block") is not None:
                return
        except OSError:
            pass
        time.sleep(0.5)  # polling a child process for readiness, with a deadline
    raise SystemExit("soak: arbiter did not become healthy")


def verdict(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare the level after the warm-up with the highest level after it."""
    warm = max(1, len(samples) // 5)
    after = samples[warm:]
    out: dict[str, Any] = {}
    for name, slack, relative in FLAT:
        values = [s[name] for s in after if s[name] is not None]
        if not values:
            out[name] = {"flat": False, "reason": "not reported"}
            continue
        level = statistics.median(values[: max(1, len(values) // 4)])
        peak = max(values)
        allowed = level + max(slack, level * relative)
        out[name] = {
            "after_warm_up": level,
            "peak": peak,
            "allowed": allowed,
            "flat": peak <= allowed,
        }
    return out


def main() -> int:
    minutes = float(os.environ.get("SOAK_MINUTES", "30"))
    every = float(os.environ.get("SOAK_SAMPLE_S", "30"))
    state_dir = Path(tempfile.mkdtemp(prefix="arbiter-soak-"))
    http_port, devnet_port = free_port(), free_port()
    base = f"http://127.0.0.1:{http_port}"
    log = (state_dir / "soak-stdout.log").open("wb")
    command = [
        str(ARBITER),
        "run",
        "--devnet",
        "--devnet-port",
        str(devnet_port),
        "--http",
        f"127.0.0.1:{http_port}",
        "--state-dir",
        str(state_dir),
    ]
    print(f"soak: {minutes:g} min, a sample every {every:g} s, state dir {state_dir}")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        wait_healthy(base, process)
        started = time.monotonic()
        samples: list[dict[str, Any]] = []
        columns = (
            "t_s",
            "rss_mib",
            "open_fds",
            "threads",
            "asyncio_tasks",
            "loop_lag_max_ms",
            "sqlite_kib",
            "state_dir_kib",
            "processed_block",
        )
        print("  ".join(f"{c:>15}" for c in columns))
        while True:
            samples.append(sample(base, state_dir, started))
            print("  ".join(f"{samples[-1][c]!s:>15}" for c in columns), flush=True)
            if time.monotonic() - started >= minutes * 60:
                break
            time.sleep(every)  # the sampling period of a soak, not a wait for a condition
        stop_started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=SHUTDOWN_DEADLINE_S + 5)
        stop_s = round(time.monotonic() - stop_started, 2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    flat = verdict(samples)
    ok = all(v["flat"] for v in flat.values()) and code == 0 and stop_s <= SHUTDOWN_DEADLINE_S
    report = {
        "minutes": minutes,
        "samples": len(samples),
        "flat": flat,
        "exit_code": code,
        "sigterm_to_exit_s": stop_s,
        "first": samples[0],
        "last": samples[-1],
        "ok": ok,
    }
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
