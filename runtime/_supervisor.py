"""`Supervisor`: an actor whose only job is to start and supervise a list of children."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime._actor import Actor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from runtime._supervision import ChildSpec, SupervisorPolicy

__all__ = ["Supervisor"]


class Supervisor(Actor):
    """Starts its children in order on every start, and supervises them by its policy.

    As in OTP: after a restart of the supervisor itself, every child is
    started afresh from its spec. Use ``functools.partial(Supervisor,
    children, policy)`` as the factory.

    Args:
        children: the child specs, in start order.
        policy: strategy, intensity and backoff; None for the system default.
    """

    def __init__(
        self, children: Sequence[ChildSpec], policy: SupervisorPolicy | None = None
    ) -> None:
        super().__init__()
        self.children = list(children)
        self.supervision = policy

    async def on_start(self) -> None:
        for spec in self.children:
            await self.context.start_child(spec)
