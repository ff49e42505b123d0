"""The actor cell: one actor's mailbox, scheduling, counters and lifecycle.

The user's `Actor` holds the state; the cell is the kernel's side of it and
outlives restarts, so refs stay valid while instances come and go.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
import traceback
from asyncio import Task
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

import structlog

from messages.health import ActorSnapshot
from runtime import _actor
from runtime._clock import sleep
from runtime._context import ActorContext
from runtime._deferred import Deferred
from runtime._exceptions import (
    ActorDead,
    ActorNameTaken,
    Escalated,
    InvalidActor,
    MailboxFull,
    MessageDropped,
    Rejected,
)
from runtime._histogram import Histogram
from runtime._inline import eager
from runtime._mailbox import CoalescingQueue, Envelope, OverflowPolicy
from runtime._ref import ActorRef
from runtime._signals import Terminated
from runtime._supervision import (
    ChildSpec,
    RestartType,
    RestartWindow,
    SupervisorPolicy,
    restart_group,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from runtime._pipes import Pipe
    from runtime._system import ActorSystem
    from runtime._timers import Timer

    Owned = Timer | Pipe | Deferred[Any]

__all__ = ["ActorCell", "State"]

_log = structlog.get_logger("arbiter.kernel")
_NAME = re.compile(r"[a-z0-9_-]+")
_now_ns = time.perf_counter_ns


class State:
    """Lifecycle states; the order matters: a cell accepts messages below STOPPING."""

    STARTING = 0
    RUNNING = 1
    RESTARTING = 2
    FAILED = 3
    STOPPING = 4
    STOPPED = 5
    NAMES = ("starting", "running", "restarting", "failed", "stopping", "stopped")


class ActorCell:
    """The kernel's record of one actor. Not thread-safe: lives on one event loop."""

    __slots__ = (
        "__weakref__",
        "_actor",
        "_busy",
        "_capacity",
        "_context",
        "_dequeued",
        "_inflight",
        "_instance_down",
        "_last_trace",
        "_loop",
        "_metered",
        "_open",
        "_paused",
        "_pending_failures",
        "_policy",
        "_priority",
        "_queue",
        "_quiet",
        "_recent_restarts",
        "_restarting",
        "_scheduled",
        "_space_waiters",
        "_starting",
        "_state",
        "_stop_task",
        "_supervising",
        "_table",
        "_terminated",
        "_throughput",
        "_timers",
        "_watchers",
        "_watching",
        "_window",
        "children",
        "dropped",
        "failed",
        "handle_time",
        "handled",
        "high_water",
        "last_error",
        "mailbox_wait",
        "name",
        "parent",
        "path",
        "received_priority",
        "ref",
        "rejected",
        "restarts",
        "retired",
        "spec",
        "started_at",
        "system",
    )

    def __init__(self, system: ActorSystem, parent: ActorCell | None, spec: ChildSpec) -> None:  # noqa: PLR0915 - every slot set in one place
        self.system = system
        self.parent = parent
        self.spec = spec
        self.name = spec.name
        self.path: str = "/" if parent is None else f"{parent.path.rstrip('/')}/{spec.name}"
        self.ref = ActorRef(self)
        self.children: dict[str, ActorCell] = {}
        # Names of permanent children stopped for good while this actor ran on.
        self.retired: set[str] = set()
        self._loop = system.loop
        self._metered = system.metrics
        mailbox = spec.mailbox
        self._capacity = mailbox.capacity
        self._policy = mailbox.policy
        self._queue: deque[Envelope] | CoalescingQueue = (
            CoalescingQueue(mailbox.key, self._replaced) if mailbox.key is not None else deque()
        )
        self._priority: deque[Envelope] | None = None
        self._quiet = 7  # the first message to an empty mailbox is sampled
        self._throughput = spec.throughput
        self._state = State.STARTING
        self._open = False
        self._scheduled = False
        self._busy = False
        self._paused = False
        self._actor: _actor.Actor | None = None
        self._table: dict[type, _actor.Handler | None] = {}
        self._context: ActorContext | None = None
        self._inflight: asyncio.Task[Any] | None = None
        self._instance_down: asyncio.Future[None] | None = None
        self._stop_task: asyncio.Future[None] | None = None
        self._terminated: asyncio.Future[None] | None = None
        self._space_waiters: deque[asyncio.Future[None]] | None = None
        self._timers: set[Owned] | None = None
        self._watchers: set[ActorCell] | None = None
        self._watching: set[ActorCell] | None = None
        self._window: RestartWindow | None = None
        self._supervising = False
        self._pending_failures: deque[tuple[ActorCell, Exception | None]] | None = None
        self._recent_restarts: deque[float] | None = None
        self._restarting: asyncio.Future[None] | None = None
        self._starting: asyncio.Task[None] | None = None
        self._dequeued = 0
        self.received_priority = 0
        self.handled = 0
        self.failed = 0
        self.rejected = 0
        self.dropped = 0
        self.restarts = 0
        self.high_water = 0
        self.last_error: str | None = None
        self._last_trace: traceback.StackSummary | None = None
        self.started_at = 0.0
        # Made on the first sample: an idle actor's cost is mostly objects the
        # collector tracks (`benchmarks/runtime.py`, case ``spawn``).
        self.handle_time: Histogram | None = None
        self.mailbox_wait: Histogram | None = None

    # -- state ------------------------------------------------------------

    @property
    def state(self) -> str:
        return State.NAMES[self._state]

    @property
    def alive(self) -> bool:
        return self._state < State.STOPPING

    @property
    def last_traceback(self) -> str | None:
        """The last failure's innermost frames, formatted (None before the first failure)."""
        if self._last_trace is None:
            return None
        return f"{self.last_error}\n" + "".join(self._last_trace.format())

    @property
    def received(self) -> int:
        """Messages that arrived: taken out, dropped or still queued (tallied per drain)."""
        return self._dequeued + self.dropped + len(self._queue) + self.received_priority

    @property
    def mailbox_depth(self) -> int:
        return len(self._queue) + (len(self._priority) if self._priority else 0)

    @property
    def context(self) -> ActorContext:
        if self._context is None:
            self._context = ActorContext(self)
        return self._context

    def _reopen(self) -> None:
        """Recompute whether the drain may run, and schedule it if there is work."""
        self._open = self._state == State.RUNNING and not self._paused and not self._busy
        if self._open and not self._scheduled and (self._queue or self._priority):
            self._scheduled = True
            self._loop.call_soon(self._drain)

    def pause(self) -> None:
        """Stop taking user messages until `resume`; the priority lane still flows."""
        self._paused = True
        self._open = False

    def resume(self) -> None:
        self._paused = False
        self._reopen()

    # -- enqueue (hot path: benchmarks/runtime.py, cases tell and ask) ------

    def enqueue(self, message: Any, reply: asyncio.Future[Any] | None = None) -> None:
        """Queue a user message; raises `MailboxFull` only under backpressure."""
        if self._state >= State.STOPPING:
            self.system.dead_letter(message, self, "stopped", reply, self.system.current_path)
            return
        queue = self._queue
        depth = len(queue)
        if depth >= self._capacity and not self._overflow(message, reply):
            return
        # Latency is sampled, one in 8 messages that find the mailbox empty and
        # one in 64 of a backlog: timing every message would cost a third of
        # a tell. Counters are kept per drain, not here: see `received`.
        stamp = 0
        if self._metered:
            if depth:
                if not depth & 63:
                    stamp = _now_ns()
            else:
                self._quiet = quiet = self._quiet + 1
                if not quiet & 7:
                    stamp = _now_ns()
        queue.append((message, reply, stamp, self.system.current_path))
        if self._open and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._drain)

    def offer(self, message: Any) -> bool:
        """Queue a message without ever raising: a full backpressure mailbox drops it."""
        try:
            self.enqueue(message, None)
        except MailboxFull:
            self.dropped += 1
            return False
        return True

    def enqueue_priority(self, message: Any) -> None:
        """Queue a message on the priority lane: handled first, never dropped."""
        if self._state >= State.STOPPING:
            self.system.dead_letter(message, self, "stopped", None, self.system.current_path)
            return
        if self._priority is None:
            self._priority = deque()
        self._priority.append((message, None, 0, self.system.current_path))
        self.received_priority += 1
        if self._state == State.RUNNING and not self._busy and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._drain)

    def _overflow(self, message: Any, reply: asyncio.Future[Any] | None) -> bool:
        """A message arrived at a full mailbox; True if it may still be appended."""
        policy = self._policy
        if policy is OverflowPolicy.BACKPRESSURE:
            raise MailboxFull(f"mailbox of {self.path} is full ({self._capacity} messages)")
        if policy is OverflowPolicy.DROP_NEWEST:
            self._drop((message, reply, 0, None))
            return False
        queue = self._queue
        if isinstance(queue, CoalescingQueue) and queue.has_key_of(message):
            return True
        self.high_water = self._capacity
        self._drop(queue.popleft())
        return True

    def _replaced(self, envelope: Envelope) -> None:
        self._drop(envelope)

    def _drop(self, envelope: Envelope) -> None:
        self.dropped += 1
        reply = envelope[1]
        if reply is not None and not reply.done():
            reply.set_exception(
                MessageDropped(f"{type(envelope[0]).__name__} dropped by {self.path}'s mailbox")
            )

    def is_full(self) -> bool:
        return (
            len(self._queue) >= self._capacity
            and self._policy is OverflowPolicy.BACKPRESSURE
            and self._state < State.STOPPING
        )

    def wait_for_space(self) -> asyncio.Future[None]:
        if self._space_waiters is None:
            self._space_waiters = deque()
        waiter = self._loop.create_future()
        self._space_waiters.append(waiter)
        return waiter

    def _wake_senders(self) -> None:
        waiters = self._space_waiters
        room = self._capacity - len(self._queue)
        while waiters and (room > 0 or self._state >= State.STOPPING):
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                room -= 1

    # -- drain (hot path: benchmarks/runtime.py, cases tell and ask) --------

    def _drain(self) -> None:  # noqa: C901, PLR0912, PLR0915 - the hot loop is inlined on purpose
        self._scheduled = False
        if self._priority:
            self._drain_priority()
        if not self._open:
            return
        queue = self._queue
        # Between drains the queue only grows, so its depth now is the peak.
        self.high_water = max(self.high_water, len(queue))
        actor = self._actor
        table = self._table
        system = self.system
        loop = self._loop
        throughput = budget = self._throughput
        message: Any = None
        reply: asyncio.Future[Any] | None = None
        system.current_path = self.path
        started = 0
        try:
            while queue and budget and self._open:
                budget -= 1
                message, reply, stamp, sender = queue.popleft()
                if stamp:
                    started = _now_ns()
                handler = table.get(message.__class__)
                if handler is None:
                    handler = self._unhandled(message, reply, sender)
                    if handler is None:
                        self.handled -= 1  # the batch tally counts every message taken
                        continue
                function, is_async = handler
                if is_async:
                    task = Task(function(actor, message), loop=loop, eager_start=True)
                    if not task.done():
                        self._count(throughput - budget, handled=throughput - budget - 1)
                        self._suspend(task, message, reply, stamp and started)
                        return
                    result = task.result()
                else:
                    result = function(actor, message)
                if reply is not None and not reply.done():
                    if result.__class__ is Deferred:
                        result.attach(reply, self)
                    else:
                        reply.set_result(result)
                if stamp:
                    self._sample(_now_ns() - started, started - stamp)
        except Exception as exc:
            self._count(throughput - budget, handled=throughput - budget - 1)
            self._handler_failed(exc, message, reply)
            return
        finally:
            system.current_path = None
            if self._space_waiters:
                self._wake_senders()
        self._count(throughput - budget, handled=throughput - budget)
        self.high_water = max(self.high_water, len(queue))
        if queue and self._open and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._drain)

    def _sample(self, handle_ns: int, wait_ns: int | None) -> None:
        """Record one timed message's handling time and, if known, its mailbox wait."""
        if self.handle_time is None:
            self.handle_time = Histogram()
            self.mailbox_wait = Histogram()
        self.handle_time.record(handle_ns)
        if wait_ns is not None and self.mailbox_wait is not None:
            self.mailbox_wait.record(wait_ns)

    def _count(self, dequeued: int, handled: int) -> None:
        """Add a drain's tally (messages without a handler were taken off `handled` already)."""
        self._dequeued += dequeued
        self.handled += handled

    def _drain_priority(self) -> None:
        """Handle the priority lane (Terminated and the like) before any user message."""
        priority = self._priority
        while priority and self._state == State.RUNNING and not self._busy:
            message, reply, _, sender = priority.popleft()
            handler = self._table.get(message.__class__) or self._unhandled(message, reply, sender)
            if handler is None:
                continue
            function, is_async = handler
            try:
                if is_async:
                    task = Task(function(self._actor, message), loop=self._loop, eager_start=True)
                    if not task.done():
                        self._suspend(task, message, None, 0)
                        return
                    task.result()
                else:
                    function(self._actor, message)
            except Exception as exc:
                self._handler_failed(exc, message, None)
                return
            self.handled += 1

    def _unhandled(
        self, message: Any, reply: asyncio.Future[Any] | None, sender: str | None
    ) -> _actor.Handler | None:
        message_type = message.__class__
        if message_type not in self._table:
            handler = _actor.resolve_handler(self._table, message_type)
            if handler is not None:
                return handler
        # The sender recorded at enqueue: during this drain the current path is our own.
        self.system.dead_letter(message, self, "no handler", reply, sender)
        return None

    def _suspend(
        self,
        task: asyncio.Task[Any],
        message: Any,
        reply: asyncio.Future[Any] | None,
        started: int,
    ) -> None:
        """An async handler awaits: the actor takes nothing else until its task ends."""
        self._busy = True
        self._open = False
        self._inflight = task
        task.add_done_callback(partial(self._resumed, message, reply, started))

    def _resumed(
        self,
        message: Any,
        reply: asyncio.Future[Any] | None,
        started: int,
        task: asyncio.Task[Any],
    ) -> None:
        self._inflight = None
        self._busy = False
        if task.cancelled():
            if reply is not None and not reply.done():
                reply.set_exception(ActorDead(f"{self.path} stopped while handling the message"))
            return
        error = task.exception()
        if error is not None:
            if isinstance(error, Exception):
                self._handler_failed(error, message, reply)
                return
            raise error
        if reply is not None and not reply.done():
            result = task.result()
            if result.__class__ is Deferred:
                result.attach(reply, self)
            else:
                reply.set_result(result)
        self.handled += 1
        if started:
            self._sample(_now_ns() - started, None)
        self._reopen()

    # -- failure ------------------------------------------------------------

    def _handler_failed(
        self, error: Exception, message: Any, reply: asyncio.Future[Any] | None
    ) -> None:
        if isinstance(error, Rejected):
            self._rejected(error, message, reply)
            return
        self.failed += 1
        if reply is not None and not reply.done():
            reply.set_exception(error)
        self.fail(error, message_type=type(message).__name__)

    def _rejected(self, error: Rejected, message: Any, reply: asyncio.Future[Any] | None) -> None:
        """A handler refused its message: answer the asker, then take the next one."""
        self.handled += 1
        self.rejected += 1
        if reply is not None:
            if not reply.done():
                reply.set_exception(error)
        else:
            _log.warning(
                "message_rejected",
                actor=self.path,
                message_type=type(message).__name__,
                error=str(error),
            )
        self._reopen()

    def fail(self, error: Exception, message_type: str | None = None) -> None:
        """Mark the actor failed and hand the decision to its supervisor."""
        if self._state >= State.STOPPING:
            return
        self.last_error = f"{type(error).__name__}: {error}"
        # The frames' names and lines only: reading source to format them
        # would be nine tenths of a restart (`benchmarks/runtime.py`, case
        # ``restart``); `last_traceback` formats on demand.
        self._last_trace = traceback.StackSummary.extract(
            traceback.walk_tb(error.__traceback__), limit=8, lookup_lines=False
        )
        self._state = State.FAILED
        self._open = False
        _log.error(
            "actor_failed",
            actor=self.path,
            message_type=message_type,
            error=self.last_error,
        )
        if self.parent is None:
            self.system.root_failed(error)
        else:
            self._loop.call_soon(self.parent.child_ended, self, error)

    def exit_normally(self) -> None:
        """The actor stopped itself: its supervisor decides, by restart type."""
        if self._state >= State.STOPPING:
            return
        if self.parent is None:
            self._loop.call_soon(self.system.request_shutdown)
            return
        self._state = State.FAILED
        self._open = False
        self._loop.call_soon(self.parent.child_ended, self, None)

    # -- starting and stopping one instance ---------------------------------

    async def start_instance(self, cause: Exception | None, restarting: bool) -> Exception | None:
        """Create a fresh actor and run its start hooks; return the error if they failed.

        Raises:
            InvalidActor: the factory does not make an `Actor` or its handlers are invalid.
        """
        if self._state >= State.STOPPING:
            return None
        context = self.context
        _actor._constructing.append(context)
        try:
            instance = self.spec.factory()
        except InvalidActor:
            raise
        except Exception as exc:
            return exc
        finally:
            _actor._constructing.pop()
        if not isinstance(instance, _actor.Actor):
            raise InvalidActor(f"the factory of {self.path} made {instance!r}, not an Actor")
        self._table = _actor.handler_table(type(instance))
        self._actor = instance
        self._instance_down = None
        # As a restarted OTP supervisor, a fresh instance counts its children's restarts afresh.
        self._window = None
        try:
            if restarting:
                await _maybe_await(instance.on_restart(cause))
            started = instance.on_start()
            if inspect.isawaitable(started) and not await self._await_start(started):
                return None  # stopped while its on_start awaited: whoever stopped it decides next
        except Exception as exc:
            return exc
        if self._state >= State.STOPPING or self._actor is not instance:
            return None  # stopped while its on_start awaited: whoever stopped it decides next
        self._state = State.RUNNING
        self.started_at = self.system.clock.time()
        self._reopen()
        return None

    async def _await_start(self, started: Awaitable[Any]) -> bool:
        """Await an async ``on_start`` as a task, which a stop meanwhile cancels.

        Without it, a stop while ``on_start`` awaits ran ``on_stop`` first, and
        the rest of ``on_start`` later, on an instance nobody would stop again.

        Returns:
            False if a stop cancelled it; raises what ``on_start`` raised.
        """
        task = eager(_maybe_await(started))
        if not task.done():
            self._starting = task
            try:
                await asyncio.wait([task])
            except asyncio.CancelledError:
                task.cancel()
                raise
            finally:
                self._starting = None
        if task.cancelled():
            return False
        task.result()
        return True

    async def stop_instance(self) -> None:
        """Stop the current instance: its handler in flight, its children, its `on_stop`.

        Idempotent; concurrent callers wait for the same shutdown.
        """
        if self._instance_down is not None:
            await asyncio.shield(self._instance_down)
            return
        self._instance_down = self._loop.create_future()
        self._open = False
        try:
            self._cancel_timers()
            self._unwatch_all()
            if self._starting is not None:
                self._starting.cancel()
                await asyncio.wait([self._starting])
            if self._inflight is not None:
                await asyncio.wait([self._inflight])
            for child in reversed(list(self.children.values())):
                await child.stop()
            if self._actor is not None:
                try:
                    await _maybe_await(self._actor.on_stop())
                except Exception as exc:
                    _log.error("on_stop_failed", actor=self.path, error=repr(exc))
        finally:
            if self._inflight is not None:
                self._inflight.cancel()
            for child in reversed(list(self.children.values())):
                child.force_stop()
            self._actor = None
            self._instance_down.set_result(None)

    def _cancel_timers(self) -> None:
        if self._timers:
            for timer in list(self._timers):
                timer.cancel()
            self._timers.clear()

    def add_owned(self, owned: Owned) -> None:
        """Track a timer or pipe of the current instance, to cancel it at stop or restart."""
        if self._timers is None:
            self._timers = set()
        self._timers.add(owned)

    def discard_owned(self, owned: Owned) -> None:
        if self._timers:
            self._timers.discard(owned)

    # -- stop for good ------------------------------------------------------

    def stop(self, reason: Exception | None = None) -> asyncio.Future[None]:
        """Stop this actor for good, within its shutdown timeout; idempotent.

        Returns:
            A future that completes when the actor has stopped (never fails).
        """
        if self._terminated is None:
            self._terminated = self._loop.create_future()
        if self._state < State.STOPPING:
            self._state = State.STOPPING
            self._open = False
            task = eager(self._terminate(reason))
            self._stop_task = task
            if not task.done():
                overdue = self.system.clock.call_later(
                    self.spec.shutdown_timeout, self._shutdown_overdue, task
                )
                task.add_done_callback(lambda _: overdue.cancel())
        return asyncio.shield(self._terminated)

    async def _terminate(self, reason: Exception | None) -> None:
        try:
            await self.stop_instance()
        finally:
            self._finalize(reason)

    def _shutdown_overdue(self, task: asyncio.Future[None]) -> None:
        timeout = self.spec.shutdown_timeout
        inflight = self._inflight
        if inflight is not None and not inflight.done():
            # The handler holds the stop up: cancel it alone, so that the
            # children and `on_stop` still run and release what the actor owns.
            # What is still pending one more timeout later is cancelled whole.
            _log.warning(
                "shutdown_timeout", actor=self.path, timeout_s=timeout, cancelled="handler"
            )
            inflight.cancel()
            overdue = self.system.clock.call_later(timeout, self._shutdown_overdue, task)
            task.add_done_callback(lambda _: overdue.cancel())
            return
        _log.warning("shutdown_timeout", actor=self.path, timeout_s=timeout, cancelled="stop")
        task.cancel()

    def force_stop(self) -> None:
        """Stop at once, cancelling whatever the stop is waiting for (after a timeout)."""
        if self._state == State.STOPPED:
            return
        if self._stop_task is not None and not self._stop_task.done():
            self._stop_task.cancel()
            return
        if self._starting is not None:
            self._starting.cancel()
        if self._inflight is not None:
            self._inflight.cancel()
        for child in reversed(list(self.children.values())):
            child.force_stop()
        self._cancel_timers()
        self._finalize(None)

    def _finalize(self, reason: Exception | None) -> None:
        if self._state == State.STOPPED:
            return
        self._state = State.STOPPED
        self._open = False
        self._actor = None
        self._dead_letter_queued()
        if self._space_waiters:
            self._wake_senders()
        self._unwatch_all()
        if self._watchers:
            for watcher in self._watchers:
                watcher.enqueue_priority(Terminated(ref=self.ref, reason=reason))
            self._watchers = None
        self.system.events.unsubscribe_all(self.ref)
        parent = self.parent
        if parent is not None and parent.children.get(self.name) is self:
            del parent.children[self.name]
            if self.spec.restart is RestartType.PERMANENT and parent._state == State.RUNNING:
                # Stopped on request while its supervisor runs on: nobody will
                # restart it, and /readyz must be able to say so.
                parent.retired.add(self.name)
        if self._terminated is None:
            self._terminated = self._loop.create_future()
        if not self._terminated.done():
            self._terminated.set_result(None)
        _log.debug("actor_stopped", actor=self.path, reason=repr(reason) if reason else None)

    def _dead_letter_queued(self) -> None:
        for lane in (self._priority, self._queue):
            while lane:
                message, reply, _, sender = lane.popleft()
                if lane is self._queue:
                    self._dequeued += 1
                self.system.dead_letter(message, self, "stopped", reply, sender)

    # -- watch --------------------------------------------------------------

    def watch(self, target: ActorCell) -> None:
        """Deliver `Terminated` to this actor when ``target`` stops (at once if it has)."""
        if target._state == State.STOPPED:
            self.enqueue_priority(Terminated(ref=target.ref, reason=None))
            return
        if target._watchers is None:
            target._watchers = set()
        target._watchers.add(self)
        if self._watching is None:
            self._watching = set()
        self._watching.add(target)

    def unwatch(self, target: ActorCell) -> None:
        if target._watchers:
            target._watchers.discard(self)
        if self._watching:
            self._watching.discard(target)

    def _unwatch_all(self) -> None:
        if self._watching:
            for target in self._watching:
                if target._watchers:
                    target._watchers.discard(self)
            self._watching = None

    # -- children and supervision -------------------------------------------

    async def spawn_child(
        self, spec: ChildSpec, cell_type: type[ActorCell] | None = None
    ) -> ActorRef:
        """Create, register and start a child; its start failure goes to supervision."""
        if self._state >= State.STOPPING:
            raise ActorDead(f"{self.path} is stopping and cannot spawn {spec.name!r}")
        if not _NAME.fullmatch(spec.name):
            raise ValueError(f"actor name {spec.name!r} must match [a-z0-9_-]+")
        if spec.name in self.children:
            raise ActorNameTaken(f"{self.path} already has a child named {spec.name!r}")
        child = (cell_type or ActorCell)(self.system, self, spec)
        self.children[spec.name] = child
        self.retired.discard(spec.name)
        try:
            error = await child.start_instance(None, restarting=False)
        except InvalidActor:
            del self.children[spec.name]
            child._finalize(None)
            raise
        if error is not None:
            child.failed += 1
            child.fail(error, message_type=None)
        return child.ref

    @property
    def policy(self) -> SupervisorPolicy:
        actor_policy = self._actor.supervision if self._actor is not None else None
        return actor_policy or self.system.supervision

    def child_ended(self, child: ActorCell, error: Exception | None) -> None:
        """A child failed (``error``) or stopped itself (None): decide, one case at a time."""
        if child.parent is not self or self.children.get(child.name) is not child:
            return
        # A restart runs on_start in RESTARTING once the old instance is down: the children
        # it spawns are live and must be supervised as on a first start.
        starting_again = self._state == State.RESTARTING and self._instance_down is None
        if self._state not in {State.RUNNING, State.STARTING} and not starting_again:
            return  # this actor failed, or is stopping its instance: every child goes anyway
        if self._supervising:
            if self._pending_failures is None:
                self._pending_failures = deque()
            self._pending_failures.append((child, error))
            return
        self._supervising = True
        eager(self._supervise(child, error)).add_done_callback(self._supervised)

    def _supervised(self, task: asyncio.Future[None]) -> None:
        self._supervising = False
        if not task.cancelled() and task.exception() is not None:
            _log.error("supervision_failed", actor=self.path, error=repr(task.exception()))
        if self._pending_failures:
            self.child_ended(*self._pending_failures.popleft())

    async def _supervise(self, child: ActorCell, error: Exception | None) -> None:
        restart = child.spec.restart
        if restart is RestartType.TEMPORARY or (restart is RestartType.TRANSIENT and error is None):
            await child.stop(error)
            return
        policy = self.policy
        if self._window is None:
            self._window = RestartWindow(policy.max_restarts, policy.within)
        now = self.system.clock.time()
        if not self._window.allow(now):
            _log.error(
                "restart_intensity_exceeded",
                actor=self.path,
                child=child.path,
                max_restarts=policy.max_restarts,
                within_s=policy.within,
            )
            await child.stop(error)
            self.failed += 1
            self.fail(Escalated(child.path, error))
            return
        names = restart_group(policy.strategy, list(self.children), child.name)
        group = [self.children[name] for name in names]
        for member in reversed(group):
            member._state = State.RESTARTING if member._state < State.STOPPING else member._state
            await member.stop_instance()
        delay = policy.backoff.delay(child._note_restart(now, policy.within))
        if delay > 0:
            await sleep(self.system.clock, delay)
        for member in group:
            if member is not child and member.spec.restart is RestartType.TEMPORARY:
                await member.stop(None)
                continue
            await member._restart_instance(error if member is child else None)

    def _note_restart(self, now: float, within: float) -> int:
        """Record a restart of this child; return how many fell within the window."""
        if self._recent_restarts is None:
            self._recent_restarts = deque()
        recent = self._recent_restarts
        recent.append(now)
        while recent and recent[0] <= now - within:
            recent.popleft()
        return len(recent)

    async def _restart_instance(self, cause: Exception | None) -> None:
        # Restarts run one after another: two at once would wait for the same stop,
        # then each start an instance, and the first of those would never be stopped.
        while self._restarting is not None:
            await asyncio.shield(self._restarting)
        if self._state >= State.STOPPING:
            return
        restarting = self._restarting = self._loop.create_future()
        try:
            self._state = State.RESTARTING
            self.restarts += 1
            # As a stop for good has its shutdown timeout, so has the stop of a
            # restart: a handler stuck in an await would otherwise hold it for ever.
            overdue = (
                self.system.clock.call_later(self.spec.shutdown_timeout, self._handler_overdue)
                if self._inflight is not None
                else None
            )
            try:
                await self.stop_instance()
            finally:
                if overdue is not None:
                    overdue.cancel()
            error = await self.start_instance(cause, restarting=True)
        finally:
            self._restarting = None
            restarting.set_result(None)
        if error is not None:
            self.failed += 1
            self.fail(error, message_type=None)
        else:
            _log.info("actor_restarted", actor=self.path, restarts=self.restarts)

    def _handler_overdue(self) -> None:
        if self._inflight is not None and not self._inflight.done():
            _log.warning("restart_timeout", actor=self.path, timeout_s=self.spec.shutdown_timeout)
            self._inflight.cancel()

    def restart(self) -> asyncio.Future[None]:
        """Restart on request (not a failure: no intensity counted); keeps the mailbox."""
        if self._state >= State.STOPPING:
            future: asyncio.Future[None] = self._loop.create_future()
            future.set_exception(ActorDead(f"{self.path} is stopped"))
            return future
        return eager(self._restart_instance(None))

    # -- health -------------------------------------------------------------

    def snapshot(self) -> ActorSnapshot:
        return ActorSnapshot(
            path=self.path,
            actor=self.actor_name(),
            state=self.state,
            supervisor=self.parent.path if self.parent is not None else None,
            paused=self._paused,
            mailbox_depth=self.mailbox_depth,
            mailbox_capacity=self._capacity,
            # The mark is raised per drain; a paused or busy actor's queue may be deeper now.
            mailbox_high_water=max(self.high_water, len(self._queue)),
            mailbox_policy=str(self._policy),
            received_total=self.received,
            handled_total=self.handled,
            failed_total=self.failed,
            rejected_total=self.rejected,
            dropped_total=self.dropped,
            restarts_total=self.restarts,
            last_error=self.last_error,
            uptime_s=(
                round(self.system.clock.time() - self.started_at, 3)
                if self._state == State.RUNNING
                else 0.0
            ),
            handle_time_p50_us=_quantile_us(self.handle_time, 0.5),
            handle_time_p99_us=_quantile_us(self.handle_time, 0.99),
            mailbox_wait_p50_us=_quantile_us(self.mailbox_wait, 0.5),
            mailbox_wait_p99_us=_quantile_us(self.mailbox_wait, 0.99),
            children=[child.path for child in self.children.values()],
        )

    def actor_name(self) -> str:
        """The class name of the actor (of the one the factory makes, between instances)."""
        if self._actor is not None:
            return type(self._actor).__name__
        factory = self.spec.factory
        while isinstance(factory, partial):
            factory = factory.func
        return getattr(factory, "__name__", None) or type(factory).__name__


def _quantile_us(histogram: Histogram | None, q: float) -> float | None:
    nanoseconds = None if histogram is None else histogram.quantile(q)
    return None if nanoseconds is None else round(nanoseconds / 1000, 3)


async def _maybe_await(result: Any) -> None:
    if inspect.isawaitable(result):
        await result
