"""The pykka bridge: a pykka ``ThreadingActor`` as a supervised child in the tree.

Blocking work (signing, decryption) runs in the pykka actor's own thread;
the event loop only awaits futures that the thread completes with
``call_soon_threadsafe``, so an ask never blocks the loop. An exception from
a handler is a failure exactly as in an asyncio actor: the asker gets it,
the pykka actor stops (pykka's own rule for unhandled errors), and its
supervisor restarts it with a fresh instance in a fresh thread.
"""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import pykka

from runtime._cell import ActorCell, State
from runtime._context import child_spec
from runtime._exceptions import MailboxFull

if TYPE_CHECKING:
    from types import TracebackType

    from runtime._ref import ActorRef
    from runtime._supervision import ChildSpec, RestartType

__all__ = ["PykkaCell", "spawn_pykka_child"]

_now_ns = time.perf_counter_ns


class _Call:
    """A message to the pykka actor, carrying where its outcome goes."""

    __slots__ = ("message", "reply", "sent_ns")

    def __init__(self, message: Any, reply: asyncio.Future[Any] | None, sent_ns: int) -> None:
        self.message = message
        self.reply = reply
        self.sent_ns = sent_ns


class _Bridge:
    """Mixed in before the user's pykka class; its hooks report to the cell on the loop."""

    _arbiter_cell: PykkaCell
    use_daemon_thread = True  # a thread stuck past its shutdown timeout must not hang exit

    def on_start(self) -> None:
        cell = self._arbiter_cell
        try:
            super().on_start()  # type: ignore[misc]
        except Exception as exc:
            cell.from_thread(cell.thread_started, exc)
            raise
        cell.from_thread(cell.thread_started, None)

    def on_receive(self, message: Any) -> Any:
        if type(message) is not _Call:
            return super().on_receive(message)  # type: ignore[misc]
        cell = self._arbiter_cell
        try:
            result = super().on_receive(message.message)  # type: ignore[misc]
        except Exception as exc:
            cell.from_thread(cell.settle, message, None, exc)
            raise
        cell.from_thread(cell.settle, message, result, None)
        return None

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        cell = self._arbiter_cell
        try:
            super().on_failure(exception_type, exception_value, traceback)  # type: ignore[misc]
        finally:
            # The kernel promises on_stop on every stop path; pykka skips it after a crash.
            try:
                self.on_stop()
            finally:
                cell.from_thread(cell.thread_crashed, exception_value)

    def on_stop(self) -> None:
        cell = self._arbiter_cell
        try:
            super().on_stop()  # type: ignore[misc]
        finally:
            cell.from_thread(cell.thread_stopped)


