"""`Committer`: the bank's group commit, pipelined into its database thread.

The bank (on the event loop) adds writes to the open batch; the database
thread commits the batches one at a time and, as soon as one commit ends,
takes the next batch itself: a batch that filled meanwhile, or the open one
once it is due. Writes arriving during a commit gather for the next, and the
next commit starts without waiting for a turn of the event loop (why:
`benchmarks/bank.py`, ``group_commit``: a commit cycle of 3 ms had 0.7 ms of
it idle waiting for the loop). Each outcome is handed back to the loop with
``call_soon_threadsafe``, where the batch's receipts complete.

The open batch, the sealed ones and whether the thread is at work are shared
by the two threads, under one lock held only to move a batch; everything
else (counters, futures, timers) is touched on the loop only.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from typing import TYPE_CHECKING

from actors.bank._receipt import Rejections, Waiters, fail

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable
    from concurrent.futures import Executor

    from actors.bank._exceptions import BankError
    from actors.bank._store import Store
    from messages.bank import BankWrite
    from runtime import Clock, Timer

__all__ = ["Batch", "Committer", "Outcome"]

Outcome = tuple[int, dict[int, str], float]
"""A commit's rows written, ``index -> why`` of each write left out, and its seconds."""


class Batch:
    """Writes committed together, the future their receipts share, and who awaits it."""

    __slots__ = ("due", "future", "number", "opened_at", "rows", "timer", "waiters", "writes")

    def __init__(self, future: asyncio.Future[Rejections], opened_at: float, number: int) -> None:
        self.future = future
        self.waiters = Waiters(future.get_loop())
        self.opened_at = opened_at
        self.number = number
        self.writes: list[BankWrite] = []
        self.rows = 0
        self.timer: Timer | None = None
        self.due = False


