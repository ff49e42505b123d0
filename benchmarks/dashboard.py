"""The dashboard benchmark: what 50 WebSocket viewers cost the runtime, and `/api/actors`'s latency.

Run it with ``arbiter bench dashboard --json`` or ``python -m benchmarks.dashboard --json``.

One process runs the application's tree as ``arbiter run --devnet`` does (on
uvloop): anvil as ``/devnet``, the Uniswap DEXes deployed on it, ``/app``
with the loop monitor, health log, chain client, pool watchers, swap
traffic and the dashboard (port 0, default ``push_interval``), plus a
producer/consumer actor pair doing the kernel's tell workload. Without a
working devnet the same tree runs without chain, watchers and traffic, and
the JSON says so (``devnet_traffic``: false, and why).

Cases, measured side by side in interleaved trials (order rotated per trial):

- ``throughput``: the pair's tell rate (msg/s) with no viewer, with 50
  aiohttp WebSocket clients reading ``/ws`` from another process (as
  browsers do), and with the 50 in this very process (the worst case: their
  reading then runs on the runtime's loop too). The drop is judged with the
  viewers in another process.
- ``api_actors``: with 1,000 idle actors more in the tree, sequential
  ``GET /api/actors`` (ms, p50/p99/max), from a client in this process and
  from one in another process, with no viewer and with 50. The target is
  judged as the issue states it: 50 viewers connected, the client in
  another process.

Benchmarks report; they do not assert. ``targets`` says which of the
dashboard's goals the figures meet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import aiohttp
import msgspec
import uvloop

from actors.dashboard import DashboardSettings
from benchmarks.runtime import (
    BURST,
    MAILBOX_CAPACITY,
    THROUGHPUT,
    Counter,
    Flush,
    Idle,
    Work,
    cpu_seconds_of_others,
    machine,
    on_loop,
    quiet_logging,
    rates,
    rotated,
    say,
    target,
)
from messages.health import GetDashboardUrl
from runtime import Actor, ActorSystem, MailboxConfig, Strategy, Supervisor, SupervisorPolicy
from runtime._context import child_spec
from runtime.app import app_children
from runtime.config import Config, DashboardConfig, load_config

if TYPE_CHECKING:
    from runtime import ActorRef, ChildSpec

__all__ = ["main", "run"]

ROOT = Path(__file__).resolve().parents[1]
VIEWERS = 50
TRIALS = 7
PHASE_SECONDS = 1.5
SETTLE_SECONDS = 2.0
IDLE_ACTORS = 1_000
GET_ROUNDS = 3
GETS_PER_ROUND = 400
GET_WARMUP = 50
TRAFFIC_INTERVAL = 0.25
TRAFFIC_SWAPS_PER_TICK = 1
READY_TIMEOUT = 20.0
FRAMES_TIMEOUT = 10.0
TARGET_DROP = 0.05
TARGET_P99_MS = 10.0

PHASES = {
    "none": "no viewer connected (the dashboard still samples the tree every push interval)",
    "subprocess": f"{VIEWERS} viewers in another process, each reading every frame of /ws",
    "same_process": (
        f"{VIEWERS} viewers in this process, on the runtime's loop: their reading is "
        "charged to the runtime too (worst case)"
    ),
}


# -- the tell workload ---------------------------------------------------------


class Produce(msgspec.Struct, frozen=True):
    seconds: float


class Producer(Actor):
    """Tells the consumer bursts of `BURST` `Work`, each then flushed, for a while.

    Answers `Produce` with (messages told, seconds taken): the tell case of
    `benchmarks.runtime`, driven by an actor rather than by the benchmark.
    """

    def __init__(self, consumer: ActorRef) -> None:
        super().__init__()
        self.consumer = consumer

    async def on_produce(self, message: Produce) -> tuple[int, float]:
        loop = asyncio.get_running_loop()
        tell = self.consumer.tell
        work = Work(1)
        now = time.perf_counter
        start = now()
        deadline = start + message.seconds
        told = 0
        while True:
            for _ in repeat(None, BURST):
                tell(work)
            done = loop.create_future()
            tell(Flush(done))
            await done
            told += BURST
            if now() >= deadline:
                return told, now() - start


# -- viewers and clients (in this process or in a worker process) ------------


class Viewers:
    """WebSocket clients of ``/ws`` that read every frame they are sent, and count them."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.readers: list[asyncio.Task[None]] = []
        self.frames: list[int] = []
        self.bytes = 0
        self.started = 0.0

    async def connect(self, url: str, count: int) -> dict[str, Any]:
        """Open ``count`` viewers; return once each has had its greeting and one push."""
        ws_url = url.replace("http://", "ws://", 1) + "ws"
        self.sockets = list(
            await asyncio.gather(*(self.session.ws_connect(ws_url) for _ in range(count)))
        )
        self.frames = [0] * count
        self.bytes = 0
        self.readers = [
            asyncio.create_task(self._read(index, ws)) for index, ws in enumerate(self.sockets)
        ]
        # The greeting carries no snapshot while nobody watched: wait for a real push.
        deadline = time.monotonic() + FRAMES_TIMEOUT
        while min(self.frames) < 2:
            if time.monotonic() > deadline:
                raise RuntimeError(f"viewers got too few frames: {sorted(self.frames)[:5]}...")
            await asyncio.sleep(0.01)
        self.frames = [0] * count
        self.bytes = 0
        self.started = time.perf_counter()
        return {"connected": count}

    async def _read(self, index: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                self.frames[index] += 1
                self.bytes += len(message.data)

    async def close(self) -> dict[str, Any]:
        """Close every viewer; return what they read since `connect` returned."""
        seconds = time.perf_counter() - self.started
        frames, received = sum(self.frames), self.bytes
        least = min(self.frames, default=0)
        await asyncio.gather(*(ws.close() for ws in self.sockets))
        await asyncio.gather(*self.readers, return_exceptions=True)
        self.sockets, self.readers = [], []
        return {"frames": frames, "bytes": received, "seconds": seconds, "least_frames": least}


async def get_latencies(
    session: aiohttp.ClientSession, url: str, count: int, warmup: int
) -> list[int]:
    """Nanoseconds of ``count`` sequential GETs of ``url`` (body read), after ``warmup``."""
    now = time.perf_counter_ns
    samples = []
    for i in range(warmup + count):
        start = now()
        async with session.get(url) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {url}: {response.status}")
        if i >= warmup:
            samples.append(now() - start)
    return samples


async def serve_worker() -> None:
    """The other process: viewers and a client, steered by JSON lines on stdin."""
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        viewers = Viewers(session)
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command = json.loads(line)
            op = command["op"]
            if op == "connect":
                answer = await viewers.connect(command["url"], command["count"])
            elif op == "close":
                answer = await viewers.close()
            else:
                answer = {
                    "samples": await get_latencies(
                        session, command["url"], command["count"], command["warmup"]
                    )
                }
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()


class Worker:
    """The benchmark's side of a worker process (viewers, or a client of ``/api/actors``)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.dashboard",
            "--worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        return cls(process)

    async def request(self, **command: Any) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(json.dumps(command).encode() + b"\n")
        await stdin.drain()
        line = await stdout.readline()
        if not line:
            raise RuntimeError(f"the worker exited ({await self.process.wait()}) during {command}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5.0)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


# -- the system under test -----------------------------------------------------


@dataclass
class Tree:
    """The running system: its dashboard's URL, the tell pair's producer, and the devnet's state."""

    system: ActorSystem
    url: str
    producer: ActorRef
    devnet: dict[str, Any]


async def start_devnet(system: ActorSystem, state_dir: Path) -> tuple[Config, list[ChildSpec]]:
    """Anvil as ``/devnet``, the DEXes deployed, and the config and traffic that follow them.

    Raises whatever the devnet raises when it cannot run (not installed, anvil
    failing): the caller then measures without it.
    """
    from actors.devnet import (  # noqa: PLC0415 - only when the devnet is wanted
        TRAFFIC_MAILBOX,
        AnvilNode,
        TrafficGenerator,
        arbiter_config,
        deploy,
        free_port,
    )

    port = free_port()
    await system.spawn(partial(AnvilNode, port), name="devnet")
    deployment = await deploy(f"http://127.0.0.1:{port}")
    written = state_dir / "devnet.toml"
    written.write_text(arbiter_config(deployment), encoding="utf-8")
    config = load_config(written, {})
    traffic = child_spec(
        partial(
            TrafficGenerator,
            deployment,
            interval=TRAFFIC_INTERVAL,
            swaps_per_tick=TRAFFIC_SWAPS_PER_TICK,
            seed=1,
        ),
        name="traffic",
        mailbox=TRAFFIC_MAILBOX,
    )
    return config, [traffic]


async def start_tree(system: ActorSystem, state_dir: Path) -> Tree:
    """The app's tree as ``arbiter run --devnet`` starts it, dashboard on port 0, and the pair."""
    devnet: dict[str, Any]
    extra: list[ChildSpec] = []
    try:
        config, extra = await start_devnet(system, state_dir)
        devnet = {"devnet_traffic": True}
    except Exception as exc:
        config = Config()
        devnet = {"devnet_traffic": False, "reason": f"{type(exc).__name__}: {exc}"}
        with contextlib.suppress(Exception):
            devnet_ref = system.lookup("/devnet")
            if devnet_ref is not None:
                await devnet_ref.stop()
    config = msgspec.structs.replace(config, dashboard=DashboardConfig(port=0))
    children = app_children(config, state_dir)
    children[-1:-1] = extra
    policy = SupervisorPolicy(strategy=Strategy.ONE_FOR_ONE, max_restarts=5, within=30.0)
    await system.spawn(partial(Supervisor, children, policy), name="app")
    consumer = await system.spawn(
        Counter,
        name="consumer",
        mailbox=MailboxConfig(capacity=MAILBOX_CAPACITY),
        throughput=THROUGHPUT,
    )
    producer = await system.spawn(partial(Producer, consumer), name="producer")
    dashboard = system.lookup("/app/dashboard")
    assert dashboard is not None
    return Tree(system, str(await dashboard.ask(GetDashboardUrl())), producer, devnet)


async def wait_ready(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """Poll ``/readyz`` until the tree is ready (chain synced, every actor running)."""
    deadline = time.monotonic() + READY_TIMEOUT
    started = time.perf_counter()
    while True:
        async with session.get(url + "readyz") as response:
            body = await response.json()
        if response.status == 200 or time.monotonic() > deadline:
            return {
                "ready": response.status == 200,
                "reasons": body.get("reasons", []),
                "seconds": round(time.perf_counter() - started, 2),
            }
        await asyncio.sleep(0.05)


# -- the cases -----------------------------------------------------------------


class GcWatch:
    """Counts the garbage collector's runs per generation, and their seconds, while entered.

    The collector stays on, as in production: its full collections are part
    of what a request may wait for.
    """

    def __init__(self) -> None:
        self.runs: dict[int, list[float]] = {}
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.runs.setdefault(info["generation"], []).append(time.perf_counter() - self._started)

    def __enter__(self) -> Self:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._callback)

    def figures(self) -> dict[str, Any]:
        return {
            f"gen{generation}": {
                "runs": len(runs),
                "total_ms": round(sum(runs) * 1e3, 1),
                "max_ms": round(max(runs) * 1e3, 1),
            }
            for generation, runs in sorted(self.runs.items())
        }


async def produce(tree: Tree, seconds: float) -> float:
    told, taken = await tree.producer.ask(Produce(seconds), timeout=seconds + 30.0)
    return float(told / taken)


async def case_throughput(
    tree: Tree, session: aiohttp.ClientSession, viewers: Worker
) -> dict[str, Any]:
    local = Viewers(session)
    trials: dict[str, list[float]] = {phase: [] for phase in PHASES}
    reading: dict[str, list[dict[str, Any]]] = {"subprocess": [], "same_process": []}
    await produce(tree, SETTLE_SECONDS)
    for trial in range(TRIALS):
        for phase in rotated(list(PHASES), trial):
            if phase == "subprocess":
                await viewers.request(op="connect", url=tree.url, count=VIEWERS)
            elif phase == "same_process":
                await local.connect(tree.url, VIEWERS)
            rate = await produce(tree, PHASE_SECONDS)
            if phase == "subprocess":
                reading[phase].append(await viewers.request(op="close"))
            elif phase == "same_process":
                reading[phase].append(await local.close())
            trials[phase].append(rate)
            say(f"  tell  {phase:12} {rate:>12,.0f} msg/s  (trial {trial + 1})")
    none = statistics.median(trials["none"])
    out: dict[str, Any] = {
        "unit": "msg/s",
        "viewers": VIEWERS,
        "phase_seconds": PHASE_SECONDS,
        "phases": PHASES,
    }
    for phase, figures in trials.items():
        out[phase] = rates(figures)
        if phase == "none":
            continue
        paired = [1 - w / n for w, n in zip(figures, trials["none"], strict=True)]
        out[phase] |= {
            "drop": round(1 - statistics.median(figures) / none, 4),
            "paired_drop_median": round(statistics.median(paired), 4),
            "pushes": pushes(reading[phase]),
        }
    return out


def pushes(readings: list[dict[str, Any]]) -> dict[str, Any]:
    """What the viewers read: pushes per second each, and the size of a push."""
    frames = sum(r["frames"] for r in readings)
    seconds = sum(r["seconds"] for r in readings)
    return {
        "per_viewer_per_s": round(frames / VIEWERS / seconds, 2),
        "bytes_per_push": round(sum(r["bytes"] for r in readings) / max(frames, 1)),
        "fewest_frames_of_a_viewer_in_a_trial": min(r["least_frames"] for r in readings),
    }


def percentiles_ms(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    last = len(ordered) - 1
    return {
        "p50": round(ordered[round(0.50 * last)] / 1e6, 3),
        "p99": round(ordered[round(0.99 * last)] / 1e6, 3),
        "max": round(ordered[-1] / 1e6, 3),
    }


async def case_api_actors(
    tree: Tree, session: aiohttp.ClientSession, viewers: Worker, client: Worker
) -> dict[str, Any]:
    spawn = tree.system.spawn
    for i in range(IDLE_ACTORS):
        await spawn(Idle, name=f"idle-{i:04}")
    url = tree.url + "api/actors"
    async with session.get(url) as response:
        body = await response.read()
    actors = len(json.loads(body))
    say(f"  {actors:,} actors in the tree, /api/actors is {len(body):,} bytes")
    variants = [
        f"{where}/{count}_viewers"
        for count in (0, VIEWERS)
        for where in ("same_process", "subprocess")
    ]
    samples: dict[str, list[int]] = {variant: [] for variant in variants}
    rounds: dict[str, list[dict[str, float]]] = {variant: [] for variant in variants}
    for trial in range(GET_ROUNDS):
        for variant in rotated(variants, trial):
            where, _, watched = variant.partition("/")
            if watched != "0_viewers":
                await viewers.request(op="connect", url=tree.url, count=VIEWERS)
            if where == "same_process":
                got = await get_latencies(session, url, GETS_PER_ROUND, GET_WARMUP)
            else:
                answer = await client.request(
                    op="get", url=url, count=GETS_PER_ROUND, warmup=GET_WARMUP
                )
                got = answer["samples"]
            if watched != "0_viewers":
                await viewers.request(op="close")
            samples[variant] += got
            rounds[variant].append(percentiles_ms(got))
            figures = rounds[variant][-1]
            say(
                f"  GET /api/actors  {variant:26} p50 {figures['p50']:6.2f} ms  "
                f"p99 {figures['p99']:6.2f} ms  max {figures['max']:6.2f} ms  (round {trial + 1})"
            )
    return {
        "unit": "ms",
        "actors": actors,
        "response_bytes": len(body),
        "gets_per_variant": GET_ROUNDS * GETS_PER_ROUND,
        "clients": {
            "same_process": "aiohttp in the runtime's process, on its loop",
            "subprocess": "aiohttp in a process of its own (the viewers are in a third one)",
        },
        **{
            variant: {**percentiles_ms(samples[variant]), "rounds": rounds[variant]}
            for variant in variants
        },
    }


async def devnet_figures(tree: Tree, session: aiohttp.ClientSession) -> dict[str, Any]:
    """What the devnet did while measured: swaps sent, the chain's head."""
    if not tree.devnet["devnet_traffic"]:
        return tree.devnet
    from actors.devnet import GetTrafficStats  # noqa: PLC0415

    traffic = tree.system.lookup("/app/traffic")
    assert traffic is not None
    stats = await traffic.ask(GetTrafficStats())
    async with session.get(tree.url + "api/chain") as response:
        chains = await response.json()
    return tree.devnet | {
        "traffic": msgspec.structs.asdict(stats),
        "chain": [
            {key: chain[key] for key in ("path", "head_block", "lag_blocks", "connected")}
            for chain in chains
        ],
    }


async def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="arbiter-bench-") as state:
        async with ActorSystem("bench") as system, aiohttp.ClientSession() as session:
            viewers, client = await Worker.start(), await Worker.start()
            try:
                started = time.perf_counter()
                tree = await start_tree(system, Path(state))
                ready = await wait_ready(session, tree.url)
                say(
                    f"  tree up in {time.perf_counter() - started:.2f} s, "
                    f"{len(system.snapshot())} actors, devnet traffic: "
                    f"{tree.devnet['devnet_traffic']}, ready: {ready['ready']}"
                )
                if not tree.devnet["devnet_traffic"]:
                    say(f"  note: measured WITHOUT devnet traffic: {tree.devnet['reason']}")
                actors_before = len(system.snapshot())
                say(
                    f"throughput: {TRIALS} interleaved trials of {PHASE_SECONDS} s per phase "
                    f"({', '.join(PHASES)})"
                )
                with GcWatch() as collections:
                    throughput = await case_throughput(tree, session, viewers)
                throughput["gc"] = collections.figures()
                say(f"/api/actors: {IDLE_ACTORS:,} idle actors more, {GET_ROUNDS} rounds")
                with GcWatch() as collections:
                    api_actors = await case_api_actors(tree, session, viewers, client)
                api_actors["gc"] = collections.figures()
                devnet = await devnet_figures(tree, session)
                dashboard = next(s for s in system.snapshot() if s.path == "/app/dashboard")
            finally:
                await viewers.stop()
                await client.stop()
    return {
        "setup": {
            "loop": "uvloop",
            **devnet,
            "ready": ready,
            "actors_in_tree": actors_before,
            "push_interval_s": DashboardSettings().push_interval,
            "traffic_settings": {
                "interval_s": TRAFFIC_INTERVAL,
                "swaps_per_tick": TRAFFIC_SWAPS_PER_TICK,
            },
            "dashboard_actor": {
                "note": "its handlers' time (mostly pushes), wall clock including their awaits",
                **{
                    key: getattr(dashboard, key)
                    for key in ("handled_total", "handle_time_p50_us", "handle_time_p99_us")
                },
            },
        },
        "cases": {"throughput": throughput, "api_actors": api_actors},
    }


def targets(cases: dict[str, Any]) -> dict[str, Any]:
    throughput, api = cases["throughput"], cases["api_actors"]
    drop = throughput["subprocess"]["drop"]
    judged = api[f"subprocess/{VIEWERS}_viewers"]["p99"]
    return {
        "throughput_drop_with_50_viewers": target(
            drop,
            TARGET_DROP,
            drop <= TARGET_DROP,
            viewers="in another process",
            same_process_viewers=throughput["same_process"]["drop"],
            same_process_met=throughput["same_process"]["drop"] <= TARGET_DROP,
        ),
        "api_actors_p99_ms": target(
            judged,
            TARGET_P99_MS,
            judged <= TARGET_P99_MS,
            judged_on=f"client in another process, {VIEWERS} viewers connected",
            **{
                variant: api[variant]["p99"]
                for variant in api
                if "/" in variant and isinstance(api[variant], dict)
            },
        ),
    }


# -- entry points --------------------------------------------------------------


def run(json_output: bool) -> dict[str, Any]:
    """Run every case, print what it finds, and return (and with ``json_output`` print) it all."""
    started = time.perf_counter()
    load_at_start = os.getloadavg()
    others_at_start = cpu_seconds_of_others()
    quiet_logging()
    say(f"arbiter dashboard benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs")
    measured = on_loop("uvloop", measure)
    cases = measured["cases"]
    result: dict[str, Any] = {
        "benchmark": "dashboard",
        "python": platform.python_version(),
        "machine": machine() | {"aiohttp": importlib.metadata.version("aiohttp")},
        "devnet_traffic": measured["setup"]["devnet_traffic"],
        "devnet_reason": measured["setup"].get("reason"),
        "setup": measured["setup"],
        "cases": cases,
        "targets": targets(cases),
        "seconds": round(time.perf_counter() - started, 1),
        "other_load": {
            "note": (
                "CPU seconds spent by other processes during the run (the viewers' and "
                "anvil's included), and the load averages (1, 5, 15 min) at its start and end"
            ),
            "cpu_seconds": round(cpu_seconds_of_others() - others_at_start, 1),
            "load_average_start": [round(x, 2) for x in load_at_start],
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
        },
    }
    say_summary(result)
    if json_output:
        print(json.dumps(result), flush=True)
    return result


def say_summary(result: dict[str, Any]) -> None:
    throughput, api = result["cases"]["throughput"], result["cases"]["api_actors"]
    say("summary (medians)")
    say(
        "  tell  "
        + "  ".join(f"{phase} {throughput[phase]['median']:,}" for phase in PHASES)
        + " msg/s"
    )
    for phase in ("subprocess", "same_process"):
        say(f"  drop with {VIEWERS} viewers ({phase}): {throughput[phase]['drop']:.1%}")
    for variant, figures in api.items():
        if "/" in variant and isinstance(figures, dict):
            say(f"  /api/actors {variant:26} p50 {figures['p50']} ms  p99 {figures['p99']} ms")
    for name, verdict in result["targets"].items():
        state = "met" if verdict["met"] else "MISSED"
        say(f"  target {name}: {state} ({verdict['value']} vs {verdict['threshold']})")
    if not result["devnet_traffic"]:
        say(f"  WITHOUT devnet traffic: {result['setup']['reason']}")
    say(f"done in {result['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.dashboard [--json]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="benchmarks.dashboard", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        asyncio.run(serve_worker(), loop_factory=uvloop.new_event_loop)
        return 0
    run(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
