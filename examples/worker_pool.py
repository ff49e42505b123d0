"""A supervised pool of workers: refusals, crashes and restarts, and the work goes on.

Run it: ``.venv/bin/python examples/worker_pool.py [JOBS]``.

``/pool`` is a ``Supervisor`` with four ``Worker`` children, one for one: a
worker that crashes is replaced by a fresh one, and only that worker. Each
job counts the primes below ``n``. A job with a negative ``n`` is refused
with ``Rejected``: the asker gets the error, and the worker carries on. A job
with ``n == 13`` hits a bug: the worker crashes, the asker gets the
exception, the supervisor restarts the worker, and the jobs queued behind it
are done by the fresh instance. At the end every job has an answer, and the
pool is still running.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from functools import partial

import msgspec

from messages.control import GetStatus
from runtime import (
    Actor,
    ActorSystem,
    Backoff,
    ChildSpec,
    Rejected,
    Strategy,
    Supervisor,
    SupervisorPolicy,
)
from runtime.logs import configure_logging

WORKERS = 4


class Job(msgspec.Struct, frozen=True):
    n: int


class Worker(Actor):
    """Counts primes below ``n``; refuses negative ``n``; crashes on 13 (a planted bug)."""

    def __init__(self) -> None:
        super().__init__()
        self.done = 0  # lost at a restart: a fresh instance starts from zero

    def on_job(self, job: Job) -> int:
        if job.n < 0:
            raise Rejected(f"n must be >= 0, got {job.n}")
        if job.n == 13:
            raise RuntimeError("unlucky: a bug in the worker")
        self.done += 1
        return sum(1 for k in range(2, job.n) if all(k % d for d in range(2, int(k**0.5) + 1)))


def jobs(count: int) -> list[Job]:
    """Mostly good jobs, every 50th refused, every 70th poisoned."""
    return [
        Job(-1) if i % 50 == 49 else Job(13) if i % 70 == 69 else Job(100 + i) for i in range(count)
    ]


async def main(count: int) -> None:
    policy = SupervisorPolicy(
        strategy=Strategy.ONE_FOR_ONE,
        max_restarts=count,  # crashes are planted: never give up on this pool
        within=60.0,
        backoff=Backoff(initial=0.0),
    )
    children = [ChildSpec(factory=Worker, name=f"worker-{i}") for i in range(WORKERS)]
    async with ActorSystem("pool") as system:
        await system.spawn(partial(Supervisor, children, policy), name="pool")
        workers = [system.lookup(f"/pool/worker-{i}") for i in range(WORKERS)]
        asks = [
            worker.ask(job, timeout=10)
            for worker, job in zip(workers * count, jobs(count), strict=False)
            if worker is not None
        ]
        answers = await asyncio.gather(*asks, return_exceptions=True)
        outcomes = Counter(
            "done" if isinstance(a, int) else "refused" if isinstance(a, Rejected) else "crashed"
            for a in answers
        )
        statuses = [await w.ask(GetStatus()) for w in workers if w is not None]
        restarts = sum(status.restarts_total for status in statuses)
        running = all(status.state == "running" for status in statuses)
    assert outcomes.total() == count
    assert restarts == outcomes["crashed"]
    assert running
    print(
        f"worker pool: {count} jobs on {WORKERS} workers: {outcomes['done']} done, "
        f"{outcomes['refused']} refused, {outcomes['crashed']} crashed "
        f"({restarts} restarts); every worker running at the end"
    )


if __name__ == "__main__":
    configure_logging("critical")  # the planted crashes would log actor_failed
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
