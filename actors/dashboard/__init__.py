"""The dashboard: the health page, the HTTP/WebSocket API, ``/metrics``, and the CLI's client."""

from actors.dashboard._client import DEFAULT_URL as DEFAULT_URL
from actors.dashboard._client import DashboardClient as DashboardClient
from actors.dashboard._client import render_readiness as render_readiness
from actors.dashboard._client import render_tree as render_tree
from actors.dashboard._dashboard import Dashboard as Dashboard
from actors.dashboard._settings import DashboardSettings as DashboardSettings
from actors.dashboard._settings import is_loopback as is_loopback
from actors.dashboard._settings import parse_http_address as parse_http_address
from actors.dashboard._token import ENV_TOKEN as ENV_TOKEN
from actors.dashboard._token import read_token as read_token

__all__ = [
    "DEFAULT_URL",
    "ENV_TOKEN",
    "Dashboard",
    "DashboardClient",
    "DashboardSettings",
    "is_loopback",
    "parse_http_address",
    "read_token",
    "render_readiness",
    "render_tree",
]
