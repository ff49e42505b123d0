"""A process that writes through the bank until it is killed: the SIGKILL test's subject.

``python -m tests.actors.bank.crash_writer DB RUN`` prints ``ready``, then the id
of every opportunity whose write the bank acknowledged, one per line, as soon
as it is acknowledged; told writes and blocks go in between, unacknowledged.
"""

from __future__ import annotations

import asyncio
import sys
from functools import partial
from itertools import count
from pathlib import Path

from actors.bank import BANK_MAILBOX, Bank, BankSettings, write_durably
from runtime import ActorSystem
from runtime.logs import configure_logging
from tests.actors.bank.conftest import block, opportunity

WRITERS = 8


async def main(path: Path, run: str) -> None:
    async with ActorSystem("crash-writer") as system:
        bank = await system.spawn(
            partial(Bank, BankSettings(path=path)), name="bank", mailbox=BANK_MAILBOX
        )
        sys.stdout.write("ready\n")
        sys.stdout.flush()

        async def writer(number: int) -> None:
            for n in count():
                system.events.publish(opportunity(f"told-{run}-{number}-{n}"))
                if number == 0:
                    system.events.publish(block(int(run) * 1_000_000 + n))
                identifier = f"{run}-{number}-{n}"
                await write_durably(bank, opportunity(identifier), timeout=30)
                sys.stdout.write(identifier + "\n")
                sys.stdout.flush()

        await asyncio.gather(*(writer(number) for number in range(WRITERS)))


if __name__ == "__main__":
    configure_logging("warning")  # to stderr: stdout carries the acknowledged ids only
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
