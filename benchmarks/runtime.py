"""The kernel benchmark: arbiter against the hand-written asyncio code and pykka it replaces.

Run it with ``arbiter bench runtime --json`` or ``python -m benchmarks.runtime --json``.

Cases, each contender measured side by side in the same run, on the default
asyncio loop and on uvloop (a fresh loop per measurement), in interleaved
trials whose median is reported:

- ``tell``: one producer, one actor, typed dispatch to a sync handler (msg/s).
- ``ask``: sequential round trips to an async handler (p50 and p99, us).
- ``spawn``: 100,000 idle actors (seconds, RSS bytes per actor), each trial in
  a fresh process so that earlier cases do not pollute the RSS.
- ``restart``: a crashed child, from the failing tell to its fresh instance's
  ``on_start`` (p50 and p99, us), in a fresh process per trial.
- ``counters``: tell throughput with ``metrics=True`` against ``metrics=False``.
- ``pykka_load``: pykka's figures with the machine idle and with a busy loop
  on the other core, as ratios to arbiter's.

Benchmarks report; they do not assert. ``targets`` says which of the kernel's
goals the figures meet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata
import json
import logging
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections import deque
from functools import partial
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import psutil  # type: ignore[import-untyped]
import pykka
import structlog
import uvloop

from runtime import Actor, ActorSystem, Backoff, MailboxConfig, SupervisorPolicy

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine

__all__ = ["main", "run"]

LOOPS = ("asyncio", "uvloop")
TRIALS = 7
BURST = 10_000
TELL_BURSTS = 50
PYKKA_TELL_BURSTS = 10
MAILBOX_CAPACITY = 20_000
THROUGHPUT = 64
ASK_COUNT = 20_000
ASK_WARMUP = 1_000
ASK_TIMEOUT = 5.0
PYKKA_ASK_COUNT = 5_000
SPAWN_COUNT = 100_000
PYKKA_SPAWN_COUNT = 1_000
PROCESS_TRIALS = 3
RESTART_COUNT = 2_000
RESTART_WARMUP = 50
LOAD_TRIALS = 3
BUSY_LOAD = 0.5

CONTENDERS = {
    "arbiter": (
        f"ActorSystem(metrics=True), MailboxConfig(capacity={MAILBOX_CAPACITY}), "
        f"throughput={THROUGHPUT} (the default); ref.tell / await ref.ask(msg, timeout=5.0)"
    ),
    "arbiter_metrics_off": "arbiter with ActorSystem(metrics=False)",
    "arbiter_no_timeout": "arbiter's ask with timeout=None (for reference: the deadline's cost)",
    "baseline": (
        "hand-written: one asyncio.Queue + one consumer task per component; the consumer "
        "dispatches with a dict of message type -> bound method; tell = queue.put_nowait(msg), "
        f"queue bounded at {MAILBOX_CAPACITY}; ask = put (msg, future), await the future"
    ),
    "baseline_wait_for": "the baseline's ask awaited with asyncio.wait_for(future, 5.0)",
    "floor": (
        "the cheapest mailbox possible: a deque drained by loop.call_soon, inline dict "
        "dispatch, no counters, no bound, no budget"
    ),
    "pykka": (
        "pykka ThreadingActor, on_receive dispatching with a dict of type -> bound method "
        "(sync handlers: pykka has no async ones); driven from the main thread, no event "
        "loop: tell, then a blocking ask(timeout=5.0) to wait"
    ),
}


# -- messages ----------------------------------------------------------------


class Work(msgspec.Struct, frozen=True):
    n: int


class Query(msgspec.Struct, frozen=True):
    n: int


class Flush(msgspec.Struct, frozen=True):
    """Handled after everything told before it: resolves ``done`` (when one is given)."""

    done: Any = None


class Boom(msgspec.Struct, frozen=True):
    pass


# -- the contenders ----------------------------------------------------------


class Counter(Actor):
    """The arbiter contender: a sync handler for tells, an async one for asks."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def on_work(self, message: Work) -> None:
        self.total += message.n

    def on_flush(self, message: Flush) -> None:
        message.done.set_result(None)

    async def on_query(self, message: Query) -> int:
        return message.n + self.total


