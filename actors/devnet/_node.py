"""`AnvilNode`: anvil as an actor, so the supervision tree owns the child process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.devnet._anvil import Anvil
from runtime import Actor

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["AnvilNode"]


class AnvilNode(Actor):
    """Starts anvil in `on_start` and stops it in `on_stop`, on every stop path.

    anvil's own output goes to ``log_file``; the child dies with this process
    even on SIGKILL (see `Anvil`).

    Args:
        port: anvil's port on 127.0.0.1.
        log_file: where anvil's output is appended; None for nowhere.
    """

    def __init__(self, port: int, log_file: Path | None = None) -> None:
        super().__init__()
        self.node = Anvil(port=port, log_file=log_file)

    async def on_start(self) -> None:
        await self.node.start()
        self.log.info("anvil_started", url=self.node.http_url, pid=self.node.pid)

    async def on_stop(self) -> None:
        await self.node.stop()
