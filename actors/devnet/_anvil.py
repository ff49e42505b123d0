"""An anvil node as a child process: started on a loopback port, ready when it answers.

The child never outlives its parent: on Linux the kernel kills it when the
parent dies (``PR_SET_PDEATHSIG``), even after a ``SIGKILL``; elsewhere an
``atexit`` hook kills it on any orderly exit of the interpreter.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import IO, TYPE_CHECKING, Self

import aiohttp

from actors.devnet._artifacts import anvil_binary
from actors.devnet._errors import DevnetError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import TracebackType

__all__ = ["DEFAULT_CHAIN_ID", "Anvil", "free_port"]

DEFAULT_CHAIN_ID = 31337
_PR_SET_PDEATHSIG = 1
_POLL_INTERVAL = 0.01


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now (for tests)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class Anvil:
    """One anvil node, a child of this process, listening on ``host:port``.

    Its accounts are anvil's defaults (the ``test test ... junk`` mnemonic,
    10 000 ether each, unlocked for ``eth_sendTransaction``). Without
    ``block_time`` it mines a block for every transaction (automine).

    Use it as ``async with Anvil(port=8545) as node: ...`` or call `start`
    and `stop`. Start it from the event loop's thread: on Linux the child is
    killed when the thread that started it ends.

    Args:
        port: the TCP port; it must be free.
        host: the address to listen on.
        block_time: seconds between blocks (interval mining) instead of automine.
        chain_id: the chain id the node reports.
        startup_timeout: seconds to wait for the node to answer ``eth_chainId``.
        log_file: where anvil's own log goes; None runs it ``--silent``.
        binary: the anvil executable; None for the one `make setup` installed.
    """

    def __init__(
        self,
        port: int = 8545,
        *,
        host: str = "127.0.0.1",
        block_time: float | None = None,
        chain_id: int = DEFAULT_CHAIN_ID,
        startup_timeout: float = 20.0,
        log_file: Path | None = None,
        binary: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.block_time = block_time
        self.chain_id = chain_id
        self.startup_timeout = startup_timeout
        self.log_file = log_file
        self.binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._errors: IO[bytes] | None = None

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The child's process id while started, else None."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def command(self) -> list[str]:
        """The anvil command line this node runs."""
        command = [
            str(self.binary or anvil_binary()),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
        ]
        if self.block_time is not None:
            command += ["--block-time", f"{self.block_time:g}"]
        if self.log_file is None:
            command.append("--silent")
        return command

    async def start(self) -> Self:
        """Start the node and return once it answers ``eth_chainId`` with its chain id.

        Raises:
            DevnetNotInstalled: anvil is not installed.
            DevnetError: already started, the port is taken, anvil exited, or
                it did not answer within ``startup_timeout`` (the child is
                then killed).
        """
        if self._process is not None:
            raise DevnetError(f"anvil on port {self.port} is already started")
        command = self.command()
        self._check_port_free()
        # A file, not a pipe: nobody reads anvil's stderr until it fails, and
        # a full pipe would block it.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        output: IO[bytes] | int = subprocess.DEVNULL
        if self.log_file is not None:
            output = self.log_file.open("ab")
        try:
            self._process = subprocess.Popen(  # noqa: S603, ASYNC220 - our pinned binary; returns at once
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=self._errors if self.log_file is None else output,
                preexec_fn=_die_with_parent(),  # noqa: PLW1509 - only calls prctl, async-signal-safe
            )
        finally:
            if not isinstance(output, int):
                output.close()
        atexit.register(self._kill)
        try:
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop the node (SIGTERM, then SIGKILL after ``timeout``) and reap it; idempotent."""
        process = self._process
        if process is None:
            return
        atexit.unregister(self._kill)
        if process.poll() is None:
            process.terminate()
            if not await _exited(process, timeout):
                process.kill()
                await _exited(process, timeout)
        # Reaps the child; it has exited (or been SIGKILLed) by now.
        process.wait()
        self._process = None
        if self._errors is not None:
            self._errors.close()
            self._errors = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def _check_port_free(self) -> None:
        # Without this check a node already on the port would answer our
        # readiness poll while our own anvil exits with "address in use".
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self.port))
            except OSError as exc:
                raise DevnetError(
                    f"cannot start anvil: {self.host}:{self.port} is in use ({exc.strerror})"
                ) from exc

    async def _wait_ready(self) -> None:
        process = self._process
        assert process is not None  # noqa: S101 - called by start() only
        request = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        deadline = time.monotonic() + self.startup_timeout
        timeout = aiohttp.ClientTimeout(total=1.0)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if process.poll() is not None:
                    raise DevnetError(
                        f"anvil exited with code {process.returncode} at start: {self._stderr()}"
                    )
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with session.post(self.http_url, json=request) as response:
                        body = await response.json()
                    chain_id = int(body["result"], 16)
                    if chain_id != self.chain_id:
                        raise DevnetError(
                            f"the node on port {self.port} reports chain {chain_id}, "
                            f"expected {self.chain_id}"
                        )
                    return
                if time.monotonic() > deadline:
                    raise DevnetError(
                        f"anvil did not answer on {self.http_url} within {self.startup_timeout} s"
                    )
                await asyncio.sleep(_POLL_INTERVAL)

    def _stderr(self) -> str:
        if self._errors is None:
            return "(see its log file)"
        self._errors.seek(0)
        lines = self._errors.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()


async def _exited(process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(_POLL_INTERVAL)
    return True


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel SIGKILL the child when this process dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def set_death_signal() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        # The parent may have died between fork and prctl: then nobody would kill us.
        if os.getppid() != parent:
            os._exit(1)

    return set_death_signal
