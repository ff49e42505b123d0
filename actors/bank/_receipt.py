"""`Receipt`: the bank's answer to a write, completed when the write's transaction commits.

The kernel sets an ask's reply to what the handler returns, when it returns;
a write waits in a batch for its commit, and the bank must go on taking
writes meanwhile, or no batch would ever hold more than one. So the bank
answers at once with a receipt, and the receipt completes at the commit.
`write_durably` does both steps under one timeout.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from actors.bank._exceptions import BankError, WriteRejected
from runtime import DEFAULT_ASK_TIMEOUT, AskTimeout

if TYPE_CHECKING:
    from collections.abc import Generator

    from messages.bank import BankWrite
    from runtime import ActorRef

__all__ = ["Receipt", "Rejections", "failed_future", "write_durably"]

Rejections = dict[int, str]
"""What a batch's future completes with: ``id(write)`` -> why that write was rejected."""


class Receipt:
    """The outcome of one write: ``await receipt`` returns once it is committed.

    Many receipts share their batch's future; awaiting one never cancels it
    for the others (cancel the await freely).

    Raises (when awaited):
        BankUnavailable: the write was not recorded (the database could not
            be written, or the bank stopped before it could commit).
        WriteRejected: SQLite refused what the write holds; the rest of its
            batch was committed.
    """

    __slots__ = ("_future", "_write")

    def __init__(self, future: asyncio.Future[Rejections], write: BankWrite) -> None:
        self._future = future
        self._write = write

    @property
    def done(self) -> bool:
        """Whether the write's fate is known (committed, or not recorded)."""
        return self._future.done()

    def __await__(self) -> Generator[Any, None, None]:
        return self.wait(None).__await__()

    async def wait(self, timeout: float | None) -> None:
        """Wait at most ``timeout`` seconds (None: as long as it takes) for the commit.

        Raises:
            AskTimeout: not committed in time; the write may still be.
        """
        future = self._future
        if not future.done():
            try:
                async with asyncio.timeout(timeout):
                    await _settled(future)
            except TimeoutError:
                raise AskTimeout(
                    f"{type(self._write).__name__} not committed within {timeout} s; "
                    "it may still be"
                ) from None
        self._check()

    async def _wait_until(self, deadline: float) -> None:
        """`wait` until the loop's time ``deadline``: one timer handle, no `asyncio.timeout`.

        Written for speed: every acknowledged write waits here
        (`benchmarks/bank.py`, ``group_commit``).
        """
        future = self._future
        if not future.done():
            waiter = _settled(future)
            expiry = future.get_loop().call_at(deadline, _expire, waiter)
            try:
                await waiter
            finally:
                expiry.cancel()
        self._check()

    def _check(self) -> None:
        rejections = self._future.result()
        if rejections:
            reason = rejections.get(id(self._write))
            if reason is not None:
                raise WriteRejected(f"{type(self._write).__name__} rejected: {reason}")


def _settled(future: asyncio.Future[Rejections]) -> asyncio.Future[None]:
    """A future of the waiter's own, done when ``future`` is; cancelling it leaves ``future``.

    `asyncio.shield` for the hot path (`benchmarks/bank.py`): every acknowledged
    write waits on its batch's shared future this way.
    """
    waiter: asyncio.Future[None] = future.get_loop().create_future()

    def relay(_: asyncio.Future[Rejections]) -> None:
        if not waiter.done():
            waiter.set_result(None)

    future.add_done_callback(relay)
    return waiter


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def failed_future(loop: asyncio.AbstractEventLoop, error: BankError) -> asyncio.Future[Rejections]:
    """A future already failed with ``error``, whose error asyncio will not log if nobody awaits."""
    future: asyncio.Future[Rejections] = loop.create_future()
    fail(future, error)
    return future


def fail(future: asyncio.Future[Rejections], error: BankError) -> None:
    """Fail ``future`` with ``error`` (marked as seen: told writes' receipts are never awaited)."""
    if not future.done():
        future.set_exception(error)
        future.exception()


async def write_durably(
    bank: ActorRef, write: BankWrite, timeout: float = DEFAULT_ASK_TIMEOUT
) -> None:
    """Ask ``bank`` to record ``write`` and return once its transaction has committed.

    Args:
        bank: the bank (``/app/bank``).
        write: one of the ``Record*`` messages.
        timeout: seconds for the whole: the ask and the commit.

    Raises:
        BankUnavailable: the write was not recorded (disk full, read-only or
            unusable database; `GetBankHealth` says which).
        WriteRejected: SQLite refused what the write holds.
        AskTimeout: no answer or no commit in time; the write may still commit.
        ActorDead: the bank is not running.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        receipt: Receipt = await bank.ask(write, timeout=timeout)
        await receipt._wait_until(deadline)
    except TimeoutError as exc:
        if isinstance(exc, AskTimeout):
            raise
        raise AskTimeout(
            f"{type(write).__name__} not committed within {timeout} s; it may still be"
        ) from None
