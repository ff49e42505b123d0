"""`ActorSystem`: the root of the tree, the clock, dead letters and the event stream."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Self

import structlog

from runtime._actor import Actor
from runtime._cell import ActorCell
from runtime._clock import Clock, LoopClock
from runtime._context import child_spec
from runtime._deadlines import AskDeadlines
from runtime._events import EventStream
from runtime._exceptions import ActorDead, NoHandler
from runtime._signals import DeadLetter
from runtime._supervision import ChildSpec, RestartType, SupervisorPolicy

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from messages.health import ActorSnapshot
    from runtime._mailbox import MailboxConfig
    from runtime._ref import ActorRef

__all__ = ["ActorSystem"]

_log = structlog.get_logger("arbiter.kernel")

# Dead letters are logged at most this many per second; the rest are counted
# and summarised, so a flood of them cannot flood the log too.
_DEAD_LETTER_LOGS_PER_S = 20


class _RootGuardian(Actor):
    """The root of the tree: supervises top-level actors, handles nothing itself."""


class ActorSystem:
    """A tree of actors on one event loop.

    Use it as an async context manager (`start` on enter, `shutdown` on exit)
    or call those yourself. A root that gives up on a child (the child failed
    more often than the root's supervision policy allows) stops the whole
    system and records the error in `failure`.

    Args:
        name: the system's name, for logs.
        clock: time source for timers, ask timeouts, backoff and restart
            windows; the loop's clock by default, a `ManualClock` in tests.
        metrics: keep per-message latency histograms (handling time and
            mailbox wait). Counters of messages are kept regardless.
        supervision: the policy of actors that declare none, the root's included.
        shutdown_timeout: seconds the whole tree gets to stop.
    """

    def __init__(
        self,
        name: str = "arbiter",
        *,
        clock: Clock | None = None,
        metrics: bool = True,
        supervision: SupervisorPolicy | None = None,
        shutdown_timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.metrics = metrics
        self.supervision = supervision or SupervisorPolicy()
        self.shutdown_timeout = shutdown_timeout
        self.events = EventStream()
        self.current_path: str | None = None
        self.dead_letters_total = 0
        self.failure: Exception | None = None
        self._clock = clock
        self._deadlines: AskDeadlines | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._root: ActorCell | None = None
        self._shutdown: asyncio.Future[None] | None = None
        self._dead_letter_window = 0.0
        self._dead_letters_logged = 0
        self._dead_letters_suppressed = 0

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise ActorDead(f"actor system {self.name!r} is not started")
        return self._loop

    @property
    def clock(self) -> Clock:
        if self._clock is None:
            self._clock = LoopClock(self.loop)
        return self._clock

    @property
    def deadlines(self) -> AskDeadlines:
        if self._deadlines is None:
            self._deadlines = AskDeadlines(self.clock)
        return self._deadlines

    @property
    def root(self) -> ActorCell:
        if self._root is None:
            raise ActorDead(f"actor system {self.name!r} is not started")
        return self._root

    @property
    def running(self) -> bool:
        """True from `start` until the root has begun to stop."""
        return self._root is not None and self._root.alive

    async def start(self) -> Self:
        """Start the root guardian on the running loop."""
        if self._root is not None:
            return self
        self._loop = asyncio.get_running_loop()
        root_spec = ChildSpec(
            factory=_RootGuardian, name="", shutdown_timeout=self.shutdown_timeout
        )
        self._root = ActorCell(self, None, root_spec)
        error = await self._root.start_instance(None, restarting=False)
        if error is not None:
            raise error
        _log.info("system_started", system=self.name)
        return self

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    async def spawn(
        self,
        factory: Callable[[], Actor],
        *,
        name: str | None = None,
        restart: RestartType | str = RestartType.PERMANENT,
        mailbox: MailboxConfig | None = None,
        shutdown_timeout: float = 5.0,
        throughput: int = 64,
    ) -> ActorRef:
        """Start a top-level actor under the root guardian (see `ActorContext.spawn`)."""
        spec = child_spec(
            factory,
            name=name,
            restart=restart,
            mailbox=mailbox,
            shutdown_timeout=shutdown_timeout,
            throughput=throughput,
        )
        return await self.root.spawn_child(spec)

    async def spawn_pykka(self, actor_class: type[Any], *args: Any, **options: Any) -> ActorRef:
        """Start a top-level pykka ``ThreadingActor`` (see `ActorContext.spawn_pykka`)."""
        return await self.root.context.spawn_pykka(actor_class, *args, **options)

    def lookup(self, path: str) -> ActorRef | None:
        """The live actor at an absolute path like ``/app/chain/devnet``, or None."""
        cell = self.root
        for part in path.strip("/").split("/") if path.strip("/") else []:
            child = cell.children.get(part)
            if child is None:
                return None
            cell = child
        return cell.ref

    def snapshot(self) -> list[ActorSnapshot]:
        """Every live actor's health, parents before children, siblings in start order."""
        out: list[ActorSnapshot] = []
        stack = [self.root]
        while stack:
            cell = stack.pop()
            out.append(cell.snapshot())
            stack.extend(reversed(list(cell.children.values())))
        return out

    def dead_letter(
        self,
        message: Any,
        target: ActorCell,
        reason: str,
        reply: asyncio.Future[Any] | None,
        sender: str | None = None,
    ) -> None:
        """Count, log and publish a message no actor will handle; fail its ask.

        ``sender`` is the path of the actor that sent the message, None if no
        actor did: callers pass it, as only they know whether it is the
        current path or one recorded when the message was queued.
        """
        self.dead_letters_total += 1
        if reply is not None and not reply.done():
            error = (
                NoHandler(f"{target.path} has no handler for {type(message).__name__}")
                if reason == "no handler"
                else ActorDead(f"{target.path} stopped before handling {type(message).__name__}")
            )
            reply.set_exception(error)
        self._log_dead_letter(message, target.path, reason, sender)
        if not isinstance(message, DeadLetter) and self.events.has_subscribers(DeadLetter):
            self.events.publish(
                DeadLetter(message=message, sender=sender, target=target.path, reason=reason)
            )

    def _log_dead_letter(self, message: Any, target: str, reason: str, sender: str | None) -> None:
        now = self.clock.time()
        if now - self._dead_letter_window >= 1.0:
            if self._dead_letters_suppressed:
                _log.warning("dead_letters_suppressed", count=self._dead_letters_suppressed)
            self._dead_letter_window = now
            self._dead_letters_logged = 0
            self._dead_letters_suppressed = 0
        if self._dead_letters_logged >= _DEAD_LETTER_LOGS_PER_S:
            self._dead_letters_suppressed += 1
            return
        self._dead_letters_logged += 1
        _log.info(
            "dead_letter",
            message_type=type(message).__name__,
            sender=sender,
            target=target,
            reason=reason,
        )

    def root_failed(self, error: Exception) -> None:
        """The root gave up: record why and stop everything."""
        self.failure = error
        _log.critical("root_escalated", system=self.name, error=repr(error))
        self.request_shutdown()

    def request_shutdown(self) -> None:
        """Begin a graceful shutdown without waiting for it (safe from handlers and signals)."""
        if self._shutdown is None and self._root is not None:
            self._shutdown = self._root.stop(self.failure)

    async def shutdown(self) -> None:
        """Stop the whole tree top-down within `shutdown_timeout`; idempotent.

        Children stop before their parents, siblings in reverse start order.
        """
        if self._root is None:
            return
        self.request_shutdown()
        if self._shutdown is not None:
            await self._shutdown
        if self._deadlines is not None:
            self._deadlines.close()
        _log.info("system_stopped", system=self.name, failed=self.failure is not None)

    async def wait_stopped(self) -> None:
        """Wait until the tree has stopped (after `shutdown` or a root escalation)."""
        root = self.root
        if root.alive:
            root_stopped = root._terminated
            if root_stopped is None:
                root_stopped = root._terminated = self.loop.create_future()
            await asyncio.shield(root_stopped)
