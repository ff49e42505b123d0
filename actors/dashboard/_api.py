"""The HTTP API: routes, auth, errors, and control messages decoded by msgspec.

Every error is ``{"error": {"code": ..., "message": ...}}`` with a 4xx
status (5xx only when an actor could not answer in time) and changes
nothing. No response, page or log line ever carries the token.
"""

from __future__ import annotations

import asyncio
import re
import typing
from importlib import resources
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from actors.dashboard._metrics import CONTENT_TYPE, render_metrics
from actors.dashboard._token import tokens_match
from actors.dashboard._views import (
    actor_detail,
    analytics_view,
    chain_row,
    executor_view,
    find_cell,
    pool_rows,
    readiness,
    walk,
)
from messages.control import Control, Pause, Restart, Resume, Shutdown, Stop
from runtime import ActorDead, AskTimeout, MailboxFull, MessageDropped, NoHandler, Rejected

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from actors.dashboard._collect import Collector
    from actors.dashboard._settings import DashboardSettings
    from actors.dashboard._websocket import Hub
    from runtime import ActorSystem

__all__ = ["Api", "ApiError"]

_PATH = re.compile(r"[a-z0-9_-]+(/[a-z0-9_-]+)*")
_STATIC = resources.files("actors.dashboard") / "static"
_CONTROL_TYPES = sorted(str(member.__struct_config__.tag) for member in typing.get_args(Control))
_decode_control = msgspec.json.Decoder(Control)
_encoder = msgspec.json.Encoder(enc_hook=str)
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_MEDIA = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
_DEFAULT_LIMIT = 50
_MAX_LIMIT = 1000


