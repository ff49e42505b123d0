"""`arbiter run` as a real process with its own ports and state dir, and its database read back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Self

import pytest

from actors.bank import Store

if TYPE_CHECKING:
    from messages.bank import BlockRecord, Checkpoint

ROOT = Path(__file__).resolve().parents[3]
CHAIN = "devnet"
ARBITER = [sys.executable, "-m", "runtime", "run"]


class Arbiter:
    """One ``arbiter run --config`` process; its output is collected by a reader thread."""

    def __init__(self, state_dir: Path, config: Path, *extra: str) -> None:
        self.state_dir = state_dir
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [*ARBITER, "--state-dir", str(state_dir), "--config", str(config), *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={
                **os.environ,
                "ARBITER_RUNTIME_LOG_FORMAT": "json",
                "ARBITER_DASHBOARD_PORT": "0",
                "ARBITER_RUNTIME_HEALTH_LOG_INTERVAL": "3600",
            },
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def printed(self, needle: str) -> bool:
        if self.process.poll() is not None and not self._reader.is_alive():
            pytest.fail(f"arbiter exited with {self.process.returncode}: {self.output}")
        return any(needle in line for line in self.lines)

    def url(self) -> str:
        for line in self.lines:
            if line.startswith("arbiter: health page at "):
                return line.split(" at ", 1)[1].strip()
        pytest.fail(f"no health page address printed: {self.output}")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        self.process.kill()
        self._reap(30)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM: a graceful stop; returns the exit code."""
        self.process.terminate()
        return self._reap(timeout)

    def _reap(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        if self.process.poll() is None:
            self.kill()
        else:
            self._reap(30)


def read_blocks(path: Path, limit: int = 1000) -> list[BlockRecord]:
    """The chain's recorded blocks, newest first (the database opens at the current schema)."""
    store = Store.open(path)
    try:
        return store.blocks(CHAIN, limit)
    finally:
        store.close()


def read_checkpoint(path: Path, dex: str | None = None) -> Checkpoint | None:
    """The checkpoint the bank would answer (of one DEX, with ``dex``)."""
    store = Store.open(path)
    try:
        return store.checkpoint(CHAIN, dex=dex)
    finally:
        store.close()


def integrity(path: Path) -> list[tuple[str]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
