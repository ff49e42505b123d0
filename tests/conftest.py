"""Fixtures for real parts, shared by every test module."""

from __future__ import annotations

from typing import Any

import pytest
import structlog

from tests.fixtures.anvil import anvil_node
from tests.fixtures.devnet import anvil, devnet, devnet_session

__all__ = ["anvil", "anvil_node", "devnet", "devnet_session", "loggers_never_cached"]


@pytest.fixture(autouse=True)
def loggers_never_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that configure logging as the process does must not cache loggers.

    `runtime.logs.configure_logging` caches each logger on first use, as the
    process should. In one test session, though, a module's logger first used
    while such a test ran would stay bound to that configuration for every
    later test, and `structlog.testing.capture_logs` would no longer see it:
    whether a log assertion held would depend on the order tests ran in.
    """
    configure = structlog.configure

    def uncached(**settings: Any) -> None:
        configure(**{**settings, "cache_logger_on_first_use": False})

    monkeypatch.setattr(structlog, "configure", uncached)