class ApiError(Exception):
    """An answer of the form ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        body = {"error": {"code": self.code, "message": self.message}}
        return web.Response(
            status=self.status, body=_encoder.encode(body), content_type="application/json"
        )


def decode_control(body: bytes) -> Any:
    """Decode a control message from tagged JSON (``{"type": "Restart"}``).

    Raises:
        ApiError: 400 ``malformed_json``, ``unknown_type`` or ``invalid_message``.
    """
    try:
        return _decode_control.decode(body)
    except msgspec.ValidationError as exc:
        text = str(exc)
        if text.endswith("at `$.type`") or "missing required field `type`" in text:
            raise ApiError(
                400,
                "unknown_type",
                f"{text}; the types are: {', '.join(_CONTROL_TYPES)}",
            ) from exc
        raise ApiError(400, "invalid_message", text) from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "malformed_json", f"the body is not JSON: {exc}") from exc


class Api:
    """The dashboard's routes over a running system.

    Args:
        system: the system to show and steer.
        settings: limits and where things live.
        token: the control token (compared in constant time, never echoed).
        collector: asks the actors for chains, pools and the bank's records.
        hub: the WebSocket viewers.
        dashboard_path: the dashboard actor's own path: stopping or
            restarting it (or an ancestor) cannot be waited for by a
            request it serves, so such a request is answered at once.
    """

    def __init__(
        self,
        *,
        system: ActorSystem,
        settings: DashboardSettings,
        token: str,
        collector: Collector,
        hub: Hub,
        dashboard_path: str,
    ) -> None:
        self.system = system
        self.settings = settings
        self._token = token
        self.collector = collector
        self.hub = hub
        self.dashboard_path = dashboard_path

    def application(self) -> web.Application:
        """An aiohttp application with every route of INTERFACE.md."""
        app = web.Application(client_max_size=self.settings.max_body, middlewares=[self._errors])
        reads = self._reads
        app.router.add_get("/", self.page)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", reads(self.readyz))
        app.router.add_get("/api/actors", reads(self.actors))
        app.router.add_get("/api/actors/{path:.+}", reads(self.actor))
        app.router.add_post("/api/actors/{path:.+}/messages", self.control)
        app.router.add_get("/api/chain", reads(self.chain))
        app.router.add_get("/api/pools", reads(self.pools))
        app.router.add_get("/api/opportunities", reads(self.opportunities))
        app.router.add_get("/api/txs", reads(self.txs))
        app.router.add_get("/api/analytics", reads(self.analytics))
        app.router.add_get("/api/executor", reads(self.executor))
        app.router.add_get("/metrics", reads(self.metrics))
        app.router.add_get("/ws", self._websocket)
        return app

    # -- middleware and auth ------------------------------------------------

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return error.response()
        except web.HTTPRequestEntityTooLarge:
            return _too_large(self.settings.max_body).response()
        except web.HTTPNotFound:
            return ApiError(404, "not_found", f"no route {request.path}").response()
        except web.HTTPMethodNotAllowed:
            return ApiError(
                405, "method_not_allowed", f"{request.method} is not allowed on {request.path}"
            ).response()

    def _reads(
        self, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        if not self.settings.reads_need_token:
            return handler

        async def guarded(request: web.Request) -> web.StreamResponse:
            self._authorize(request)
            return await handler(request)

        return guarded

    def _authorize(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(401, "unauthorized", "send the token as Authorization: Bearer TOKEN")
        if not tokens_match(given.strip(), self._token):
            raise ApiError(403, "forbidden", "the token is wrong")

    # -- the page -----------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        return _static_file("index.html")

    async def static(self, request: web.Request) -> web.Response:
        return _static_file(request.match_info["name"])

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.partition("://")[2] != request.host:
            raise ApiError(403, "forbidden", "WebSocket from another origin")
        return await self.hub.serve(request)

    # -- reads --------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        if self.system.running:
            return _json({"status": "ok"})
        return _json({"status": "stopping"}, status=503)

    async def readyz(self, request: web.Request) -> web.Response:
        chains = await self.collector.chains(self.settings.ask_timeout)
        bank = await self.collector.bank_health(self.settings.ask_timeout)
        reasons = readiness(
            self.system.running, walk(self.system), chains, self.settings.max_lag_blocks, bank
        )
        if reasons:
            return _json({"status": "not_ready", "reasons": reasons}, status=503)
        return _json({"status": "ready", "reasons": []})

    async def actors(self, request: web.Request) -> web.Response:
        return web.Response(
            body=_encoder.encode(self.system.snapshot()), content_type="application/json"
        )

    async def actor(self, request: web.Request) -> web.Response:
        cell = find_cell(self.system, self._path(request))
        if cell is None:
            raise ApiError(404, "unknown_actor", f"no actor at {self._path(request)}")
        return _json(actor_detail(cell))

    async def chain(self, request: web.Request) -> web.Response:
        chains = await self.collector.chains(self.settings.ask_timeout)
        return _json([chain_row(path, answer) for path, answer in chains])

    async def pools(self, request: web.Request) -> web.Response:
        return _json(pool_rows(await self.collector.pools(self.settings.ask_timeout)))

    async def opportunities(self, request: web.Request) -> web.Response:
        limit = _limit(request)
        return _json(await self.collector.opportunities(limit, self.settings.ask_timeout))

    async def txs(self, request: web.Request) -> web.Response:
        limit = _limit(request)
        return _json(await self.collector.txs(limit, self.settings.ask_timeout))

    async def analytics(self, request: web.Request) -> web.Response:
        """Analytics' rolling statistics; 503 ``unavailable`` with the reason when it gave none."""
        return _view_or_unavailable(
            analytics_view(await self.collector.analytics(self.settings.ask_timeout))
        )

    async def executor(self, request: web.Request) -> web.Response:
        """The executor's mode and outcomes; 503 ``unavailable`` with the reason if it gave none."""
        return _view_or_unavailable(
            executor_view(await self.collector.executor(self.settings.ask_timeout))
        )

    async def metrics(self, request: web.Request) -> web.Response:
        timeout = self.settings.ask_timeout
        analytics = await self.collector.analytics(timeout)
        executor = await self.collector.executor(timeout)
        text = render_metrics(
            entries=walk(self.system),
            chains=await self.collector.chains(timeout),
            totals=await self.collector.totals(timeout),
            dead_letters_total=self.system.dead_letters_total,
            process=self.collector.process(),
            loop=await self.collector.loop_stats(timeout),
            analytics=None if isinstance(analytics, str) else analytics,
            executor=None if isinstance(executor, str) else executor,
        )
        return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE})

    # -- control ------------------------------------------------------------

    async def control(self, request: web.Request) -> web.Response:
        """Carry out a control message: 202 when told, 200 and the reply with ``?ask=1``."""
        self._authorize(request)
        path = self._path(request)
        cell = find_cell(self.system, path) if path != "/" else None
        if cell is None or not cell.alive:
            raise ApiError(404, "unknown_actor", f"no actor at {path}")
        length = request.content_length
        if length is not None and length > self.settings.max_body:
            raise _too_large(self.settings.max_body)
        message = decode_control(await request.read())
        ask = request.query.get("ask", "").lower() in {"1", "true", "yes"}
        ref = cell.ref
        if isinstance(message, Shutdown):
            self.system.request_shutdown()
            return _accepted(ask=ask)
        if isinstance(message, Pause | Resume):
            await ref.control(message)
            return _accepted(ask=ask)
        if isinstance(message, Restart | Stop):
            done = ref.restart() if isinstance(message, Restart) else ref.stop()
            done.add_done_callback(_retrieve)
            # The dashboard cannot wait for its own stop: the server it
            # answers from is closed by it.
            own = self.dashboard_path == path or self.dashboard_path.startswith(path + "/")
            if ask and not own:
                await _reply_or_error(asyncio.shield(done), path)
                return _json({"reply": None})
            return _accepted(ask=False)
        if not ask:
            try:
                ref.tell(message)
            except MailboxFull as exc:
                raise ApiError(503, "mailbox_full", str(exc)) from exc
            return _accepted(ask=False)
        reply = await _reply_or_error(ref.ask(message, timeout=self.settings.ask_timeout), path)
        return web.Response(body=_encoder.encode({"reply": reply}), content_type="application/json")

    @staticmethod
    def _path(request: web.Request) -> str:
        tail = request.match_info.get("path", "").strip("/")
        if tail and not _PATH.fullmatch(tail):
            raise ApiError(404, "unknown_actor", "actor paths are names of [a-z0-9_-]")
        return "/" + tail


