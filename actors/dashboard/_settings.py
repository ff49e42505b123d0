"""`DashboardSettings`: where the dashboard listens, whom it asks, and its limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from runtime import ConfigError

__all__ = ["DashboardSettings", "is_loopback", "parse_http_address"]


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    """How the dashboard serves, and where in the tree it finds what it shows.

    Args:
        host: address to bind; anything but loopback needs a configured
            ``token`` and then guards reads with it too.
        port: TCP port; 0 picks a free one (ask `GetDashboardUrl` which).
        token: the control token; empty means ``$ARBITER_DASHBOARD_TOKEN``,
            or else one generated at start and written to ``state_dir/token``.
        state_dir: where a generated token is written.
        push_interval: seconds between WebSocket pushes (the page's lag).
        history_interval: seconds between sparkline samples (taken at
            pushes, so never more often than ``push_interval``).
        history_length: samples kept per actor (length x interval = the
            sparklines' time span).
        max_body: largest request body accepted, in bytes.
        ws_max_backlog: bytes a WebSocket client may leave unread before it
            is dropped (at most one push more is buffered for it).
        ask_timeout: seconds to wait for an actor's answer.
        max_lag_blocks: most blocks a chain may be behind its node and
            still count as synced for ``/readyz``.
        chain_path: every child of it is asked `GetChainStatus`.
        dex_path: every child of it is asked `GetPools`.
        bank_path: asked for opportunities, transactions and totals.
        monitor_path: asked `GetLoopStats`.
        analytics_path: asked `GetAnalyticsStats`.
        executor_path: asked `GetExecutorStatus`.
    """

    host: str = "127.0.0.1"
    port: int = 8700
    token: str = field(default="", repr=False)
    state_dir: Path = Path(".arbiter")
    push_interval: float = 0.5
    history_interval: float = 2.0
    history_length: int = 150
    max_body: int = 64 * 1024
    ws_max_backlog: int = 4 * 1024 * 1024
    ask_timeout: float = 2.0
    max_lag_blocks: int = 2
    chain_path: str = "/app/chain"
    dex_path: str = "/app/dex"
    bank_path: str = "/app/bank"
    monitor_path: str = "/app/monitor"
    analytics_path: str = "/app/analytics"
    executor_path: str = "/app/executor"

    @property
    def reads_need_token(self) -> bool:
        """True when bound beyond loopback: then reading needs the token too."""
        return not is_loopback(self.host)

    def check(self, environ_token: str = "") -> None:
        """Refuse settings the dashboard must not start with.

        Args:
            environ_token: the value of ``$ARBITER_DASHBOARD_TOKEN``, if set.

        Raises:
            ConfigError: bound beyond loopback without a configured token, or
                a limit out of range.
        """
        if self.reads_need_token and not (self.token or environ_token):
            raise ConfigError(
                f"dashboard.host = {self.host!r}: binding beyond loopback needs "
                "dashboard.token or $ARBITER_DASHBOARD_TOKEN"
            )
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"dashboard.port = {self.port}: must be 0..65535")
        if self.push_interval <= 0 or self.history_interval <= 0 or self.history_length < 2:
            raise ConfigError("dashboard: push and history intervals must be > 0, length >= 2")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_http_address(text: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (``[::1]:8700`` for IPv6) as ``arbiter run --http`` takes it.

    Raises:
        ConfigError: not ``HOST:PORT`` with a port in 0..65535.
    """
    host, colon, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ConfigError(f"--http {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8700")
    return host, int(port)
