"""The control token: configured, from the environment, or generated into the state dir."""

from __future__ import annotations

import hmac
import os
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ENV_TOKEN", "TOKEN_FILE", "read_token", "resolve_token", "tokens_match", "write_token"]

ENV_TOKEN = "ARBITER_DASHBOARD_TOKEN"  # noqa: S105 - a variable's name, not a secret
"""The environment variable that holds the token (also read by the CLI)."""

TOKEN_FILE = "token"  # noqa: S105 - a file name, not a secret
"""The generated token's file name inside the state dir."""


def resolve_token(configured: str, state_dir: Path) -> tuple[str, Path | None]:
    """The token to require: ``configured``, else ``$ARBITER_DASHBOARD_TOKEN``, else a new one.

    Returns:
        The token, and the file a generated token was written to (None when
        the token was configured).

    Raises:
        OSError: the state dir or the token file cannot be written.
    """
    token = configured or os.environ.get(ENV_TOKEN, "")
    if token:
        return token, None
    token = secrets.token_urlsafe(32)
    return token, write_token(state_dir, token)


def write_token(state_dir: Path, token: str) -> Path:
    """Write ``token`` to ``state_dir/token``, readable by its owner only (mode 0600)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / TOKEN_FILE
    # Created 0600 and chmod-ed too: an older file keeps its mode through O_TRUNC.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, token.encode())
    finally:
        os.close(descriptor)
    return path


def read_token(state_dir: Path) -> str:
    """The token a client should send: ``$ARBITER_DASHBOARD_TOKEN``, else ``state_dir/token``.

    Returns:
        The token, or an empty string when there is none.
    """
    token = os.environ.get(ENV_TOKEN, "")
    if token:
        return token
    try:
        return (state_dir / TOKEN_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def tokens_match(given: str, expected: str) -> bool:
    """Compare in constant time, so the answer's timing tells nothing of the token."""
    return hmac.compare_digest(given.encode(), expected.encode())
