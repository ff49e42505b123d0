"""Logging: JSON lines to a file, secrets never written."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest
import structlog

from runtime.logs import REDACTED, configure_logging, register_secret

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

KEY = "0x" + "ab12" * 16


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "arbiter.log"
    configure_logging("debug", path, console="json")
    yield path
    for handler in list(logging.getLogger().handlers):
        handler.close()
        logging.getLogger().removeHandler(handler)
    structlog.reset_defaults()


def _events(path: Path) -> list[dict[str, object]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_events_are_written_as_json_lines_with_level_and_time(log_file: Path) -> None:
    structlog.get_logger("arbiter.test").info("block_processed", number=7)
    (event,) = _events(log_file)
    assert event["event"] == "block_processed"
    assert event["number"] == 7
    assert event["level"] == "info"
    assert "timestamp" in event


def test_fields_named_like_secrets_are_redacted(log_file: Path) -> None:
    structlog.get_logger().info("configured", private_key=KEY, token="t0ken", nested={"pass": 1})
    (event,) = _events(log_file)
    assert event["private_key"] == REDACTED
    assert event["token"] == REDACTED
    assert KEY not in log_file.read_text()


def test_a_registered_secret_is_redacted_wherever_it_appears(log_file: Path) -> None:
    register_secret(KEY)
    bare = KEY.removeprefix("0x").upper()
    structlog.get_logger().info("oops", detail=f"signing with {bare} failed", items=[KEY])
    logging.getLogger("pykka").error("stdlib too: %s", KEY)
    text = log_file.read_text()
    assert bare.lower() not in text.lower()
    assert text.count(REDACTED) >= 3


def test_debug_events_are_dropped_below_the_configured_level(tmp_path: Path) -> None:
    path = tmp_path / "warn.log"
    configure_logging("warning", path, console="json")
    try:
        structlog.get_logger().info("chatty")
        structlog.get_logger().warning("worth_it")
        assert [e["event"] for e in _events(path)] == ["worth_it"]
    finally:
        for handler in list(logging.getLogger().handlers):
            handler.close()
            logging.getLogger().removeHandler(handler)
        structlog.reset_defaults()
