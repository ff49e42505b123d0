"""`ActorContext`: what an actor can do besides handling messages."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any

import structlog

from messages.control import Pause, Restart, Resume, Stop
from runtime._mailbox import MailboxConfig
from runtime._pipes import Pipe, deliver_items, deliver_result
from runtime._supervision import ChildSpec, RestartType
from runtime._timers import Timer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from messages.health import ActorSnapshot
    from runtime._actor import Actor
    from runtime._cell import ActorCell
    from runtime._ref import ActorRef
    from runtime._system import ActorSystem

__all__ = ["ActorContext", "child_spec"]

_DEFAULT_MAILBOX = MailboxConfig()
_anonymous = itertools.count(1)


def child_spec(
    factory: Callable[[], Any],
    *,
    name: str | None = None,
    restart: RestartType | str = RestartType.PERMANENT,
    mailbox: MailboxConfig | None = None,
    shutdown_timeout: float = 5.0,
    throughput: int = 64,
) -> ChildSpec:
    """Build a `ChildSpec`, naming an unnamed child after its class.

    Raises:
        ValueError: a setting is out of range.
    """
    if name is None:
        base = re.sub(r"[^a-z0-9_-]", "", getattr(factory, "__name__", "actor").lower()) or "actor"
        name = f"{base}-{next(_anonymous)}"
    return ChildSpec(
        factory=factory,
        name=name,
        restart=RestartType(restart),
        mailbox=mailbox or _DEFAULT_MAILBOX,
        shutdown_timeout=shutdown_timeout,
        throughput=throughput,
    )


class ActorContext:
    """The actor's view of the kernel: its ref, parent, children, timers and watches.

    One per actor, kept across restarts. Use it only from the actor itself.
    """

    __slots__ = ("_cell", "_log")

    def __init__(self, cell: ActorCell) -> None:
        self._cell = cell
        self._log: structlog.typing.FilteringBoundLogger | None = None

    @property
    def self_ref(self) -> ActorRef:
        return self._cell.ref

    @property
    def parent(self) -> ActorRef | None:
        parent = self._cell.parent
        return parent.ref if parent is not None else None

    @property
    def system(self) -> ActorSystem:
        return self._cell.system

    @property
    def path(self) -> str:
        return self._cell.path

    @property
    def name(self) -> str:
        return self._cell.name

    @property
    def children(self) -> list[ActorRef]:
        """The live children, in start order."""
        return [child.ref for child in self._cell.children.values()]

    @property
    def log(self) -> structlog.typing.FilteringBoundLogger:
        if self._log is None:
            self._log = structlog.get_logger("arbiter").bind(actor=self._cell.path)
        return self._log

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
        """Start a child supervised by this actor; returns once its `on_start` has run.

        A failing `on_start` does not raise here: it is a failure like any
        other, handled by this actor's supervision policy.

        Raises:
            ValueError: the name is not ``[a-z0-9_-]+``.
            ActorNameTaken: a sibling has that name.
            InvalidActor: the factory does not make a valid `Actor`.
            ActorDead: this actor is stopping.
        """
        spec = child_spec(
            factory,
            name=name,
            restart=restart,
            mailbox=mailbox,
            shutdown_timeout=shutdown_timeout,
            throughput=throughput,
        )
        return await self._cell.spawn_child(spec)

    async def start_child(self, spec: ChildSpec) -> ActorRef:
        """Start a child from a `ChildSpec` (as `spawn` does from its arguments).

        Raises:
            ValueError: the name is not ``[a-z0-9_-]+``.
            ActorNameTaken: a sibling has that name.
            InvalidActor: the factory does not make a valid `Actor`.
            ActorDead: this actor is stopping.
        """
        return await self._cell.spawn_child(spec)

    async def spawn_pykka(
        self,
        actor_class: type[Any],
        *args: Any,
        name: str | None = None,
        restart: RestartType | str = RestartType.PERMANENT,
        shutdown_timeout: float = 5.0,
        capacity: int = 1000,
        **kwargs: Any,
    ) -> ActorRef:
        """Start a pykka ``ThreadingActor`` as a child; see `runtime.spawn_pykka_child`."""
        from runtime._pykka_bridge import spawn_pykka_child  # noqa: PLC0415 - pykka only on demand

        return await spawn_pykka_child(
            self._cell,
            actor_class,
            args,
            kwargs,
            name=name,
            restart=restart,
            shutdown_timeout=shutdown_timeout,
            capacity=capacity,
        )

    def watch(self, ref: ActorRef) -> None:
        """Receive `Terminated(ref, reason)` when ``ref``'s actor stops for good.

        Watches end when this actor restarts or stops.
        """
        self._cell.watch(ref._cell)

    def unwatch(self, ref: ActorRef) -> None:
        self._cell.unwatch(ref._cell)

    def schedule(self, delay: float, message: Any) -> Timer:
        """Send ``message`` to this actor after ``delay`` seconds; cancelled at stop/restart."""
        return Timer(self._cell, delay, message, None)

    def every(self, interval: float, message: Any, *, initial_delay: float | None = None) -> Timer:
        """Send ``message`` to this actor every ``interval`` seconds; cancelled at stop/restart."""
        return Timer(
            self._cell, interval if initial_delay is None else initial_delay, message, interval
        )

    def pipe[T](
        self,
        awaitable: Awaitable[T],
        on_result: Callable[[T], Any],
        on_error: Callable[[Exception], Any] | None = None,
        *,
        name: str = "pipe",
    ) -> Pipe:
        """Run ``awaitable`` for this actor; its outcome arrives as a message.

        The actor gets ``on_result(value)``, or ``on_error(error)`` if given;
        without ``on_error`` an error fails the actor. Cancelled when the
        actor stops or restarts.
        """
        return Pipe(self._cell, deliver_result(self._cell, awaitable, on_result, on_error), name)

    def stream[T](
        self,
        source: AsyncIterator[T],
        to_message: Callable[[T], Any],
        on_end: Callable[[Exception | None], Any] | None = None,
        *,
        name: str = "stream",
        wait_for_room: bool = True,
    ) -> Pipe:
        """Read ``source`` for this actor: each item arrives as ``to_message(item)``.

        Items mapped to None are skipped. By default delivery waits for room
        in a full mailbox, so a slow actor slows the reading (no unbounded
        buffering); with ``wait_for_room=False`` an item that finds the mailbox
        full is dropped and counted instead, so the reading never stops (for
        sources that also carry what the actor itself is waiting for). At
        the end the actor gets ``on_end(error or None)``; without ``on_end``
        an error fails the actor. Cancelled when the actor stops or restarts.
        """
        work = deliver_items(self._cell, source, to_message, on_end, wait_for_room)
        return Pipe(self._cell, work, name)

    def stop(self) -> None:
        """End this actor normally; its supervisor restarts it only if it is ``permanent``."""
        self._cell.exit_normally()

    def control(self, message: Pause | Resume | Restart | Stop) -> None:
        """Carry out a lifecycle control message on this actor (after the current handler)."""
        cell = self._cell
        if isinstance(message, Pause):
            cell.pause()
        elif isinstance(message, Resume):
            cell.resume()
        elif isinstance(message, Restart):
            cell.system.loop.call_soon(cell.restart)
        else:
            cell.system.loop.call_soon(cell.stop)

    def snapshot(self) -> ActorSnapshot:
        return self._cell.snapshot()