class Idle(Actor):
    """What 100,000 spawned actors are: a handler, no state, nothing to do."""

    def on_work(self, message: Work) -> None:
        pass


class Probe:
    """Where the crashing child reports that a fresh instance has started."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started: asyncio.Future[None] | None = None


class Crasher(Actor):
    """Fails on `Boom`; every fresh instance resolves the probe's future in ``on_start``."""

    def __init__(self, probe: Probe) -> None:
        super().__init__()
        self.probe = probe

    def on_start(self) -> None:
        started = self.probe.started
        if started is not None and not started.done():
            started.set_result(None)

    def on_boom(self, message: Boom) -> None:
        raise RuntimeError("boom")


class Handlers:
    """The state and handlers of the hand-written contenders (baseline and floor)."""

    def __init__(self) -> None:
        self.total = 0
        self.sync: dict[type, Callable[[Any], Any]] = {
            Work: self.on_work,
            Flush: self.on_flush,
        }
        self.asynchronous: dict[type, Callable[[Any], Awaitable[Any]]] = {Query: self.on_query}

    def on_work(self, message: Work) -> None:
        self.total += message.n

    def on_flush(self, message: Flush) -> None:
        message.done.set_result(None)

    async def on_query(self, message: Query) -> int:
        return message.n + self.total


async def serve_tells(
    queue: asyncio.Queue[Any], handlers: dict[type, Callable[[Any], Any]]
) -> None:
    """The baseline's consumer task for tells: take a message, call its sync handler."""
    get = queue.get
    while True:
        message = await get()
        handlers[message.__class__](message)


async def serve_asks(
    queue: asyncio.Queue[tuple[Any, asyncio.Future[Any]]],
    handlers: dict[type, Callable[[Any], Awaitable[Any]]],
) -> None:
    """The baseline's consumer task for asks: await the async handler, set the reply."""
    get = queue.get
    while True:
        message, reply = await get()
        try:
            result = await handlers[message.__class__](message)
        except Exception as exc:
            if not reply.done():
                reply.set_exception(exc)
        else:
            if not reply.done():
                reply.set_result(result)


class Floor:
    """A deque drained by ``call_soon`` with inline dispatch: the cheapest mailbox there is."""

    __slots__ = ("_handlers", "_loop", "_queue", "_scheduled")

    def __init__(self, handlers: dict[type, Callable[[Any], Any]]) -> None:
        self._handlers = handlers
        self._loop = asyncio.get_running_loop()
        self._queue: deque[Any] = deque()
        self._scheduled = False

    def tell(self, message: Any) -> None:
        self._queue.append(message)
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._drain)

    def _drain(self) -> None:
        self._scheduled = False
        queue = self._queue
        handlers = self._handlers
        while queue:
            message = queue.popleft()
            handlers[message.__class__](message)


class PykkaCounter(pykka.ThreadingActor):
    """The pykka contender: `on_receive` dispatches by type, as `Counter` does."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self._handlers: dict[type, Callable[[Any], Any]] = {
            Work: self._on_work,
            Query: self._on_query,
            Flush: self._on_flush,
        }

    def on_receive(self, message: Any) -> Any:
        return self._handlers[message.__class__](message)

    def _on_work(self, message: Work) -> None:
        self.total += message.n

    def _on_query(self, message: Query) -> int:
        return message.n + self.total

    def _on_flush(self, message: Flush) -> None:
        return None


class PykkaIdle(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> None:
        return None


# -- measuring ---------------------------------------------------------------


def on_loop[T](loop: str, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` on a fresh loop of the given kind, after a full collection."""
    gc.collect()
    factory = uvloop.new_event_loop if loop == "uvloop" else None
    return asyncio.run(main(), loop_factory=factory)


async def tell_rate(tell: Callable[[Any], object], bursts: int) -> float:
    """Messages per second through ``tell``: bursts of `BURST` tells, each then drained.

    One untimed burst first warms the dispatch path.
    """
    loop = asyncio.get_running_loop()
    message = Work(1)

    async def burst() -> None:
        for _ in repeat(None, BURST):
            tell(message)
        done = loop.create_future()
        tell(Flush(done))
        await done

    await burst()
    start = time.perf_counter()
    for _ in range(bursts):
        await burst()
    return bursts * BURST / (time.perf_counter() - start)


