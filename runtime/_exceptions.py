"""The one error tree of arbiter.

```
ArbiterError                 every error arbiter raises on purpose
 ├── ActorError              something about an actor or a message to it
 │    ├── ActorDead          the target stopped before it handled the message
 │    ├── AskTimeout         no reply within the ask's timeout (also a TimeoutError)
 │    ├── MailboxFull        a backpressure mailbox is at capacity
 │    ├── MessageDropped     an asked message was dropped by its mailbox's overflow policy
 │    ├── NoHandler          the actor has no handler for an asked message's type
 │    ├── Rejected           a handler refused a message; the actor carries on
 │    ├── ActorNameTaken     a sibling already has that name
 │    ├── InvalidActor       an actor class whose handlers cannot be dispatched
 │    └── Escalated          a supervisor gave up: its children failed too often
 ├── ConfigError            the configuration is invalid (names the key, value, reason)
 └── ChainError             the node answered an error, garbage, or could not be reached
```

`asyncio.CancelledError` is a `BaseException` and never passes through this tree:
supervisors catch `Exception`, so cancellation always propagates.
"""

from __future__ import annotations

__all__ = [
    "ActorDead",
    "ActorError",
    "ActorNameTaken",
    "ArbiterError",
    "AskTimeout",
    "ChainError",
    "ConfigError",
    "Escalated",
    "InvalidActor",
    "MailboxFull",
    "MessageDropped",
    "NoHandler",
    "Rejected",
]


class ArbiterError(Exception):
    """Root of every error arbiter raises on purpose."""


class ActorError(ArbiterError):
    """An error about an actor or a message sent to it."""


class ActorDead(ActorError):
    """The target actor stopped before it handled the message."""


class AskTimeout(ActorError, TimeoutError):
    """No reply arrived within the ask's timeout.

    The message may still be handled later; its reply is then discarded.
    """


class MailboxFull(ActorError):
    """A mailbox with the ``backpressure`` policy is at capacity."""


class MessageDropped(ActorError):
    """An asked message was dropped by its mailbox's overflow policy."""


class NoHandler(ActorError):
    """The actor has no handler for the asked message's type (it became a dead letter)."""


class Rejected(ActorError):
    """A handler refused its message (bad parameter, request the node refused).

    Raised in a handler (directly or as a subclass), it answers an ask with
    this error and the actor carries on with its next message: unlike any
    other exception it is not a failure, so nothing restarts. A told message
    that is rejected is logged as ``message_rejected``. Raise it only once
    the actor's state is as it was before the message.
    """


class ActorNameTaken(ActorError):
    """A sibling with the same name already exists."""


class InvalidActor(ActorError):
    """An actor class whose handlers cannot be dispatched (bad annotation, duplicate type)."""


class Escalated(ActorError):
    """A supervisor gave up on a child that failed more often than its intensity allows.

    Args:
        path: the path of the child that failed last.
        cause: the child's last error.
    """

    def __init__(self, path: str, cause: BaseException | None) -> None:
        super().__init__(f"{path} failed too often; last error: {cause!r}")
        self.path = path
        self.cause = cause


class ConfigError(ArbiterError):
    """The configuration is invalid; the message names the key, the value and the reason."""


class ChainError(ArbiterError):
    """The node answered an error or garbage, or could not be reached."""