class PykkaCell(ActorCell):
    """An `ActorCell` whose actor lives in a pykka thread instead of on the loop."""

    __slots__ = (
        "_args",
        "_in_flight",
        "_kwargs",
        "_pykka_class",
        "_pykka_ref",
        "_started",
        "_stopped",
    )

    def __init__(self, system: Any, parent: ActorCell | None, spec: ChildSpec) -> None:
        super().__init__(system, parent, spec)
        parts: tuple[type[Any], tuple[Any, ...], dict[str, Any]] = spec.factory()  # type: ignore[assignment]
        actor_class, self._args, self._kwargs = parts
        self._pykka_class: type[Any] = type(
            f"Bridged{actor_class.__name__}", (_Bridge, actor_class), {"_arbiter_cell": self}
        )
        self._pykka_ref: pykka.ActorRef[Any] | None = None
        self._started: asyncio.Future[Exception | None] | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._in_flight: set[_Call] = set()

    def actor_name(self) -> str:
        return self._pykka_class.__mro__[2].__name__

    @property
    def mailbox_depth(self) -> int:
        return len(self._in_flight)

    def from_thread(self, callback: Any, *args: Any) -> None:
        """Run ``callback(*args)`` on the loop (the only way the thread touches the cell)."""
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            return  # the loop has closed: nobody is left to tell

    def enqueue(self, message: Any, reply: asyncio.Future[Any] | None = None) -> None:
        if self._state >= State.STOPPING or self._pykka_ref is None:
            self.system.dead_letter(message, self, "stopped", reply, self.system.current_path)
            return
        if len(self._in_flight) >= self._capacity:
            raise MailboxFull(f"mailbox of {self.path} is full ({self._capacity} messages)")
        call = _Call(message, reply, _now_ns())
        try:
            self._pykka_ref.tell(call)
        except pykka.ActorDeadError:
            self.system.dead_letter(message, self, "stopped", reply, self.system.current_path)
            return
        self._in_flight.add(call)
        self._dequeued += 1
        self.high_water = max(self.high_water, len(self._in_flight))

    def settle(self, call: _Call, result: Any, error: Exception | None) -> None:
        self._in_flight.discard(call)
        reply = call.reply
        if error is not None:
            self.failed += 1
            if reply is not None and not reply.done():
                reply.set_exception(error)
            return
        self.handled += 1
        if self._metered:
            self._sample(_now_ns() - call.sent_ns, None)
        if reply is not None and not reply.done():
            reply.set_result(result)

    def is_full(self) -> bool:
        return len(self._in_flight) >= self._capacity and self._state < State.STOPPING

    def thread_started(self, error: Exception | None) -> None:
        if self._started is not None and not self._started.done():
            self._started.set_result(error)

    def _abandon_in_flight(self) -> None:
        """Fail the asks the thread will never answer: it is gone."""
        for call in self._in_flight:
            self.system.dead_letter(call.message, self, "stopped", call.reply)
        self._in_flight.clear()

    def thread_crashed(self, error: BaseException | None) -> None:
        self._abandon_in_flight()
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)
        if self._started is not None and not self._started.done():
            return  # on_start failed: start_instance reports it
        if isinstance(error, Exception):
            self.fail(error, message_type=None)

    def thread_stopped(self) -> None:
        self._abandon_in_flight()
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)

    async def start_instance(self, cause: Exception | None, restarting: bool) -> Exception | None:
        if self._state >= State.STOPPING:
            return None
        self._started = self._loop.create_future()
        self._stopped = self._loop.create_future()
        self._instance_down = None
        try:
            self._pykka_ref = self._pykka_class.start(*self._args, **self._kwargs)
        except Exception as exc:
            return exc
        error = await self._started
        if error is not None:
            # pykka stops an actor whose on_start failed without calling on_stop or
            # on_failure, so `_stopped` is never settled: stop_instance must not wait for it.
            self._pykka_ref = None
            return error
        if self._state >= State.STOPPING:
            return None
        self._state = State.RUNNING
        self.started_at = self.system.clock.time()
        return None

    async def stop_instance(self) -> None:
        if self._instance_down is not None:
            await asyncio.shield(self._instance_down)
            return
        self._instance_down = self._loop.create_future()
        try:
            self._cancel_timers()
            ref = self._pykka_ref
            if ref is not None and ref.is_alive() and self._stopped is not None:
                ref.stop(block=False)
                await asyncio.shield(self._stopped)
        finally:
            self._pykka_ref = None
            self._instance_down.set_result(None)


async def spawn_pykka_child(
    parent: ActorCell,
    actor_class: type[Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    name: str | None,
    restart: RestartType | str,
    shutdown_timeout: float,
    capacity: int,
) -> ActorRef:
    """Start ``actor_class(*args, **kwargs)``, a pykka ``ThreadingActor``, as a child of ``parent``.

    ``tell`` and ``ask`` on the returned ref reach the actor's ``on_receive``
    in its thread; ``ask`` is awaitable and never blocks the loop. At most
    ``capacity`` messages may be outstanding (``tell``/``ask`` raise
    `MailboxFull` beyond, ``send`` waits). Its ``on_start`` runs in its thread
    before this returns; a failure there goes to supervision like any other.
    """
    if not (isinstance(actor_class, type) and issubclass(actor_class, pykka.ThreadingActor)):
        raise TypeError(f"{actor_class!r} is not a pykka.ThreadingActor subclass")
    from runtime._mailbox import MailboxConfig  # noqa: PLC0415 - keeps the bridge's imports local

    spec = child_spec(
        partial(_pykka_parts, actor_class, args, kwargs),
        name=name or actor_class.__name__.lower(),
        restart=restart,
        mailbox=MailboxConfig(capacity=capacity),
        shutdown_timeout=shutdown_timeout,
    )
    return await parent.spawn_child(spec, cell_type=PykkaCell)


def _pykka_parts(
    actor_class: type[Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[type[Any], tuple[Any, ...], dict[str, Any]]:
    return actor_class, args, kwargs