async def tell_arbiter(metrics: bool) -> float:
    async with ActorSystem("bench", metrics=metrics) as system:
        ref = await system.spawn(
            Counter,
            name="counter",
            mailbox=MailboxConfig(capacity=MAILBOX_CAPACITY),
            throughput=THROUGHPUT,
        )
        return await tell_rate(ref.tell, TELL_BURSTS)


async def tell_baseline() -> float:
    handlers = Handlers()
    queue: asyncio.Queue[Any] = asyncio.Queue(MAILBOX_CAPACITY)
    consumer = asyncio.create_task(serve_tells(queue, handlers.sync))
    try:
        return await tell_rate(queue.put_nowait, TELL_BURSTS)
    finally:
        consumer.cancel()


async def tell_floor() -> float:
    return await tell_rate(Floor(Handlers().sync).tell, TELL_BURSTS)


def tell_pykka(bursts: int = PYKKA_TELL_BURSTS) -> float:
    ref = PykkaCounter.start()
    try:
        message = Work(1)
        tell = ref.tell

        def burst() -> None:
            for _ in repeat(None, BURST):
                tell(message)
            ref.ask(Flush(), timeout=ASK_TIMEOUT)

        burst()
        start = time.perf_counter()
        for _ in range(bursts):
            burst()
        return bursts * BURST / (time.perf_counter() - start)
    finally:
        ref.stop()


TELL_CONTENDERS: dict[str, Callable[[], Coroutine[Any, Any, float]]] = {
    "arbiter": partial(tell_arbiter, metrics=True),
    "arbiter_metrics_off": partial(tell_arbiter, metrics=False),
    "baseline": tell_baseline,
    "floor": tell_floor,
}


async def ask_latencies(ask: Callable[[Query], Awaitable[Any]], count: int) -> list[int]:
    """Nanoseconds of ``count`` sequential round trips, after `ASK_WARMUP` untimed ones."""
    query = Query(1)
    for _ in range(ASK_WARMUP):
        await ask(query)
    now = time.perf_counter_ns
    samples = [0] * count
    for i in range(count):
        start = now()
        await ask(query)
        samples[i] = now() - start
    return samples


async def ask_arbiter(timeout: float | None, metrics: bool = True) -> list[int]:
    async with ActorSystem("bench", metrics=metrics) as system:
        ref = await system.spawn(Counter, name="counter")
        return await ask_latencies(partial(ref.ask, timeout=timeout), ASK_COUNT)


async def ask_baseline(wait_for: bool) -> list[int]:
    loop = asyncio.get_running_loop()
    handlers = Handlers()
    queue: asyncio.Queue[tuple[Any, asyncio.Future[Any]]] = asyncio.Queue(MAILBOX_CAPACITY)
    consumer = asyncio.create_task(serve_asks(queue, handlers.asynchronous))
    put = queue.put_nowait

    def ask(message: Query) -> asyncio.Future[Any]:
        reply = loop.create_future()
        put((message, reply))
        return reply

    async def ask_with_timeout(message: Query) -> Any:
        return await asyncio.wait_for(ask(message), ASK_TIMEOUT)

    try:
        return await ask_latencies(ask_with_timeout if wait_for else ask, ASK_COUNT)
    finally:
        consumer.cancel()


def ask_pykka(count: int = PYKKA_ASK_COUNT) -> list[int]:
    ref = PykkaCounter.start()
    try:
        query = Query(1)
        ask = ref.ask
        for _ in range(ASK_WARMUP):
            ask(query, timeout=ASK_TIMEOUT)
        now = time.perf_counter_ns
        samples = [0] * count
        for i in range(count):
            start = now()
            ask(query, timeout=ASK_TIMEOUT)
            samples[i] = now() - start
        return samples
    finally:
        ref.stop()


