"""The bank on real SQLite files in a temporary directory, and records to write to it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from actors.bank import BANK_MAILBOX, Bank, BankSettings
from messages.bank import (
    BankHealth,
    GetBankHealth,
    Hop,
    Opportunity,
    PoolRecord,
    RecordBlock,
    RecordOpportunity,
    RecordPoolStates,
)
from messages.market import Pool, V2State
from runtime import ActorSystem, ManualClock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from runtime import ActorRef, Clock

CHAIN = "devnet"
BIG = 2**200 + 7


def block_hash(number: int, branch: str = "a") -> str:
    return f"0x{branch}{number:063x}"


def block(number: int, branch: str = "a", parent_branch: str | None = None) -> RecordBlock:
    return RecordBlock(
        chain=CHAIN,
        number=number,
        hash=block_hash(number, branch),
        parent_hash=block_hash(number - 1, parent_branch or branch),
        timestamp=1_700_000_000 + number,
    )


def pool(address: str, dex: str = "uniswap_v2_a") -> Pool:
    return Pool(address=address, dex=dex, kind="uniswap_v2", token0="0x01", token1="0x02", fee=3000)


def states(
    number: int,
    changed: dict[str, int],
    *,
    dex: str = "uniswap_v2_a",
    branch: str = "a",
    complete: bool = False,
    rewound: bool = False,
) -> RecordPoolStates:
    """A watcher's record of block ``number``: each changed pool's reserve0 (reserve1 = 1)."""
    return RecordPoolStates(
        chain=CHAIN,
        dex=dex,
        block_number=number,
        block_hash=block_hash(number, branch),
        states=[
            PoolRecord(pool=pool(address, dex), state=V2State(reserve0=reserve0, reserve1=1))
            for address, reserve0 in changed.items()
        ],
        complete=complete,
        rewound=rewound,
    )


def opportunity(identifier: str, status: str = "new", block_number: int = 7) -> RecordOpportunity:
    return RecordOpportunity(
        opportunity=Opportunity(
            id=identifier,
            block=block_number,
            path=[Hop(pool="0xaa", token_in="0x01", token_out="0x02")],
            amount_in=BIG,
            amount_out=BIG + 1,
            expected_profit_wei=1,
            gas_cost_wei=2,
            detected_at=1_700_000_000.5,
            latency_us=420,
            status=status,  # type: ignore[arg-type]
        )
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "bank.db"


@pytest.fixture
def settings(db_path: Path) -> BankSettings:
    return BankSettings(path=db_path, retry_interval=1.0)


class Running:
    """A system with the bank at ``/bank``."""

    def __init__(self, system: ActorSystem, bank: ActorRef, clock: Clock | None) -> None:
        self.system = system
        self.bank = bank
        self.clock = clock if isinstance(clock, ManualClock) else None

    async def health(self) -> BankHealth:
        health: BankHealth = await self.bank.ask(GetBankHealth(), timeout=None)
        return health


@contextlib.asynccontextmanager
async def running_bank(
    settings: BankSettings, clock: Clock | None = None, **changes: Any
) -> AsyncIterator[Running]:
    async with ActorSystem("bank-test", clock=clock) as system:
        bank = await system.spawn(
            partial(Bank, replace(settings, **changes)), name="bank", mailbox=BANK_MAILBOX
        )
        yield Running(system, bank, clock)


def file_bytes(path: Path) -> bytes:
    return path.read_bytes()


def move_away(path: Path, name: str) -> Path:
    return path.rename(path.with_name(name))


def _system(*command: str) -> subprocess.CompletedProcess[bytes]:
    """Run a system tool (chattr, mount) by its full path; the caller checks the outcome."""
    executable = shutil.which(command[0])
    if executable is None:
        pytest.skip(f"{command[0]} is not installed")
    # Fixed tools and arguments, and paths the test made.
    return subprocess.run([executable, *command[1:]], capture_output=True, check=False)  # noqa: S603


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` read-only for this process, root included, then writable again."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    done = _system("chattr", "+i", str(path))
    if done.returncode != 0:
        pytest.skip(
            f"as root only chattr +i makes a file read-only, and it failed: {done.stderr!r}"
        )
    try:
        yield
    finally:
        _system("chattr", "-i", str(path))


@contextlib.contextmanager
def tiny_tmpfs(directory: Path, size: str = "256k") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``directory``; skips the test where mounting is refused."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = _system("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory))
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {done.stderr!r}")
    try:
        yield directory
    finally:
        _system("umount", "-l", str(directory))


def resize_tmpfs(directory: Path, size: str) -> None:
    done = _system("mount", "-o", f"remount,size={size}", str(directory))
    assert done.returncode == 0, done.stderr
