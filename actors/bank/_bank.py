"""`Bank`: the memory bank, the only owner of arbiter's SQLite database."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from actors.bank._exceptions import BankUnavailable, ForeignDatabase
from actors.bank._receipt import Receipt, Rejections, fail, failed_future
from actors.bank._schema import corrupt, is_corrupt
from actors.bank._store import Retention, Store, rows_of
from messages.bank import (
    ActivityTotals,
    BankHealth,
    BankState,
    BankWrite,
    BlockRecord,
    Checkpoint,
    GetBankHealth,
    LoadCheckpoint,
    Opportunity,
    QueryBlocks,
    QueryInFlight,
    QueryOpportunities,
    QueryTotals,
    QueryTxs,
    RecordActorEvent,
    RecordBlock,
    RecordConfigChange,
    RecordOpportunity,
    RecordPoolStates,
    RecordTx,
)
from messages.chain import NewHead
from messages.tx import InFlightTx, TxRecord, TxUpdated
from runtime import Actor, ActorError, ConfigError, MailboxConfig

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable
    from pathlib import Path

    from actors.bank._schema import Synchronous
    from runtime import ActorRef, Timer

__all__ = ["BANK_MAILBOX", "Bank", "BankSettings"]

BANK_MAILBOX = MailboxConfig(capacity=10_000)
"""The bank's mailbox: room for bursts of writes.

