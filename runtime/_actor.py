"""The `Actor` base class and its typed dispatch table."""

from __future__ import annotations

import inspect
import types
import typing
from typing import TYPE_CHECKING, Any, NamedTuple

from messages.control import GetStatus, Pause, Ping, Pong, Restart, Resume, Stop
from runtime._exceptions import InvalidActor

if TYPE_CHECKING:
    from collections.abc import Callable

    import structlog

    from messages.health import ActorSnapshot
    from runtime._context import ActorContext
    from runtime._supervision import SupervisorPolicy

__all__ = ["Actor", "Handler", "handler_table", "resolve_handler"]

_LIFECYCLE = frozenset({"on_start", "on_stop", "on_restart"})


class Handler(NamedTuple):
    """A handler method (unbound) and whether it is a coroutine function."""

    function: Callable[..., Any]
    is_async: bool


# Set by the kernel while it constructs an actor, so `Actor.__init__` can pick
# up its context without every subclass passing it along.
_constructing: list[ActorContext] = []


class Actor:
    """Base class of every actor: state in attributes, messages in ``on_*`` methods.

    A handler is a method named ``on_<something>`` whose one parameter is
    annotated with a message type (or a union of them); it may be sync or
    async. Its return value is the reply to an `ask`. The dispatch table is
    built once per class, on first spawn; a message with no handler becomes a
    dead letter. Handlers run one at a time per actor, async ones included:
    while an async handler awaits, the actor's next message waits.

    Lifecycle hooks (sync or async): `on_start` before the first message,
    `on_stop` on every stop path (crash and restart included) to release
    resources, `on_restart(error)` on the fresh instance before its
    `on_start` when the actor is restarted.

    An exception escaping a handler is a failure: an asker gets the
    exception, and the actor's supervisor decides (restart, stop, escalate).
    """

    supervision: SupervisorPolicy | None = None
    """How this actor supervises its children; None means the system default.

    Set it on the class, or on the instance in ``__init__``.
    """

    context: ActorContext

    def __init__(self) -> None:
        if not _constructing:
            raise InvalidActor(
                f"{type(self).__name__} must be created by spawn(), not called directly"
            )
        self.context = _constructing[-1]

    @property
    def log(self) -> structlog.typing.FilteringBoundLogger:
        """A structlog logger bound to this actor's path."""
        return self.context.log

    def on_start(self) -> Any:
        """Run before the first message; may be async. A failure here is a failure."""

    def on_stop(self) -> Any:
        """Run on every stop path, crash included; may be async. Release resources here."""

    def on_restart(self, error: Exception | None) -> Any:
        """Run on the fresh instance before `on_start` after a restart; may be async."""

    def on_ping(self, message: Ping) -> Pong:
        return Pong(path=self.context.path)

    def on_get_status(self, message: GetStatus) -> ActorSnapshot:
        return self.context.snapshot()

    def on_lifecycle_control(self, message: Pause | Resume | Restart | Stop) -> None:
        # Reached only when one was told through the user lane; the kernel's
        # own lane (`ActorRef.pause()` etc.) is the fast path for these.
        self.context.control(message)


def handler_table(cls: type[Actor]) -> dict[type, Handler | None]:
    """The dispatch table of ``cls``: message type -> handler, built once and cached.

    Raises:
        InvalidActor: a handler's parameter is missing, unannotated or not a
            class, or two handlers of one class take the same type.
    """
    cached: dict[type, Handler | None] | None = cls.__dict__.get("_arbiter_handlers")
    if cached is not None:
        return cached
    table: dict[type, Handler | None] = {}
    for klass in reversed(cls.__mro__):
        declared: dict[type, str] = {}
        for name, function in vars(klass).items():
            if not name.startswith("on_") or name in _LIFECYCLE:
                continue
            if not inspect.isfunction(function):
                continue
            for message_type in _message_types(klass, name, function):
                if message_type in declared:
                    raise InvalidActor(
                        f"{klass.__qualname__}.{name} and .{declared[message_type]} "
                        f"both handle {message_type.__qualname__}"
                    )
                declared[message_type] = name
                table[message_type] = Handler(function, inspect.iscoroutinefunction(function))
    cls._arbiter_handlers = table  # type: ignore[attr-defined]
    return table


def resolve_handler(table: dict[type, Handler | None], message_type: type) -> Handler | None:
    """The handler for ``message_type`` or its nearest base class; cached in ``table``."""
    for base in message_type.__mro__[1:]:
        handler = table.get(base)
        if handler is not None:
            table[message_type] = handler
            return handler
    table[message_type] = None
    return None


def _message_types(klass: type, name: str, function: Callable[..., Any]) -> list[type]:
    where = f"{klass.__qualname__}.{name}"
    parameters = [
        p
        for p in list(inspect.signature(function).parameters.values())[1:]
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(parameters) != 1:
        raise InvalidActor(f"handler {where} must take exactly one message parameter")
    parameter = parameters[0]
    if parameter.annotation is inspect.Parameter.empty:
        raise InvalidActor(f"handler {where} must annotate its message parameter with a type")
    # Only the message parameter is evaluated: a return annotation imported
    # under TYPE_CHECKING alone must not break dispatch.
    only_parameter = types.SimpleNamespace(
        __annotations__={parameter.name: parameter.annotation},
        __globals__=getattr(function, "__globals__", {}),
    )
    try:
        annotation = typing.get_type_hints(only_parameter)[parameter.name]
    except Exception as exc:
        raise InvalidActor(f"cannot resolve the message type of handler {where}: {exc}") from exc
    if annotation is None:
        raise InvalidActor(f"handler {where} must annotate its message parameter with a type")
    members = (
        typing.get_args(annotation)
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
        else (annotation,)
    )
    for member in members:
        if not isinstance(member, type):
            raise InvalidActor(f"handler {where} takes {member!r}, which is not a class")
    return list(members)
