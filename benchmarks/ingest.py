"""The ingest benchmark: pool logs from raw JSON-RPC frames to pool states, arbiter against web3.py.

Run it with ``arbiter bench ingest --json`` or ``python -m benchmarks.ingest --json``.

The logs are what a node sends for Uniswap pools: ``eth_subscription`` frames of
V2 ``Sync`` (two in three) and V3 ``Swap`` logs over 200 pools, their data and
topics encoded with eth_abi from realistic reserves, prices, ticks and amounts.

Cases, each contender measured side by side in the same run, in interleaved
trials whose median is reported (logs per second):

- ``frame_to_state``: a frame's bytes in, the pool's new state in a dict out.
  arbiter: `actors.chain.decode_log_notification` (msgspec) + `decode_event` + `apply_event`.
  web3.py: ``json.loads`` + ``contract.events.<Event>().process_log`` (the event
  object built once per kind, outside the timing) + the same state structs.
- ``event_only``: the event decoding alone, from a parsed log:
  arbiter's `decode_event(topics, data)` against web3.py's ``process_log(dict)``.
- ``frame_only``: arbiter's frame decoding alone (`decode_log_notification`).

Benchmarks report; they do not assert. ``targets`` says which of the ingest
goals the figures meet.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import random
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_abi.abi import encode
from web3 import Web3

from actors.chain import decode_log_notification
from actors.dex import (
    SYNC_TOPIC,
    V3_SWAP_TOPIC,
    apply_event,
    decode_event,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from benchmarks.runtime import machine, rates, rotated, say, target
from messages.market import PoolState, V2State, V3State

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["main", "run"]

TRIALS = 7
POOLS = 200
LOGS = 20_000
WEB3_LOGS = 2_000
SEED = 20240601
V3_SHARE = 1 / 3
TARGET_LOGS_PER_S = 200_000
TARGET_RATIO = 30.0

ABI_ROOT = Path(__file__).resolve().parent.parent / "ops/devnet/node_modules/@uniswap"
PAIR_ABI = ABI_ROOT / "v2-core/build/UniswapV2Pair.json"
POOL_ABI = ABI_ROOT / "v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json"

CONTENDERS = {
    "arbiter": "decode_log_notification + decode_event + apply_event (msgspec, bytes.fromhex)",
    "web3": "json.loads + contract.events.Sync()/Swap().process_log + the same state structs",
}


# -- the logs ------------------------------------------------------------------


def word(kind: str, value: Any) -> str:
    return "0x" + encode([kind], [value]).hex()


def address(rng: random.Random) -> str:
    return "0x" + rng.randbytes(20).hex()


def sync_log(rng: random.Random, pool: str) -> dict[str, Any]:
    reserve0 = rng.randrange(10**18, 10**26)
    reserve1 = reserve0 * rng.randrange(1, 4_000) // rng.randrange(1, 4_000)
    data = "0x" + encode(["uint112", "uint112"], [reserve0, reserve1]).hex()
    return {"address": pool, "topics": [SYNC_TOPIC], "data": data}


def v3_swap_log(rng: random.Random, pool: str) -> dict[str, Any]:
    sqrt_price = get_sqrt_ratio_at_tick(rng.randrange(-250_000, 250_000)) + rng.randrange(10**9)
    amount0 = rng.randrange(10**15, 10**22)
    amount1 = -rng.randrange(10**6, 10**12)
    if rng.random() < 0.5:
        amount0, amount1 = -amount0, -amount1
    values = [amount0, amount1, sqrt_price, rng.randrange(10**15, 10**24)]
    data = (
        "0x"
        + encode(
            ["int256", "int256", "uint160", "uint128", "int24"],
            [*values, get_tick_at_sqrt_ratio(sqrt_price)],
        ).hex()
    )
    sender = word("address", address(rng))
    recipient = word("address", address(rng))
    return {"address": pool, "topics": [V3_SWAP_TOPIC, sender, recipient], "data": data}


def frames(count: int, seed: int = SEED) -> list[bytes]:
    """``count`` logs notifications, as a node sends them, in block order."""
    rng = random.Random(seed)
    v2_pools = [address(rng) for _ in range(POOLS - int(POOLS * V3_SHARE))]
    v3_pools = [address(rng) for _ in range(int(POOLS * V3_SHARE))]
    subscription = "0x" + rng.randbytes(16).hex()
    result: list[bytes] = []
    block, log_index = 19_000_000, 0
    block_hash, tx_hash = word("uint256", 1), word("uint256", 2)
    for _ in range(count):
        if rng.random() < V3_SHARE:
            log = v3_swap_log(rng, rng.choice(v3_pools))
        else:
            log = sync_log(rng, rng.choice(v2_pools))
        if rng.random() < 0.02:
            block, log_index = block + 1, 0
            block_hash = "0x" + rng.randbytes(32).hex()
        if log_index % 3 == 0:
            tx_hash = "0x" + rng.randbytes(32).hex()
        log |= {
            "blockNumber": hex(block),
            "blockHash": block_hash,
            "transactionHash": tx_hash,
            "transactionIndex": hex(log_index // 3),
            "logIndex": hex(log_index),
            "removed": False,
        }
        log_index += 1
        notification = {
            "jsonrpc": "2.0",
            "method": "eth_subscription",
            "params": {"subscription": subscription, "result": log},
        }
        result.append(json.dumps(notification, separators=(",", ":")).encode())
    return result


# -- the contenders ------------------------------------------------------------


def arbiter_frame_to_state(batch: list[bytes]) -> dict[str, PoolState | None]:
    states: dict[str, PoolState | None] = {}
    for frame in batch:
        log = decode_log_notification(frame)
        event = decode_event(log.topics, log.data)
        if event is not None:
            states[log.address] = apply_event(states.get(log.address), event)
    return states


def web3_events() -> dict[str, Any]:
    """The web3.py event objects that decode each topic, built once (not timed)."""
    w3 = Web3()
    pair = w3.eth.contract(abi=json.loads(PAIR_ABI.read_text(encoding="utf-8"))["abi"])
    pool = w3.eth.contract(abi=json.loads(POOL_ABI.read_text(encoding="utf-8"))["abi"])
    return {SYNC_TOPIC: pair.events.Sync(), V3_SWAP_TOPIC: pool.events.Swap()}


def web3_frame_to_state(batch: list[bytes], events: dict[str, Any]) -> dict[str, PoolState | None]:
    states: dict[str, PoolState | None] = {}
    for frame in batch:
        raw = json.loads(frame)["params"]["result"]
        decoded = events[raw["topics"][0]].process_log(raw)
        args = decoded["args"]
        if decoded["event"] == "Sync":
            state: PoolState = V2State(reserve0=args["reserve0"], reserve1=args["reserve1"])
        else:
            state = V3State(
                sqrt_price_x96=args["sqrtPriceX96"], liquidity=args["liquidity"], tick=args["tick"]
            )
        states[raw["address"]] = state
    return states


def timed(work: Callable[[], object], count: int) -> float:
    """Logs per second of one run of ``work`` over ``count`` logs."""
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


# -- the cases -----------------------------------------------------------------


def check_agreement(batch: list[bytes], events: dict[str, Any]) -> None:
    """Both contenders must end with the same states, or the race means nothing."""
    ours = arbiter_frame_to_state(batch)
    theirs = web3_frame_to_state(batch, events)
    if ours != theirs:
        raise SystemExit("arbiter and web3.py disagree on the pool states")


type Contenders = dict[str, tuple[Callable[[], object], int]]


def contenders() -> Contenders:
    """Each ``case/contender``: its work over the frames, and how many logs that is."""
    batch = frames(LOGS)
    web3_batch = batch[:WEB3_LOGS]
    parsed = [json.loads(frame)["params"]["result"] for frame in batch]
    web3_parsed = parsed[:WEB3_LOGS]
    events = web3_events()
    check_agreement(web3_batch, events)

    def arbiter_event_only() -> None:
        for log in parsed:
            decode_event(log["topics"], log["data"])

    def web3_event_only() -> None:
        for log in web3_parsed:
            events[log["topics"][0]].process_log(log)

    def arbiter_frame_only() -> None:
        for frame in batch:
            decode_log_notification(frame)

    return {
        "frame_to_state/arbiter": (lambda: arbiter_frame_to_state(batch), LOGS),
        "frame_to_state/web3": (lambda: web3_frame_to_state(web3_batch, events), WEB3_LOGS),
        "event_only/arbiter": (arbiter_event_only, LOGS),
        "event_only/web3": (web3_event_only, WEB3_LOGS),
        "frame_only/arbiter": (arbiter_frame_only, LOGS),
    }


def run_cases() -> dict[str, Any]:
    work = contenders()
    for run_once, count in work.values():
        timed(run_once, count)
    trials: dict[str, list[float]] = {name: [] for name in work}
    for trial in range(TRIALS):
        for name in rotated(list(work), trial):
            run_once, count = work[name]
            trials[name].append(timed(run_once, count))
    cases: dict[str, Any] = {}
    for name, figures in trials.items():
        case, contender = name.split("/")
        cases.setdefault(case, {})[contender] = rates(figures)
    for case in ("frame_to_state", "event_only"):
        figures = cases[case]
        figures["ratio"] = round(figures["arbiter"]["median"] / figures["web3"]["median"], 1)
    return cases


def targets(cases: dict[str, Any]) -> dict[str, Any]:
    ours = cases["frame_to_state"]["arbiter"]["median"]
    ratio = cases["frame_to_state"]["ratio"]
    return {
        "frame_to_state_logs_per_s": target(ours, TARGET_LOGS_PER_S, ours >= TARGET_LOGS_PER_S),
        "frame_to_state_vs_web3": target(ratio, TARGET_RATIO, ratio >= TARGET_RATIO),
    }


def run(json_output: bool) -> dict[str, Any]:
    """Run every case, print what it finds, and return (and with ``json_output`` print) it all."""
    started = time.perf_counter()
    say(f"arbiter ingest benchmark: Python {platform.python_version()}")
    say(
        f"{LOGS:,} log frames over {POOLS} pools (arbiter), the first {WEB3_LOGS:,} (web3.py), "
        f"{TRIALS} interleaved trials"
    )
    cases = run_cases()
    result: dict[str, Any] = {
        "benchmark": "ingest",
        "python": platform.python_version(),
        "machine": machine()
        | {package: importlib.metadata.version(package) for package in ("web3", "eth-abi")},
        "contenders": CONTENDERS,
        "logs": {
            "arbiter": LOGS,
            "web3": WEB3_LOGS,
            "pools": POOLS,
            "v3_share": round(V3_SHARE, 3),
        },
        "cases": cases,
        "targets": targets(cases),
        "seconds": round(time.perf_counter() - started, 1),
    }
    say_summary(result)
    if json_output:
        print(json.dumps(result), flush=True)
    return result


def say_summary(result: dict[str, Any]) -> None:
    say("summary (medians, logs/s)")
    for case, figures in result["cases"].items():
        line = "  ".join(
            f"{name} {figure['median']:,}" for name, figure in figures.items() if name != "ratio"
        )
        ratio = f"  ({figures['ratio']}x)" if "ratio" in figures else ""
        say(f"  {case:15} {line}{ratio}")
    for name, verdict in result["targets"].items():
        state = "met" if verdict["met"] else "MISSED"
        say(f"  target {name}: {state} ({verdict['value']:,} vs {verdict['threshold']:,})")
    say(f"done in {result['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.ingest [--json]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="benchmarks.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    run(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
