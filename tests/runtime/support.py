"""Helpers for kernel tests: waiting on the loop without sleeping, and reading snapshots."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from messages.health import ActorSnapshot
    from runtime import ActorRef, ActorSystem

LOOP_TURNS = 50
"""Loop turns a test gives the kernel before it concludes that something did not happen."""


async def turns(count: int = LOOP_TURNS) -> None:
    """Let the loop run ``count`` times, so whatever was going to happen by now has happened."""
    for _ in range(count):
        await asyncio.sleep(0)  # wait-ok: one loop turn


async def until(condition: Callable[[], bool], *, limit: int = 1000) -> None:
    """Yield loop turns until ``condition()`` holds; fail after ``limit`` turns."""
    for _ in range(limit):
        if condition():
            return
        await asyncio.sleep(0)  # wait-ok: one loop turn
    raise AssertionError(f"condition still false after {limit} loop turns")


async def eventually(condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Poll ``condition()`` until it holds; fail after ``timeout`` seconds of real time.

    For conditions another thread must make true (a pykka actor's), which loop
    turns alone cannot bring about: the loop has to let real time pass.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition still false after {timeout} s")
        await asyncio.sleep(0.001)  # wait-ok: polls with a deadline while a thread works


def snapshot_of(system: ActorSystem, ref: ActorRef) -> ActorSnapshot:
    """The health snapshot of the live actor behind ``ref``."""
    for snapshot in system.snapshot():
        if snapshot.path == ref.path:
            return snapshot
    raise AssertionError(f"{ref.path} is not in the actor tree")
