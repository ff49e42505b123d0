"""Logging setup: structlog everywhere, console in a terminal, JSON lines to files, no secrets."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from pathlib import Path

__all__ = ["REDACTED", "configure_logging", "redact_secrets", "register_secret"]

REDACTED = "[redacted]"

# Field names whose values are never logged, whatever they hold.
_SECRET_KEYS = re.compile(
    r"(private_?key|secret|password|passphrase|mnemonic|seed|token|authorization|keystore_?pass)",
    re.IGNORECASE,
)
# Exact secret values registered at run time (the signer registers its key):
# found anywhere in a logged string, they are replaced.
_secrets: set[str] = set()


def register_secret(value: str) -> None:
    """Never log ``value``: every occurrence in any logged string becomes ``[redacted]``.

    A ``0x`` prefix is ignored, so the key is caught with or without it.
    """
    bare = value.removeprefix("0x").lower()
    if len(bare) >= 8:
        _secrets.add(bare)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.lower()
        for secret in _secrets:
            if secret in lowered:
                value = re.sub(re.escape(secret), REDACTED, value, flags=re.IGNORECASE)
                lowered = value.lower()
        return value
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEYS.search(str(k)) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def redact_secrets(
    _logger: Any, _method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: hide secret-named fields and registered secret values."""
    for key in list(event_dict):
        if _SECRET_KEYS.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def configure_logging(
    level: str = "info",
    log_file: Path | None = None,
    console: str = "auto",
) -> None:
    """Route structlog and stdlib logging (pykka's too) to the console and, optionally, a file.

    Args:
        level: the lowest level logged (``debug``, ``info``, ``warning``, ``error``).
        log_file: where to append JSON lines, one event per line (rotated at
            50 MB, five kept); None for none.
        console: ``auto`` (coloured when stderr is a terminal, JSON lines
            otherwise), ``console`` or ``json``.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    tty = sys.stderr.isatty()
    as_console = console == "console" or (console == "auto" and tty)
    console_renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=tty)
        if as_console
        else structlog.processors.JSONRenderer()
    )
    handlers: list[logging.Handler] = [
        _handler(logging.StreamHandler(sys.stderr), console_renderer, shared)
    ]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            _handler(
                # Rotated so a long run cannot fill the disk with its log.
                logging.handlers.RotatingFileHandler(
                    log_file, maxBytes=50_000_000, backupCount=5, encoding="utf-8"
                ),
                structlog.processors.JSONRenderer(),
                shared,
            )
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for handler in handlers:
        root.addHandler(handler)
    numeric = logging.getLevelNamesMapping()[level.upper()]
    root.setLevel(numeric)
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=True,
    )


def _handler(handler: logging.Handler, renderer: Any, shared: list[Any]) -> logging.Handler:
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    return handler