ASK_CONTENDERS: dict[str, Callable[[], Coroutine[Any, Any, list[int]]]] = {
    "arbiter": partial(ask_arbiter, timeout=ASK_TIMEOUT),
    "arbiter_no_timeout": partial(ask_arbiter, timeout=None),
    "arbiter_metrics_off": partial(ask_arbiter, timeout=ASK_TIMEOUT, metrics=False),
    "baseline": partial(ask_baseline, wait_for=False),
    "baseline_wait_for": partial(ask_baseline, wait_for=True),
}


def percentiles_us(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    last = len(ordered) - 1
    return {
        "p50": round(ordered[round(0.50 * last)] / 1000, 2),
        "p99": round(ordered[round(0.99 * last)] / 1000, 2),
    }


# -- fresh-process cases (spawn, restart) ------------------------------------


def rss() -> int:
    return int(psutil.Process().memory_info().rss)


async def spawn_arbiter(count: int) -> dict[str, float]:
    async with ActorSystem("bench") as system:
        await system.spawn(Idle, name="warmup")
        gc.collect()
        before = rss()
        start = time.perf_counter()
        spawn = system.spawn
        for i in range(count):
            await spawn(Idle, name=f"idle-{i}")
        seconds = time.perf_counter() - start
        gc.collect()
        after = rss()
        start = time.perf_counter()
        await system.shutdown()
        stop_seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_bytes": after - before, "stop_seconds": stop_seconds}


async def spawn_baseline(count: int) -> dict[str, float]:
    sync = Handlers().sync
    gc.collect()
    before = rss()
    start = time.perf_counter()
    components = []
    for _ in range(count):
        queue: asyncio.Queue[Any] = asyncio.Queue(MailboxConfig().capacity)
        components.append((queue, asyncio.create_task(serve_tells(queue, sync))))
    await asyncio.sleep(0)  # every consumer runs up to its first `await queue.get()`
    seconds = time.perf_counter() - start
    gc.collect()
    after = rss()
    start = time.perf_counter()
    for _, task in components:
        task.cancel()
    await asyncio.gather(*(task for _, task in components), return_exceptions=True)
    stop_seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_bytes": after - before, "stop_seconds": stop_seconds}


def spawn_pykka(count: int) -> dict[str, float]:
    gc.collect()
    before = rss()
    start = time.perf_counter()
    refs = [PykkaIdle.start() for _ in range(count)]
    seconds = time.perf_counter() - start
    gc.collect()
    after = rss()
    start = time.perf_counter()
    for ref in refs:
        ref.stop()
    stop_seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_bytes": after - before, "stop_seconds": stop_seconds}


async def restart_latencies(count: int) -> list[int]:
    """Nanoseconds from a failing tell to the fresh instance's ``on_start``, per crash.

    Backoff is off: the default policy restarts a lone crash at once and backs
    off repeated ones on purpose, which would measure the backoff, not the kernel.
    """
    policy = SupervisorPolicy(
        max_restarts=10**9, within=1.0, backoff=Backoff(initial=0.0, maximum=0.0, jitter=0.0)
    )
    loop = asyncio.get_running_loop()
    probe = Probe()
    async with ActorSystem("bench", supervision=policy) as system:
        ref = await system.spawn(partial(Crasher, probe), name="crasher")
        boom = Boom()
        now = time.perf_counter_ns
        samples = []
        for i in range(RESTART_WARMUP + count):
            started = probe.started = loop.create_future()
            start = now()
            ref.tell(boom)
            await started
            if i >= RESTART_WARMUP:
                samples.append(now() - start)
        return samples


def quiet_logging() -> None:
    """Drop every log event below CRITICAL, cheaply, as a filtering logger does."""
    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


def default_logging_to_devnull(devnull: Any) -> None:
    """The runtime's own logging set-up at its default level, its console stream /dev/null."""
    from runtime.config import RuntimeConfig  # noqa: PLC0415 - only the worker needs it
    from runtime.logs import configure_logging  # noqa: PLC0415

    with contextlib.redirect_stderr(devnull):
        configure_logging(RuntimeConfig().log_level, None, "json")


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One fresh-process measurement, described by ``spec`` (see `in_fresh_process`)."""
    case, contender, loop = spec["case"], spec["contender"], spec["loop"]
    if case == "restart":
        with Path(os.devnull).open("w", encoding="utf-8") as devnull:
            if contender == "default_logging":
                default_logging_to_devnull(devnull)
            else:
                quiet_logging()
            samples = on_loop(loop, partial(restart_latencies, RESTART_COUNT))
        return percentiles_us(samples)
    quiet_logging()
    if contender == "pykka":
        figures = spawn_pykka(PYKKA_SPAWN_COUNT)
        count = PYKKA_SPAWN_COUNT
    else:
        factory = spawn_arbiter if contender == "arbiter" else spawn_baseline
        figures = on_loop(loop, partial(factory, SPAWN_COUNT))
        count = SPAWN_COUNT
    return {
        "count": count,
        "seconds": round(figures["seconds"], 3),
        "rss_per_actor_bytes": round(figures["rss_bytes"] / count),
        "stop_seconds": round(figures["stop_seconds"], 3),
    }


def in_fresh_process(case: str, contender: str, loop: str) -> dict[str, Any]:
    """Run `worker` in a new interpreter and return what it printed."""
    spec = json.dumps({"case": case, "contender": contender, "loop": loop})
    done = subprocess.run(  # noqa: S603 - our own interpreter and module, no user input
        [sys.executable, "-m", "benchmarks.runtime", "--worker", spec],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {spec} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- load --------------------------------------------------------------------


def spin(ready: Any) -> None:
    """Keep one core busy until terminated (the load of case ``pykka_load``)."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    ready.set()
    while True:
        pass


@contextlib.contextmanager
def busy_core() -> Any:
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    spinner = context.Process(target=spin, args=(ready,), daemon=True)
    spinner.start()
    try:
        ready.wait(30)
        yield
    finally:
        spinner.terminate()
        spinner.join()


# -- the cases ---------------------------------------------------------------


def say(line: str) -> None:
    print(line, flush=True)


def rotated[T](items: list[T], trial: int) -> list[T]:
    """``items`` rotated by ``trial``, so that no contender always runs first."""
    shift = trial % len(items)
    return items[shift:] + items[:shift]


def rates(trials: list[float]) -> dict[str, Any]:
    return {"median": round(statistics.median(trials)), "trials": [round(t) for t in trials]}


def latencies(trials: list[dict[str, float]]) -> dict[str, Any]:
    return {
        "p50": round(statistics.median(t["p50"] for t in trials), 2),
        "p99": round(statistics.median(t["p99"] for t in trials), 2),
        "trials": trials,
    }


def case_tell_and_ask() -> tuple[dict[str, Any], dict[str, Any]]:
    tell_trials: dict[str, dict[str, list[float]]] = {loop: {} for loop in LOOPS}
    ask_trials: dict[str, dict[str, list[dict[str, float]]]] = {loop: {} for loop in LOOPS}
    pykka_tell: list[float] = []
    pykka_ask: list[dict[str, float]] = []
    for trial in range(TRIALS):
        for loop in rotated(list(LOOPS), trial):
            for name in rotated(list(TELL_CONTENDERS), trial):
                rate = on_loop(loop, TELL_CONTENDERS[name])
                tell_trials[loop].setdefault(name, []).append(rate)
                say(f"  tell  {loop:8} {name:20} {rate:>12,.0f} msg/s  (trial {trial + 1})")
            for name in rotated(list(ASK_CONTENDERS), trial):
                figures = percentiles_us(on_loop(loop, ASK_CONTENDERS[name]))
                ask_trials[loop].setdefault(name, []).append(figures)
                say(
                    f"  ask   {loop:8} {name:20} p50 {figures['p50']:7.2f} us  "
                    f"p99 {figures['p99']:7.2f} us  (trial {trial + 1})"
                )
        gc.collect()
        pykka_tell.append(tell_pykka())
        pykka_ask.append(percentiles_us(ask_pykka()))
        say(
            f"  pykka (no loop)  tell {pykka_tell[-1]:>10,.0f} msg/s  "
            f"ask p50 {pykka_ask[-1]['p50']:.2f} us  p99 {pykka_ask[-1]['p99']:.2f} us"
        )
    tell: dict[str, Any] = {
        "unit": "msg/s",
        "messages_per_trial": TELL_BURSTS * BURST,
        "burst": BURST,
        **{loop: {n: rates(t) for n, t in tell_trials[loop].items()} for loop in LOOPS},
        "pykka": {**rates(pykka_tell), "messages_per_trial": PYKKA_TELL_BURSTS * BURST},
    }
    ask: dict[str, Any] = {
        "unit": "us",
        "asks_per_trial": ASK_COUNT,
        **{loop: {n: latencies(t) for n, t in ask_trials[loop].items()} for loop in LOOPS},
        "pykka": {**latencies(pykka_ask), "asks_per_trial": PYKKA_ASK_COUNT},
    }
    return tell, ask


def case_spawn() -> dict[str, Any]:
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {loop: {} for loop in LOOPS}
    pykka_runs: list[dict[str, Any]] = []
    for trial in range(PROCESS_TRIALS):
        for loop in rotated(list(LOOPS), trial):
            for name in rotated(["arbiter", "baseline"], trial):
                figures = in_fresh_process("spawn", name, loop)
                runs[loop].setdefault(name, []).append(figures)
                say(
                    f"  spawn {loop:8} {name:20} {figures['count']:,} in "
                    f"{figures['seconds']:.3f} s, {figures['rss_per_actor_bytes']:,} B each  "
                    f"(trial {trial + 1})"
                )
        pykka_runs.append(in_fresh_process("spawn", "pykka", "none"))
        say(
            f"  spawn pykka {PYKKA_SPAWN_COUNT:,} threads in {pykka_runs[-1]['seconds']:.3f} s, "
            f"{pykka_runs[-1]['rss_per_actor_bytes']:,} B each"
        )

    def summary(trials: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "count": trials[0]["count"],
            "seconds": statistics.median(t["seconds"] for t in trials),
            "rss_per_actor_bytes": statistics.median(t["rss_per_actor_bytes"] for t in trials),
            "stop_seconds": statistics.median(t["stop_seconds"] for t in trials),
            "trials": trials,
        }

    return {
        **{loop: {n: summary(t) for n, t in runs[loop].items()} for loop in LOOPS},
        "pykka": {
            **summary(pykka_runs),
            "note": (
                f"{SPAWN_COUNT:,} pykka actors means {SPAWN_COUNT:,} OS threads "
                f"({thread_limits()}): impractical, so {PYKKA_SPAWN_COUNT:,} were measured "
                "for the per-actor cost"
            ),
        },
    }


def thread_limits() -> str:
    """This machine's limits on threads, as a phrase."""
    stack = resource.getrlimit(resource.RLIMIT_STACK)[0]
    processes = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    stack_text = "unlimited" if stack == resource.RLIM_INFINITY else f"{stack // 2**20} MiB"
    processes_text = "unlimited" if processes == resource.RLIM_INFINITY else f"{processes:,}"
    return f"stack reserved per thread {stack_text}, threads per user {processes_text}"


def case_restart() -> dict[str, Any]:
    runs: dict[str, dict[str, list[dict[str, float]]]] = {loop: {} for loop in LOOPS}
    for trial in range(PROCESS_TRIALS):
        for loop in rotated(list(LOOPS), trial):
            for name in rotated(["quiet", "default_logging"], trial):
                figures = in_fresh_process("restart", name, loop)
                runs[loop].setdefault(name, []).append(figures)
                say(
                    f"  restart {loop:8} {name:16} p50 {figures['p50']:8.2f} us  "
                    f"p99 {figures['p99']:8.2f} us  (trial {trial + 1})"
                )
    return {
        "unit": "us",
        "crashes_per_trial": RESTART_COUNT,
        "logging": {
            "quiet": "structlog drops events below CRITICAL (a filtering bound logger)",
            "default_logging": (
                "runtime.logs.configure_logging at the default level (info), JSON lines to "
                "/dev/null"
            ),
        },
        **{loop: {n: latencies(t) for n, t in runs[loop].items()} for loop in LOOPS},
    }


def case_counters(tell: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"unit": "msg/s"}
    for loop in LOOPS:
        on = tell[loop]["arbiter"]["median"]
        off = tell[loop]["arbiter_metrics_off"]["median"]
        out[loop] = {
            "metrics_on": on,
            "metrics_off": off,
            "on_over_off": round(on / off, 3),
            "floor": tell[loop]["floor"]["median"],
        }
    return out


def case_pykka_load(tell: dict[str, Any], ask: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, list[Any]] = {"pykka_tell": [], "pykka_ask": []}
    for loop in LOOPS:
        loaded[f"{loop}_tell"] = []
        loaded[f"{loop}_ask"] = []
    say("  starting a busy loop on the other core")
    with busy_core():
        for trial in range(LOAD_TRIALS):
            loaded["pykka_tell"].append(tell_pykka())
            loaded["pykka_ask"].append(percentiles_us(ask_pykka()))
            for loop in LOOPS:
                loaded[f"{loop}_tell"].append(on_loop(loop, TELL_CONTENDERS["arbiter"]))
                loaded[f"{loop}_ask"].append(
                    percentiles_us(on_loop(loop, ASK_CONTENDERS["arbiter"]))
                )
            say(
                f"  loaded: pykka tell {loaded['pykka_tell'][-1]:,.0f} msg/s, ask p50 "
                f"{loaded['pykka_ask'][-1]['p50']:.2f} us; arbiter uvloop tell "
                f"{loaded['uvloop_tell'][-1]:,.0f} msg/s, ask p50 "
                f"{loaded['uvloop_ask'][-1]['p50']:.2f} us  (trial {trial + 1})"
            )

    def condition(pykka_tell: dict[str, Any], pykka_ask: dict[str, Any], arbiter: Any) -> Any:
        out: dict[str, Any] = {"pykka_tell": pykka_tell, "pykka_ask": pykka_ask}
        for loop in LOOPS:
            arbiter_tell, arbiter_ask = arbiter(loop)
            out[loop] = {
                "arbiter_tell": arbiter_tell,
                "arbiter_ask": arbiter_ask,
                "tell_arbiter_over_pykka": round(arbiter_tell["median"] / pykka_tell["median"], 1),
                "ask_p50_pykka_over_arbiter": round(pykka_ask["p50"] / arbiter_ask["p50"], 1),
            }
        return out

    idle = condition(
        tell["pykka"],
        ask["pykka"],
        lambda loop: (tell[loop]["arbiter"], ask[loop]["arbiter"]),
    )
    busy = condition(
        rates(loaded["pykka_tell"]),
        latencies(loaded["pykka_ask"]),
        lambda loop: (rates(loaded[f"{loop}_tell"]), latencies(loaded[f"{loop}_ask"])),
    )
    return {
        "load": "a spawned process spinning in a busy loop, pinned to the last CPU",
        "idle": idle,
        "loaded": busy,
    }


# -- targets -----------------------------------------------------------------


def target(value: float, threshold: float, met: bool, **extra: Any) -> dict[str, Any]:
    return {"met": met, "value": value, "threshold": threshold, **extra}


def targets(cases: dict[str, Any]) -> dict[str, Any]:
    """The kernel's goals, judged on uvloop (the runtime's loop) unless a key says otherwise."""
    tell, ask, spawn = cases["tell"]["uvloop"], cases["ask"]["uvloop"], cases["spawn"]["uvloop"]
    tell_ratio = round(tell["arbiter"]["median"] / tell["baseline"]["median"], 2)
    ask_ratio = round(ask["arbiter"]["p50"] / ask["baseline"]["p50"], 2)
    ask_ratio_wait_for = round(ask["arbiter"]["p50"] / ask["baseline_wait_for"]["p50"], 2)
    per_actor = spawn["arbiter"]["rss_per_actor_bytes"]
    restart_p50 = cases["restart"]["uvloop"]["quiet"]["p50"]
    counters = {loop: cases["counters"][loop]["on_over_off"] for loop in LOOPS}
    return {
        "loop": "uvloop",
        "tell_vs_baseline": target(
            tell_ratio, 1.0, tell_ratio >= 1.0, aim=1.5, aim_met=tell_ratio >= 1.5
        ),
        "tell_rate": target(
            tell["arbiter"]["median"], 1_000_000, tell["arbiter"]["median"] >= 1_000_000
        ),
        "ask_p50_vs_baseline": target(
            ask_ratio,
            1.5,
            ask_ratio <= 1.5,
            aim=1.2,
            aim_met=ask_ratio <= 1.2,
            against="baseline without a timeout",
            vs_baseline_wait_for=ask_ratio_wait_for,
        ),
        "ask_p50_us": target(ask["arbiter"]["p50"], 10.0, ask["arbiter"]["p50"] <= 10.0),
        "spawn_seconds": target(
            spawn["arbiter"]["seconds"], 1.0, spawn["arbiter"]["seconds"] < 1.0
        ),
        "spawn_rss_per_actor_bytes": target(per_actor, 3072, per_actor <= 3072),
        "restart_p50_us": target(restart_p50, 200.0, restart_p50 <= 200.0),
        "counters_within_10_percent": target(
            counters["uvloop"],
            0.9,
            counters["uvloop"] >= 0.9,
            asyncio_value=counters["asyncio"],
        ),
    }


# -- entry points ------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "platform": platform.platform(),
        "memory_bytes": psutil.virtual_memory().total,
        **{
            package: importlib.metadata.version(package)
            for package in ("uvloop", "pykka", "msgspec", "structlog")
        },
    }