``backpressure``, so that the outcomes of its own commits are never dropped:
publish told writes on ``system.events`` (a full mailbox then drops them and
counts them in the bank's ``dropped_total``) rather than ``tell`` them,
which raises `MailboxFull` in the sender.
"""

_WRITES = (
    RecordBlock,
    RecordPoolStates,
    RecordOpportunity,
    RecordTx,
    RecordActorEvent,
    RecordConfigChange,
)


@dataclass(frozen=True, slots=True)
class BankSettings:
    """Where the database is and how the bank writes it; ``[bank]`` in the config.

    Args:
        path: the SQLite file (created with its directory when absent).
        batch_rows: a batch is committed once it holds this many rows...
        batch_interval: ...or once its first write is this many seconds
            old, whichever comes first. One commit runs at a time; writes
            arriving meanwhile form the next batch.
        max_pending_rows: rows waiting for their commit beyond which writes
            are refused (counted as dropped; an asker gets `BankUnavailable`).
        synchronous: ``full`` (a commit survives a power loss) or ``normal``
            (it survives a crash of the process); see `Store`.
        busy_timeout: seconds to wait for a lock held by another process.
        retry_interval: seconds between attempts to open or write the
            database again after it failed.
        prune_interval: seconds between prunings of old history.
        retention: how much history is kept.
        checkpoint_depth: headers in a checkpoint (the chain client's window).
        record_events: record what is published on ``system.events``: every
            `NewHead` (as `RecordBlock`), `TxUpdated` (as `RecordTx`) and
            ``Record*`` message.

    Raises:
        ConfigError: a value is out of range (the message names the key).
    """

    path: Path
    batch_rows: int = 500
    batch_interval: float = 0.001
    max_pending_rows: int = 50_000
    synchronous: Synchronous = "full"
    busy_timeout: float = 5.0
    retry_interval: float = 1.0
    prune_interval: float = 60.0
    retention: Retention = field(default_factory=Retention)
    checkpoint_depth: int = 128
    record_events: bool = True

    def __post_init__(self) -> None:
        checks = {
            "batch_rows": self.batch_rows >= 1,
            "batch_interval": self.batch_interval >= 0,
            "max_pending_rows": self.max_pending_rows >= self.batch_rows,
            "synchronous": self.synchronous in {"full", "normal"},
            "busy_timeout": self.busy_timeout >= 0,
            "retry_interval": self.retry_interval > 0,
            "prune_interval": self.prune_interval > 0,
            "checkpoint_depth": self.checkpoint_depth >= 2,
        }
        for key, valid in checks.items():
            if not valid:
                raise ConfigError(f"[bank] {key} = {getattr(self, key)!r} is out of range")
        if self.retention.blocks < self.checkpoint_depth:
            raise ConfigError(
                f"[bank] retention_blocks = {self.retention.blocks} must be at least "
                f"checkpoint_depth = {self.checkpoint_depth}"
            )


class _Batch:
    """Writes committed together, and the future their receipts share."""

    __slots__ = ("due", "future", "opened_at", "rows", "timer", "writes")

    def __init__(self, future: asyncio.Future[Rejections], opened_at: float) -> None:
        self.future = future
        self.opened_at = opened_at
        self.writes: list[BankWrite] = []
        self.rows = 0
        self.timer: Timer | None = None
        self.due = False


class _Flush(msgspec.Struct, frozen=True):
    pass


class _Retry(msgspec.Struct, frozen=True):
    pass


class _Prune(msgspec.Struct, frozen=True):
    pass


class _Committed:
    __slots__ = ("batch", "error", "outcome")

    def __init__(
        self,
        batch: _Batch,
        outcome: tuple[int, dict[int, str], float] | None,
        error: Exception | None,
    ) -> None:
        self.batch = batch
        self.outcome = outcome
        self.error = error


class _Pruned(msgspec.Struct, frozen=True):
    deleted: int
    error: str | None


class Bank(Actor):
    """Records what the system did in SQLite and gives it back: the only owner of the file.

    Writes (``Record*``) are batched: a batch is committed in one transaction
    when it holds ``batch_rows`` rows or its oldest write is
    ``batch_interval`` old, one commit at a time (group commit). Every write
    is answered at once with a `Receipt` that completes after the commit;
    an asker awaits it (`write_durably`), a teller ignores it. SQLite runs in
    the bank's own thread, never on the event loop: a commit's outcome
    comes back as a message, so the bank keeps taking writes meanwhile.

    When the database cannot be written (disk full, read-only) or opened
    (corrupt, another application's, a newer schema), the bank keeps
    running and says so in `BankHealth`: writes are refused at once (an
    asker gets `BankUnavailable`, a teller's write is counted as dropped),
    reads answer what they can (empty without a database), and every
    ``retry_interval`` it opens the file again and tries a write. It never
    deletes, truncates or rewrites a file that is not its own.

    Args:
        settings: the file and the batching, retry and retention settings.
    """

    def __init__(self, settings: BankSettings) -> None:
        super().__init__()
        self.settings = settings
        self.state: BankState = "starting"
        self.error: str | None = None
        self.store: Store | None = None
        self.committed_rows_total = 0
        self.commits_total = 0
        self.failed_commits_total = 0
        self.dropped_writes_total = 0
        self.pruned_rows_total = 0
        self.last_commit_rows = 0
        self.last_commit_ms: float | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._open: _Batch | None = None
        self._sealed: deque[_Batch] = deque()
        self._committing: tuple[_Batch, asyncio.Future[Any]] | None = None
        self._pending_rows = 0
        self._refusal: tuple[str, asyncio.Future[Rejections]] | None = None
        self._pruning = False
        self._retry: Timer | None = None
        self._stopping = False
        self._corrupt = False  # found damaged: check the whole file before using it again

    # -- lifecycle ------------------------------------------------------------

    async def on_start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arbiter-bank")
        await self._connect()
        if self.settings.record_events:
            events = self.context.system.events
            for kind in (*_WRITES, NewHead, TxUpdated):
                events.subscribe(kind, self.context.self_ref)
        self.context.every(self.settings.prune_interval, _Prune())

    async def on_stop(self) -> None:
        self._stopping = True
        # Timers and pipes are cancelled by now: finish the commit under way,
        # then commit what is left, so a graceful stop loses nothing it holds.
        if self._committing is not None:
            batch, future = self._committing
            try:
                outcome = await asyncio.shield(future)
            except Exception as exc:
                self._committed(_Committed(batch, None, exc))
            else:
                self._committed(_Committed(batch, outcome, None))
        if self._open is not None:
            self._seal(self._open)
        while self._sealed and self.state == "ok" and self.store is not None:
            batch = self._sealed.popleft()
            try:
                outcome = await self._in_thread(_commit, self.store, batch.writes)
            except Exception as exc:
                self._committed(_Committed(batch, None, exc))
            else:
                self._committed(_Committed(batch, outcome, None))
        self._drop_pending(BankUnavailable(f"{self.settings.path}: the bank stopped"))
        if self.store is not None:
            await self._in_thread(self.store.close)
            self.store = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
        self.context.system.events.unsubscribe_all(self.context.self_ref)

    # -- writes ---------------------------------------------------------------

    def on_write(self, message: BankWrite) -> Receipt:
        """Queue ``message`` for the next commit; the `Receipt` completes at that commit."""
        if self.state != "ok":
            return self._refuse(message, self.error or f"{self.settings.path}: not open yet")
        rows = rows_of(message)
        if self._pending_rows + rows > self.settings.max_pending_rows:
            return self._refuse(
                message,
                f"{self.settings.path}: {self._pending_rows} rows are waiting for their commit",
            )
        batch = self._open
        if batch is None:
            batch = self._open = _Batch(
                self.context.system.loop.create_future(), self.context.system.clock.time()
            )
            batch.timer = self.context.schedule(self.settings.batch_interval, _Flush())
        batch.writes.append(message)
        batch.rows += rows
        self._pending_rows += rows
        if batch.rows >= self.settings.batch_rows:
            self._seal(batch)
        self._commit_next()
        return Receipt(batch.future, message)

    def on_new_head(self, message: NewHead) -> None:
        self.on_write(
            RecordBlock(
                chain=message.chain,
                number=message.number,
                hash=message.hash,
                parent_hash=message.parent_hash,
                timestamp=message.timestamp,
            )
        )

    def on_tx_updated(self, message: TxUpdated) -> None:
        self.on_write(RecordTx(record=message.record, in_flight=message.in_flight))

    def on_flush(self, message: _Flush) -> None:
        # Trust the tick, not a fresh reading of the clock: uvloop may fire a
        # timer a fraction of a millisecond before the clock says it is due.
        if self._open is not None:
            self._open.due = True
        self._commit_next()

    def on_committed(self, message: _Committed) -> None:
        if self._committing is None or self._committing[0] is not message.batch:
            return  # delivered twice (see `_commit_next`), or to a later incarnation
        self._committed(message)
        self._commit_next()

    def _refuse(self, message: BankWrite, reason: str) -> Receipt:
        """Count ``message`` as dropped; its receipt fails with ``reason`` (naming the file)."""
        self.dropped_writes_total += 1
        # One failed future per reason, not per write: refusals come in floods.
        if self._refusal is None or self._refusal[0] != reason:
            error = BankUnavailable(f"write not recorded: {reason}")
            self._refusal = (reason, failed_future(self.context.system.loop, error))
        return Receipt(self._refusal[1], message)

    def _seal(self, batch: _Batch) -> None:
        if batch.timer is not None:
            batch.timer.cancel()
        self._open = None
        self._sealed.append(batch)

    def _commit_next(self) -> None:
        """Start the next commit, unless one is running: a full batch, or one old enough."""
        if self._committing is not None:
            return
        batch = self._open
        if not self._sealed and batch is not None:
            # A flush tick meeting a full mailbox is dropped: the age is checked here too.
            age = self.context.system.clock.time() - batch.opened_at
            if batch.due or age >= self.settings.batch_interval:
                self._seal(batch)
        if not self._sealed:
            return
        if self.state != "ok" or self.store is None:
            self._drop_pending(BankUnavailable(f"{self.settings.path}: {self.error}"))
            return
        batch = self._sealed.popleft()
        if self._executor is None:
            raise BankUnavailable(f"{self.settings.path}: the bank is not running")
        done = self._executor.submit(_commit, self.store, batch.writes)
        loop = self.context.system.loop
        future = asyncio.wrap_future(done, loop=loop)
        self._committing = (batch, future)
        # The outcome comes back twice, the first one to arrive wins: told
        # straight from the database thread (one turn of the loop, so the next
        # commit starts sooner: `benchmarks/bank.py`), and through a pipe, which
        # waits for room in a full mailbox. Shielded: stopping the bank cancels
        # the pipe, but on_stop still needs the outcome of the commit under way.
        done.add_done_callback(partial(_tell_outcome, loop, self.context.self_ref, batch))
        self.context.pipe(
            asyncio.shield(future),
            lambda outcome: _Committed(batch, outcome, None),
            lambda error: _Committed(batch, None, error),
            name="commit",
        )

    def _committed(self, message: _Committed) -> None:
        batch = message.batch
        if self._committing is not None and self._committing[0] is batch:
            self._committing = None
        self._pending_rows -= batch.rows
        if message.outcome is not None:
            rows, rejected, seconds = message.outcome
            self.commits_total += 1
            self.committed_rows_total += rows
            self.last_commit_rows = rows
            self.last_commit_ms = seconds * 1000
            self.dropped_writes_total += len(rejected)
            if not batch.future.done():
                batch.future.set_result({id(batch.writes[i]): why for i, why in rejected.items()})
            return
        error = message.error
        self.failed_commits_total += 1
        self.dropped_writes_total += len(batch.writes)
        reason = self._describe(error)
        fail(batch.future, BankUnavailable(f"{reason}; {len(batch.writes)} writes not recorded"))
        if is_corrupt(error):
            self._found_corrupt(error)
        else:
            self._set_state("failing", reason)

    def _drop_pending(self, error: BankUnavailable) -> None:
        """Fail every batch not yet committing: their writes are counted as dropped."""
        if self._open is not None:
            if self._open.timer is not None:
                self._open.timer.cancel()
            self._sealed.append(self._open)
            self._open = None
        while self._sealed:
            batch = self._sealed.popleft()
            self._pending_rows -= batch.rows
            self.dropped_writes_total += len(batch.writes)
            fail(batch.future, error)

    # -- reads ------------------------------------------------------------------

    async def on_query_opportunities(self, message: QueryOpportunities) -> list[Opportunity]:
        return await self._read(lambda store: store.opportunities(message.limit), [])

    async def on_query_txs(self, message: QueryTxs) -> list[TxRecord]:
        return await self._read(lambda store: store.txs(message.limit), [])

    async def on_query_in_flight(self, message: QueryInFlight) -> list[InFlightTx]:
        return await self._read(lambda store: store.in_flight(message.account), [])

    async def on_query_blocks(self, message: QueryBlocks) -> list[BlockRecord]:
        return await self._read(lambda store: store.blocks(message.chain, message.limit), [])

    async def on_query_totals(self, message: QueryTotals) -> ActivityTotals:
        return await self._read(Store.totals, ActivityTotals())

    async def on_load_checkpoint(self, message: LoadCheckpoint) -> Checkpoint | None:
        depth = self.settings.checkpoint_depth
        return await self._read(
            lambda store: store.checkpoint(message.chain, depth, message.dex), None
        )

    def on_get_bank_health(self, message: GetBankHealth) -> BankHealth:
        store = self.store
        return BankHealth(
            path=str(self.settings.path),
            state=self.state,
            error=self.error,
            schema_version=None if store is None else store.schema_version,
            synchronous=self.settings.synchronous,
            pending_rows=self._pending_rows,
            committed_rows_total=self.committed_rows_total,
            commits_total=self.commits_total,
            failed_commits_total=self.failed_commits_total,
            dropped_writes_total=self.dropped_writes_total,
            pruned_rows_total=self.pruned_rows_total,
            last_commit_rows=self.last_commit_rows,
            last_commit_ms=self.last_commit_ms,
        )

    async def _read[T](self, read: Callable[[Store], T], empty: T) -> T:
        """``read(store)`` in the database thread; ``empty`` when there is no database to read."""
        store = self.store
        if store is None:
            return empty
        try:
            return await self._in_thread(read, store)
        except sqlite3.Error as exc:
            self.log.warning("bank_read_failed", error=self._describe(exc))
            if is_corrupt(exc):
                self._found_corrupt(exc)
            return empty

    # -- recovery and retention ---------------------------------------------------

    async def on_retry(self, message: _Retry) -> None:
        self._retry = None
        if self.state in {"failing", "unavailable"}:
            await self._connect()

    def on_prune(self, message: _Prune) -> None:
        if self.state != "ok" or self.store is None or self._pruning:
            return
        self._pruning = True
        retention = self.settings.retention
        self.context.pipe(
            self._in_thread(self.store.prune, retention, time.time()),
            lambda deleted: _Pruned(deleted, None),
            lambda error: _Pruned(0, self._describe(error)),
            name="prune",
        )

    def on_pruned(self, message: _Pruned) -> None:
        self._pruning = False
        self.pruned_rows_total += message.deleted
        if message.error is not None:
            self.log.warning("bank_prune_failed", error=message.error)
        elif message.deleted:
            self.log.info("bank_pruned", rows=message.deleted)

    async def _connect(self) -> None:
        """(Re)open the database and try a write; the state says how that went."""
        old, self.store = self.store, None
        settings = self.settings
        try:
            self.store, writable = await self._in_thread(_connect, old, settings, self._corrupt)
        except ForeignDatabase as exc:
            self._set_state("unavailable", str(exc))
            return
        except (sqlite3.Error, OSError) as exc:
            self._set_state("unavailable", f"{settings.path}: cannot open: {exc}")
            return
        self._corrupt = False
        if writable is not None:
            self._set_state("failing", f"{settings.path}: cannot write: {writable}")
            return
        self._set_state("ok", None)

    def _set_state(self, state: BankState, error: str | None) -> None:
        was, told = self.state, self.error
        self.state, self.error = state, error
        if state == "ok":
            if was == "starting":
                schema = None if self.store is None else self.store.schema_version
                self.log.info("bank_opened", path=str(self.settings.path), schema_version=schema)
            elif was != "ok":
                self.log.info("bank_recovered", path=str(self.settings.path))
            return
        if (state, error) != (was, told):
            self.log.error("bank_degraded", state=state, path=str(self.settings.path), error=error)
        self._drop_pending(BankUnavailable(f"{error}"))
        if state == "unavailable" and self.store is not None:
            store, self.store = self.store, None
            self._in_thread(store.close)
        if not self._stopping and self._retry is None:
            self._retry = self.context.schedule(self.settings.retry_interval, _Retry())

    def _found_corrupt(self, error: BaseException | None) -> None:
        """The file was found damaged in use: never write it again until it checks out whole."""
        self._corrupt = True
        self._set_state("unavailable", str(corrupt(self.settings.path, str(error))))

    def _describe(self, error: BaseException | None) -> str:
        return f"{self.settings.path}: {type(error).__name__}: {error}"

    def _in_thread[T](self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        if self._executor is None:
            raise BankUnavailable(f"{self.settings.path}: the bank is not running")
        return self.context.system.loop.run_in_executor(self._executor, function, *args)


def _tell_outcome(
    loop: asyncio.AbstractEventLoop,
    bank: ActorRef,
    batch: _Batch,
    done: concurrent.futures.Future[tuple[int, dict[int, str], float]],
) -> None:
    """In the database thread: have the loop tell the bank how ``batch``'s commit went."""
    try:
        message = _Committed(batch, done.result(), None)
    except Exception as exc:  # the commit's error, for the bank to handle
        message = _Committed(batch, None, exc)
    loop.call_soon_threadsafe(_tell, bank, message)


def _tell(bank: ActorRef, message: _Committed) -> None:
    # A full mailbox or a stopped bank: the pipe delivers the outcome, or on_stop takes it.
    with contextlib.suppress(ActorError):
        bank.tell(message)


def _commit(store: Store, writes: list[BankWrite]) -> tuple[int, dict[int, str], float]:
    """In the database thread: one batch, one transaction; with its duration in seconds."""
    started = time.perf_counter()
    rows, rejected = store.commit(writes, time.time())
    return rows, rejected, time.perf_counter() - started


def _connect(old: Store | None, settings: BankSettings, check: bool) -> tuple[Store, str | None]:
    """In the database thread: open the database (again) and try a write.

    Args:
        old: the store to close first.
        settings: where and how.
        check: read the whole file first (it was found corrupt before).

    Returns:
        The store, and why it cannot be written (None if it can).

    Raises:
        ForeignDatabase: not arbiter's database, or corrupt.
        sqlite3.Error, OSError: it cannot be opened.
    """
    if old is not None:
        old.close()
    store = Store.open(
        settings.path, synchronous=settings.synchronous, busy_timeout=settings.busy_timeout
    )
    try:
        if check:
            store.check()
        store.probe(time.time())
    except sqlite3.Error as exc:
        return store, f"{type(exc).__name__}: {exc}"
    except BaseException:
        store.close()
        raise
    return store, None