async def _reply_or_error(reply: Awaitable[Any], path: str) -> Any:
    try:
        return await reply
    except NoHandler as exc:
        raise ApiError(422, "no_handler", str(exc)) from exc
    except ActorDead as exc:
        raise ApiError(410, "actor_dead", str(exc)) from exc
    except AskTimeout as exc:
        raise ApiError(504, "ask_timeout", f"{path} did not answer in time") from exc
    except (MailboxFull, MessageDropped) as exc:
        raise ApiError(503, "mailbox_full", str(exc)) from exc
    except Rejected as exc:
        # The actor refused the message and runs on: not a failure.
        raise ApiError(422, "rejected", f"{path} refused the message: {exc}") from exc
    except Exception as exc:
        raise ApiError(422, "actor_error", f"{path} failed: {type(exc).__name__}: {exc}") from exc


def _view_or_unavailable(view: dict[str, Any]) -> web.Response:
    if view["error"] is not None:
        raise ApiError(503, "unavailable", view["error"])
    del view["error"]
    return _json(view)


def _retrieve(done: asyncio.Future[None]) -> None:
    # A restart or stop told and not awaited: its outcome is in the actor's
    # snapshot; retrieving the exception keeps asyncio from logging it.
    if not done.cancelled():
        done.exception()


def _limit(request: web.Request) -> int:
    text = request.query.get("limit", str(_DEFAULT_LIMIT))
    if not text.isdigit() or not 1 <= int(text) <= _MAX_LIMIT:
        raise ApiError(400, "invalid_limit", f"limit must be an integer in 1..{_MAX_LIMIT}")
    return int(text)


def _too_large(max_body: int) -> ApiError:
    return ApiError(413, "body_too_large", f"the body exceeds {max_body} bytes")


def _accepted(*, ask: bool) -> web.Response:
    if ask:
        return _json({"reply": None})
    return _json({"status": "accepted"}, status=202)


def _json(value: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_encoder.encode(value), content_type="application/json")


def _static_file(name: str) -> web.Response:
    resource = _STATIC / name
    suffix = "." + name.rpartition(".")[2]
    if "/" in name or suffix not in _MEDIA or not resource.is_file():
        raise ApiError(404, "not_found", f"no file {name}")
    return web.Response(
        body=resource.read_bytes(),
        content_type=_MEDIA[suffix],
        charset="utf-8",
        headers=_PAGE_HEADERS,
    )
