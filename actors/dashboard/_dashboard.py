"""`Dashboard`: the actor that owns the health page's HTTP server and its WebSocket viewers."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from actors.dashboard._api import Api
from actors.dashboard._collect import Collector
from actors.dashboard._history import History
from actors.dashboard._token import ENV_TOKEN, resolve_token
from actors.dashboard._views import (
    actor_rows,
    analytics_view,
    chain_row,
    executor_view,
    pool_rows,
    readiness,
    walk,
)
from actors.dashboard._websocket import Hub
from messages.health import GetDashboardUrl  # noqa: TC001 - handlers' types are read at run time
from runtime import Actor
from runtime.logs import register_secret

if TYPE_CHECKING:
    from actors.dashboard._settings import DashboardSettings
    from actors.dashboard._views import Entry

__all__ = ["Dashboard"]

# Rows of the page's opportunity and transaction tables.
_PAGE_ROWS = 20
# Seconds the viewers get to say goodbye, and requests in flight to finish, at stop.
_CLOSE_TIMEOUT = 1.0

_encoder = msgspec.json.Encoder(enc_hook=str)


class _Push(msgspec.Struct, frozen=True):
    pass


class Dashboard(Actor):
    """Serves the health page, the HTTP API, ``/metrics`` and ``/ws`` on the system's loop.

    The aiohttp server is started in `on_start` and closed in `on_stop`, so a
    restart by its supervisor rebinds it afresh. Requests read the kernel's
    snapshot directly and steer actors through `ActorRef.control`; every
    ``push_interval`` the actor samples the tree for the sparklines and, if
    anyone is watching, asks the chain clients, DEX watchers, bank, loop
    monitor, analytics and executor what they know and pushes one snapshot
    to every viewer.

    Args:
        settings: address, token, limits and where to find the other actors.

    Raises (from `on_start`, which fails the actor):
        ConfigError: bound beyond loopback without a configured token.
        OSError: the address is taken, or the token file cannot be written.
    """

    def __init__(self, settings: DashboardSettings) -> None:
        super().__init__()
        self.settings = settings
        self.url = ""
        self.history = History(settings.history_interval, settings.history_length)
        self.collector = Collector(self.context.system, settings)
        self.hub: Hub | None = None
        self.runner: web.AppRunner | None = None
        self.last_payload: bytes | None = None

    async def on_start(self) -> None:
        settings = self.settings
        settings.check(os.environ.get(ENV_TOKEN, ""))
        token, written = resolve_token(settings.token, settings.state_dir)
        register_secret(token)
        if written is not None:
            self.log.info("dashboard_token_written", path=str(written))
        self.hub = Hub(settings.ws_max_backlog, token, settings.reads_need_token, self._greeting)
        api = Api(
            system=self.context.system,
            settings=settings,
            token=token,
            collector=self.collector,
            hub=self.hub,
            dashboard_path=self.context.path,
        )
        self.runner = web.AppRunner(
            api.application(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=_CLOSE_TIMEOUT,
        )
        await self.runner.setup()
        site = web.TCPSite(self.runner, settings.host, settings.port, reuse_address=True)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}/"
        self.context.every(settings.push_interval, _Push())
        self.log.info(
            "dashboard_listening", url=self.url, reads_need_token=settings.reads_need_token
        )

    async def on_stop(self) -> None:
        if self.hub is not None:
            await self.hub.close_all(_CLOSE_TIMEOUT)
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def on_get_dashboard_url(self, message: GetDashboardUrl) -> str:
        return self.url

    async def on_push(self, message: _Push) -> None:
        system = self.context.system
        entries = walk(system)
        sampled = self.history.observe(system.clock.time(), (s for _, s in entries))
        if self.hub is None or not self.hub.viewers:
            self.last_payload = None
            return
        self.last_payload = await self._snapshot(entries, sampled)
        await self.hub.broadcast(self.last_payload)

    async def _snapshot(self, entries: list[Entry], sampled: bool) -> bytes:
        """One push: everything the page shows, encoded once for every viewer."""
        system = self.context.system
        collector = self.collector
        # Slower answers are left for the next push rather than holding this one up.
        timeout = min(self.settings.ask_timeout, self.settings.push_interval)
        chains = await collector.chains(timeout)
        loop = await collector.loop_stats(timeout)
        bank = await collector.bank_health(timeout)
        reasons = readiness(system.running, entries, chains, self.settings.max_lag_blocks, bank)
        page: dict[str, Any] = {
            "type": "snapshot",
            "system": system.name,
            "time": time.time(),
            "ready": not reasons,
            "reasons": reasons,
            "actors": actor_rows(entries, self.history),
            "sample": self.history.latest() if sampled else None,
            "chains": [chain_row(path, answer) for path, answer in chains],
            "pools": pool_rows(await collector.pools(timeout)),
            "opportunities": await collector.opportunities(_PAGE_ROWS, timeout),
            "txs": await collector.txs(_PAGE_ROWS, timeout),
            "analytics": analytics_view(await collector.analytics(timeout)),
            "executor": executor_view(await collector.executor(timeout)),
            "process": collector.process(),
            "loop": None if loop is None else msgspec.structs.asdict(loop),
            "bank": None if bank is None else msgspec.structs.asdict(bank),
            "dead_letters_total": system.dead_letters_total,
            "viewers_dropped_total": self.hub.dropped_total if self.hub else 0,
            "reads_need_token": self.settings.reads_need_token,
        }
        return _encoder.encode(page)

    def _greeting(self) -> list[bytes]:
        hello = {
            "type": "hello",
            "system": self.context.system.name,
            "push_interval": self.settings.push_interval,
            "history": self.history.to_json(),
        }
        frames = [_encoder.encode(hello)]
        if self.last_payload is not None:
            frames.append(self.last_payload)
        return frames
