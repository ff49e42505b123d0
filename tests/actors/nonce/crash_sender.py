"""The application's tree sending transactions until it is killed: the kill -9 test's subject.

``python -m tests.actors.nonce.crash_sender CONFIG STATE_DIR SUBMITS`` runs
``/app`` as ``arbiter run --config CONFIG --state-dir STATE_DIR`` assembles
it (bank, chain client, wallet, dashboard), prints ``url <dashboard url>``,
then submits SUBMITS transfers through ``/app/wallet/<account>`` from
several senders at once, printing ``sent <hash>`` as each is answered, and
``done`` after the last; then it runs until it is killed. The key comes from
``ARBITER_PRIVATE_KEY``, as for ``arbiter run``.
"""

from __future__ import annotations

import asyncio
import sys
from functools import partial
from pathlib import Path

from actors.nonce import submit
from messages.health import GetDashboardUrl
from messages.tx import TxRequest
from runtime import ActorSystem, Supervisor, SupervisorPolicy
from runtime.app import app_children
from runtime.config import load_config
from runtime.logs import configure_logging

SENDERS = 10
RECIPIENT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(config_path: Path, state_dir: Path, submits: int) -> None:
    config = load_config(config_path)
    async with ActorSystem("crash-sender") as system:
        children = app_children(config, state_dir)
        await system.spawn(partial(Supervisor, children, SupervisorPolicy()), name="app")
        dashboard = system.lookup("/app/dashboard")
        assert dashboard is not None
        say(f"url {await dashboard.ask(GetDashboardUrl(), timeout=10)}")
        manager = system.lookup(f"/app/wallet/{config.nonce.accounts[0].lower()}")
        assert manager is not None
        values = iter(range(1, submits + 1))

        async def sender() -> None:
            for value in values:
                tx_hash = await submit(manager, TxRequest(to=RECIPIENT, gas=21_000, value=value))
                say(f"sent {tx_hash}")

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
        say("done")
        await system.wait_stopped()


if __name__ == "__main__":
    configure_logging("info")  # to stderr: stdout carries the url and the hashes only
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])))