def cpu_seconds_of_others() -> float:
    """CPU seconds the whole machine has spent busy, less this process's and its children's."""
    times = psutil.cpu_times()
    busy = sum(getattr(times, field, 0.0) for field in ("user", "nice", "system", "irq", "softirq"))
    own = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        own += usage.ru_utime + usage.ru_stime
    return float(busy - own)


def run(json_output: bool) -> dict[str, Any]:
    """Run every case, print what it finds, and return (and with ``json_output`` print) it all."""
    started = time.perf_counter()
    load_at_start = os.getloadavg()
    others_at_start = cpu_seconds_of_others()
    quiet_logging()
    say(f"arbiter kernel benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs")
    if load_at_start[0] > BUSY_LOAD:
        say(f"note: the machine is busy (load average {load_at_start[0]:.2f}): expect noise")
    say(f"tell and ask: {TRIALS} interleaved trials per contender and loop")
    tell, ask = case_tell_and_ask()
    say(f"spawn: {SPAWN_COUNT:,} idle actors, {PROCESS_TRIALS} trials, one fresh process each")
    spawn = case_spawn()
    say(f"restart: {RESTART_COUNT:,} crashes, {PROCESS_TRIALS} trials, one fresh process each")
    restart = case_restart()
    say("pykka under load")
    cases = {
        "tell": tell,
        "ask": ask,
        "spawn": spawn,
        "restart": restart,
        "counters": case_counters(tell),
        "pykka_load": case_pykka_load(tell, ask),
    }
    result: dict[str, Any] = {
        "benchmark": "runtime",
        "python": platform.python_version(),
        "machine": machine(),
        "contenders": CONTENDERS,
        "cases": cases,
        "targets": targets(cases),
        "seconds": round(time.perf_counter() - started, 1),
        "other_load": {
            "note": (
                "CPU seconds spent by other processes during the run, and the load averages "
                "(1, 5, 15 min) at its start and end: other work on the machine adds noise"
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
    cases = result["cases"]
    say("summary (medians)")
    for loop in LOOPS:
        tell, ask = cases["tell"][loop], cases["ask"][loop]
        say(
            f"  {loop:8} tell  "
            + "  ".join(f"{n} {t['median']:,}" for n, t in tell.items())
            + " msg/s"
        )
        say(f"  {loop:8} ask p50  " + "  ".join(f"{n} {t['p50']}" for n, t in ask.items()) + " us")
    for name, verdict in result["targets"].items():
        if isinstance(verdict, dict):
            state = "met" if verdict["met"] else "MISSED"
            say(f"  target {name}: {state} ({verdict['value']} vs {verdict['threshold']})")
    say(f"done in {result['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.runtime [--json]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="benchmarks.runtime", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(json.loads(args.worker))), flush=True)
        return 0
    run(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
