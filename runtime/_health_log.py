"""`HealthLog`: a periodic one-line summary of the tree's health in the log."""

from __future__ import annotations

import msgspec
import structlog

from runtime._actor import Actor

__all__ = ["HealthLog"]

_log = structlog.get_logger("arbiter.health")


class _Report(msgspec.Struct, frozen=True):
    pass


class HealthLog(Actor):
    """Logs ``health`` every ``interval`` s: actors by state, failures, restarts, dead letters.

    Args:
        interval: seconds between reports.
    """

    def __init__(self, interval: float = 30.0) -> None:
        super().__init__()
        self.interval = interval

    def on_start(self) -> None:
        self.context.every(self.interval, _Report())

    def on_report(self, message: _Report) -> None:
        system = self.context.system
        snapshot = system.snapshot()
        states: dict[str, int] = {}
        for actor in snapshot:
            states[actor.state] = states.get(actor.state, 0) + 1
        _log.info(
            "health",
            actors=len(snapshot),
            states=states,
            failed_total=sum(a.failed_total for a in snapshot),
            restarts_total=sum(a.restarts_total for a in snapshot),
            dead_letters_total=system.dead_letters_total,
            deepest_mailbox=max((a.mailbox_depth for a in snapshot), default=0),
        )