class Committer:
    """Group commit: batches of writes committed one after the other in the database thread.

    A batch is committed once it holds ``batch_rows`` rows or its first
    write is ``batch_interval`` old (the bank's flush timer says so, as
    `flush`), whichever comes first, one commit at a time. Not itself
    thread-safe: every method but the database thread's ``_run`` must be
    called on the event loop.

    Args:
        loop: the event loop the bank runs on.
        clock: the system's clock (its time says whether the open batch is due).
        executor: the bank's single database thread.
        commit: commits one batch in the database thread (`Store.commit` and a timing).
        batch_rows: rows that seal a batch.
        batch_interval: seconds after its first write at which a batch is due.
        schedule_flush: schedules `flush` of the batch numbered so,
            ``batch_interval`` later, on the loop; returns the timer.
        on_failed: called on the loop with a batch whose commit raised, and
            the error; commits stop until `resume`.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        clock: Clock,
        executor: Executor,
        *,
        commit: Callable[[Store, list[BankWrite]], Outcome],
        batch_rows: int,
        batch_interval: float,
        schedule_flush: Callable[[int], Timer],
        on_failed: Callable[[Batch, Exception], None],
    ) -> None:
        self._loop = loop
        self._clock = clock
        self._executor = executor
        self._commit = commit
        self._batch_rows = batch_rows
        self._batch_interval = batch_interval
        self._schedule_flush = schedule_flush
        self._on_failed = on_failed
        self._lock = threading.Lock()
        # Shared with the database thread, under the lock:
        self._open: Batch | None = None
        self._sealed: deque[Batch] = deque()
        self._running = False  # the thread has a `_run` queued or under way
        self._store: Store | None = None
        self._closing = False
        # The loop's only:
        self._numbers = 0
        self._idle: asyncio.Future[None] | None = None
        self.pending_rows = 0
        self.committed_rows_total = 0
        self.commits_total = 0
        self.failed_commits_total = 0
        self.rejected_writes_total = 0
        self.last_commit_rows = 0
        self.last_commit_ms: float | None = None

    def add(self, write: BankWrite, rows: int) -> Batch:
        """Queue ``write`` (``rows`` rows) in the open batch and return that batch.

        Written for speed: every write goes through here (`benchmarks/bank.py`).
        """
        self.pending_rows += rows
        with self._lock:
            batch = self._open
            if batch is None:
                self._numbers += 1
                batch = self._open = Batch(
                    self._loop.create_future(), self._clock.time(), self._numbers
                )
            batch.writes.append(write)
            batch.rows += rows
            sealed = batch.rows >= self._batch_rows
            if sealed:
                self._open = None
                self._sealed.append(batch)
            start = self._startable()
        # Timers are the loop's: set and cancelled here, never in the database thread.
        if sealed:
            if batch.timer is not None:
                batch.timer.cancel()
        elif batch.timer is None:
            batch.timer = self._schedule_flush(batch.number)
        if start:
            self._executor.submit(self._run)
        return batch

    def flush(self, number: int) -> None:
        """Batch ``number``'s interval has passed: commit it when the thread is free.

        A timer may fire a little early (uvloop's resolution is 1 ms), so
        the tick is trusted rather than a fresh reading of the clock.
        """
        with self._lock:
            if self._open is not None and self._open.number == number:
                self._open.due = True
            start = self._startable()
        if start:
            self._executor.submit(self._run)

    def resume(self, store: Store | None) -> None:
        """Commit into ``store`` from now on; None: take no batch until the next call."""
        with self._lock:
            self._store = store
            start = self._startable()
        if start:
            self._executor.submit(self._run)

    async def finish(self) -> None:
        """Commit everything held, whatever its age, and return once the thread is idle.

        Returns early, with batches left, when there is no store or a commit
        fails (`on_failed` is called for it); `drop` them.
        """
        with self._lock:
            self._closing = True
            start = self._startable()
            idle = not self._running
        if start:
            self._executor.submit(self._run)
        elif idle:
            return
        self._idle = self._loop.create_future()
        await self._idle

    def drop(self, error: BankError) -> int:
        """Fail every batch not yet committing with ``error``; returns the writes dropped."""
        with self._lock:
            batches = list(self._sealed)
            self._sealed.clear()
            if self._open is not None:
                batches.append(self._open)
                self._open = None
        dropped = 0
        for batch in batches:
            if batch.timer is not None:
                batch.timer.cancel()
            self.pending_rows -= batch.rows
            dropped += len(batch.writes)
            fail(batch.future, error)
            batch.waiters.settle()
        return dropped

    def _startable(self) -> bool:
        """Under the lock: whether to start the thread now (and note that it runs)."""
        if self._running or self._store is None:
            return False
        if not self._sealed:
            batch = self._open
            if batch is None or not self._due(batch):
                return False
        self._running = True
        return True

    # -- in the database thread -------------------------------------------------

    def _run(self) -> None:
        """Commit the next batch, then queue itself again (reads queued meanwhile go first)."""
        with self._lock:
            store = self._store
            batch = None if store is None else self._take()
            self._running = batch is not None
        if batch is None or store is None:
            self._to_loop(self._went_idle)
            return
        try:
            outcome = self._commit(store, batch.writes)
        except Exception as exc:  # the commit's error, for the bank to handle
            with self._lock:
                self._running = False
                self._store = None
            self._to_loop(self._failed, batch, exc)
            return
        self._to_loop(self._committed, batch, outcome)
        try:
            self._executor.submit(self._run)
        except RuntimeError:  # the executor was shut down: the bank is gone
            with self._lock:
                self._running = False

    def _take(self) -> Batch | None:
        """Under the lock: the next batch to commit, if one is due."""
        if self._sealed:
            return self._sealed.popleft()
        batch = self._open
        if batch is None or not self._due(batch):
            return None
        self._open = None
        return batch

    def _due(self, batch: Batch) -> bool:
        """Under the lock, in either thread: whether the open ``batch`` is to be committed now.

        Read from the database thread, the loop's time may be a little
        behind: the batch then waits for its flush timer.
        """
        if batch.due or self._closing:
            return True
        return self._clock.time() - batch.opened_at >= self._batch_interval

    def _to_loop(self, callback: Callable[..., None], *args: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            self._loop.call_soon_threadsafe(callback, *args)

    # -- back on the loop -----------------------------------------------------------

    def _committed(self, batch: Batch, outcome: Outcome) -> None:
        rows, rejected, seconds = outcome
        if batch.timer is not None:
            batch.timer.cancel()
        self.pending_rows -= batch.rows
        self.commits_total += 1
        self.committed_rows_total += rows
        self.last_commit_rows = rows
        self.last_commit_ms = seconds * 1000
        self.rejected_writes_total += len(rejected)
        if not batch.future.done():
            batch.future.set_result({id(batch.writes[i]): why for i, why in rejected.items()})
        batch.waiters.settle()

    def _failed(self, batch: Batch, error: Exception) -> None:
        if batch.timer is not None:
            batch.timer.cancel()
        self.pending_rows -= batch.rows
        self.failed_commits_total += 1
        self._on_failed(batch, error)
        batch.waiters.settle()
        self._went_idle()

    def _went_idle(self) -> None:
        with self._lock:
            if self._running:
                return  # the thread went idle, then started again: a later call comes
        idle, self._idle = self._idle, None
        if idle is not None and not idle.done():
            idle.set_result(None)
