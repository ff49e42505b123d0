"""Control messages: what users and the dashboard send to any actor.

Every actor answers `Ping` and `GetStatus`; `Pause`, `Resume`, `Restart` and
`Stop` are carried out by the kernel on the actor's system lane, ahead of its
queued messages. `Shutdown`, `SetParam`, `WatchPool` and `UnwatchPool` are
handled by the actors that declare handlers for them.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "Control",
    "GetStatus",
    "Pause",
    "Ping",
    "Pong",
    "Restart",
    "Resume",
    "SetParam",
    "Shutdown",
    "Stop",
    "UnwatchPool",
    "WatchPool",
]


class Ping(msgspec.Struct, frozen=True, tag=True):
    """Asks the actor to answer `Pong`; measures the mailbox round trip."""


class Pong(msgspec.Struct, frozen=True, tag=True):
    """The answer to `Ping`: the actor's path."""

    path: str


class GetStatus(msgspec.Struct, frozen=True, tag=True):
    """Asks the actor for its health snapshot (`messages.health.ActorSnapshot`)."""


class Pause(msgspec.Struct, frozen=True, tag=True):
    """Stop handling queued messages until `Resume`; the mailbox keeps filling."""


class Resume(msgspec.Struct, frozen=True, tag=True):
    """Handle queued messages again after `Pause`."""


class Restart(msgspec.Struct, frozen=True, tag=True):
    """Restart the actor with fresh state; its mailbox is kept."""


class Stop(msgspec.Struct, frozen=True, tag=True):
    """Stop the actor for good (its supervisor does not restart it)."""


class Shutdown(msgspec.Struct, frozen=True, tag=True):
    """Stop the whole system gracefully."""


class SetParam(msgspec.Struct, frozen=True, tag=True):
    """Change a run-time parameter of the actor."""

    name: str
    value: str | int | float | bool


class WatchPool(msgspec.Struct, frozen=True, tag=True):
    """Start watching a pool on a DEX."""

    dex: str
    address: str


class UnwatchPool(msgspec.Struct, frozen=True, tag=True):
    """Stop watching a pool on a DEX."""

    dex: str
    address: str


Control = (
    Ping
    | GetStatus
    | Pause
    | Resume
    | Restart
    | Stop
    | Shutdown
    | SetParam
    | WatchPool
    | UnwatchPool
)
"""Every control message, as one tagged union: decode with ``msgspec.json.Decoder(Control)``."""
