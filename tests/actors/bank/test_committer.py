"""`Committer`: group commit pipelined into the database thread, with a stand-in commit."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

import pytest

from actors.bank._committer import Batch, Committer, Outcome
from actors.bank._exceptions import BankUnavailable
from runtime import ManualClock
from tests.actors.bank.conftest import block

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from actors.bank import Store
    from messages.bank import BankWrite

pytestmark = pytest.mark.timeout(30)

STORE = cast("Store", object())  # the stand-in commit never touches it
WAIT = 10.0  # seconds a thread event may take before the test gives up


class Commits:
    """A commit function that records its batches; the first ``held`` ones wait for `release`."""

    def __init__(self, held: int = 0, fail: bool = False) -> None:
        self.batches: list[list[BankWrite]] = []
        self.started = [threading.Event() for _ in range(4)]
        self._release = threading.Event()
        self._held = held
        self._fail = fail

    def __call__(self, store: Store, writes: list[BankWrite]) -> Outcome:
        number = len(self.batches)
        self.batches.append(writes)
        if number < len(self.started):
            self.started[number].set()
        if number < self._held:
            assert self._release.wait(WAIT)
        if self._fail:
            raise OSError("disk full")
        return len(writes), {}, 0.0

    def release(self) -> None:
        self._release.set()


class Setup:
    def __init__(self, commits: Commits, clock: ManualClock, batch_rows: int) -> None:
        self.commits = commits
        self.clock = clock
        self.flushes: list[int] = []
        self.failures: list[tuple[Batch, Exception]] = []
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.committer = Committer(
            asyncio.get_running_loop(),
            clock,
            self.executor,
            commit=commits,
            batch_rows=batch_rows,
            batch_interval=1.0,
            schedule_flush=self._schedule,
            on_failed=self._failed,
        )
        self.committer.resume(STORE)

    def _schedule(self, number: int) -> Any:
        return self.clock.call_later(1.0, self.flushes.append, number)

    def _failed(self, batch: Batch, error: Exception) -> None:
        self.failures.append((batch, error))
        batch.future.set_exception(error)
        batch.future.exception()

    def add(self, *numbers: int) -> Batch:
        batch = None
        for number in numbers:
            batch = self.committer.add(block(number), 1)
        assert batch is not None
        return batch


@contextlib.asynccontextmanager
async def setup(commits: Commits, batch_rows: int = 100) -> AsyncIterator[Setup]:
    running = Setup(commits, ManualClock(), batch_rows)
    try:
        yield running
    finally:
        commits.release()
        running.executor.shutdown(wait=True)


async def test_a_full_batch_is_committed_in_the_database_thread() -> None:
    commits = Commits()
    async with setup(commits, batch_rows=3) as running:
        batch = running.add(1, 2, 3)
        assert await batch.future == {}
        assert [len(writes) for writes in commits.batches] == [3]
        assert running.committer.committed_rows_total == 3
        assert running.committer.pending_rows == 0


async def test_a_batch_opened_while_idle_waits_for_its_flush() -> None:
    commits = Commits()
    async with setup(commits) as running:
        batch = running.add(1, 2)
        running.clock.advance(1.0)
        assert running.flushes == [batch.number]
        assert not commits.started[0].is_set()
        running.committer.flush(batch.number)
        assert await batch.future == {}
        assert [len(writes) for writes in commits.batches] == [2]


async def test_a_batch_filled_during_a_commit_goes_next_without_a_turn_of_the_loop() -> None:
    commits = Commits(held=1)
    async with setup(commits, batch_rows=2) as running:
        first = running.add(1, 2)
        assert commits.started[0].wait(WAIT)
        second = running.add(3, 4)
        commits.release()
        # The loop is blocked here: the thread must take the second batch on its own.
        assert commits.started[1].wait(WAIT)
        assert await first.future == {}
        assert await second.future == {}
        assert [len(writes) for writes in commits.batches] == [2, 2]


async def test_a_batch_whose_interval_passed_during_a_commit_goes_next() -> None:
    commits = Commits(held=1)
    async with setup(commits, batch_rows=2) as running:
        first = running.add(1, 2)
        assert commits.started[0].wait(WAIT)
        second = running.add(3)
        running.clock.advance(1.0)  # its flush timer fires, but the flush is not told yet
        commits.release()
        assert commits.started[1].wait(WAIT)
        assert await first.future == {}
        assert await second.future == {}
        assert running.flushes == [second.number]


async def test_a_batch_not_yet_due_when_a_commit_ends_waits_for_its_flush() -> None:
    commits = Commits()
    async with setup(commits, batch_rows=2) as running:
        first = running.add(1, 2)
        second = running.add(3)
        assert await first.future == {}
        assert not second.future.done()
        running.committer.flush(second.number)
        assert await second.future == {}
        assert [len(writes) for writes in commits.batches] == [2, 1]


async def test_a_failed_commit_stops_commits_until_resumed() -> None:
    commits = Commits(fail=True)
    async with setup(commits, batch_rows=1) as running:
        first = running.add(1)
        with pytest.raises(OSError, match="disk full"):
            await first.future
        assert [error.args for _, error in running.failures] == [("disk full",)]
        assert running.committer.failed_commits_total == 1
        held = running.add(2)
        await running.committer.finish()
        assert not held.future.done()
        assert running.committer.drop(BankUnavailable("stopped")) == 1
        with pytest.raises(BankUnavailable):
            await held.future
        assert len(commits.batches) == 1


async def test_finish_commits_what_is_held_whatever_its_age() -> None:
    commits = Commits()
    async with setup(commits) as running:
        batch = running.add(1, 2, 3)
        await running.committer.finish()
        assert batch.future.done()
        assert [len(writes) for writes in commits.batches] == [3]
