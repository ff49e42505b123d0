"""The standalone devnet process (`arbiter devnet`): anvil, the DEXes, traffic, until a signal."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from functools import partial
from typing import TYPE_CHECKING, TextIO

import structlog

from actors.devnet._anvil import Anvil
from actors.devnet._config import arbiter_config
from actors.devnet._deploy import deploy
from actors.devnet._errors import DevnetError
from actors.devnet._traffic import TRAFFIC_MAILBOX, TrafficGenerator
from runtime import ActorSystem

if TYPE_CHECKING:
    from pathlib import Path

    from actors.devnet._deployment import Deployment

__all__ = ["READY_LINE", "describe", "serve_devnet"]

READY_LINE = "devnet ready"
"""The start of the last line printed once the devnet runs (scripts wait for it)."""

_log = structlog.get_logger("arbiter")


async def serve_devnet(
    *,
    port: int = 8545,
    traffic: bool = True,
    interval: float = 1.0,
    swaps_per_tick: int = 1,
    config_out: Path | None = None,
    anvil_log: Path | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Start anvil on ``port``, deploy, print the addresses, run traffic until SIGINT/SIGTERM.

    A config for ``arbiter run --config`` (``[chain]`` and ``[[dex]]``) is
    written to ``config_out`` when given. On a signal the traffic stops, then anvil.

    Returns:
        The exit code: 0 after a graceful stop, 1 if the actor system failed.

    Raises:
        DevnetError: anvil would not start, the deployment failed, or
            ``config_out`` cannot be written.
    """
    async with Anvil(port=port, log_file=anvil_log) as node:
        started = time.perf_counter()
        deployment = await deploy(node.http_url)
        elapsed = time.perf_counter() - started
        if config_out is not None:
            try:
                # A few kilobytes, once at start: not worth a thread.
                config_out.write_text(arbiter_config(deployment), encoding="utf-8")  # noqa: ASYNC240
            except OSError as exc:
                raise DevnetError(f"cannot write {config_out}: {exc.strerror}") from exc
        out.write(describe(deployment, elapsed))
        system = ActorSystem("devnet")
        await system.start()
        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, _on_signal, system, sig.name)
            if traffic:
                await system.spawn(
                    partial(
                        TrafficGenerator,
                        deployment,
                        interval=interval,
                        swaps_per_tick=swaps_per_tick,
                    ),
                    name="traffic",
                    mailbox=TRAFFIC_MAILBOX,
                )
            what = f"traffic every {interval:g} s" if traffic else "no traffic"
            out.write(f"{READY_LINE}: {what}; pid {node.pid}; Ctrl-C stops\n")
            out.flush()
            await system.wait_stopped()
        finally:
            await system.shutdown()
    return 1 if system.failure is not None else 0


def describe(deployment: Deployment, elapsed: float | None = None) -> str:
    """The deployment as lines of text for a terminal."""
    took = f" in {elapsed:.2f} s" if elapsed is not None else ""
    lines = [
        (
            f"devnet: chain {deployment.chain_id} at {deployment.http_url} and "
            f"{deployment.ws_url}, deployed{took} (block {deployment.block})"
        ),
        f"  deployer  {deployment.deployer}",
        *(f"  trader    {trader}" for trader in deployment.traders),
        f"  WETH      {deployment.weth}",
        *(f"  token     {token.symbol:<4} {token.address}" for token in deployment.tokens),
    ]
    for dex in deployment.dexes:
        lines.append(f"  dex       {dex.name} ({dex.kind})")
        lines.append(f"    factory           {dex.factory}")
        lines.append(f"    router            {dex.router}")
        if dex.position_manager:
            lines.append(f"    position manager  {dex.position_manager}")
        if dex.quoter:
            lines.append(f"    quoter            {dex.quoter}")
        for pool in dex.pools:
            pair = f"{deployment.symbol(pool.token0)}/{deployment.symbol(pool.token1)}"
            lines.append(f"    pool {pair:<13}{pool.address}")
    return "\n".join(lines) + "\n"


def _on_signal(system: ActorSystem, name: str) -> None:
    _log.info("shutdown_requested", signal=name)
    system.request_shutdown()
