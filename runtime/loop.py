"""Running a coroutine on the best event loop available: uvloop when installed."""

from __future__ import annotations

import asyncio
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

__all__ = ["loop_factory", "run"]


def loop_factory(use_uvloop: bool = True) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when asked for and installed; None (asyncio's default) otherwise."""
    if use_uvloop and importlib.util.find_spec("uvloop") is not None:
        import uvloop  # noqa: PLC0415 - optional dependency

        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
        return factory
    return None


def run[T](main: Coroutine[Any, Any, T], use_uvloop: bool = True) -> T:
    """Run ``main`` to completion on a fresh loop (uvloop's when available)."""
    return asyncio.run(main, loop_factory=loop_factory(use_uvloop))
