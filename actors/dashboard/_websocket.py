"""`Hub`: the WebSocket viewers, what each is sent, and dropping those that do not read.

A push is written to every viewer's socket without waiting. A viewer that
has left more than ``max_backlog`` bytes unread is disconnected instead of
being sent more, so what is buffered for one is bounded by ``max_backlog``
plus one push. The transport's own flow control is turned off (its
high-water mark set out of reach): a paused writer would make `broadcast`
wait for the slowest viewer, which is the bound's job, not the transport's.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol, cast

import msgspec
import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from actors.dashboard._token import tokens_match

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Hub"]

_log = structlog.get_logger("arbiter.dashboard")

# Close codes in the private range: the page asks for the token on these.
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
# A write buffer this full never happens: viewers are dropped long before.
_OUT_OF_REACH = 1 << 30  # uvloop takes a C int here
# Seconds a viewer that must authenticate has to send its token.
_AUTH_TIMEOUT = 10.0
# Bytes a broadcast writes before it lets the loop run other work. With 1,000
# actors a push is about 0.5 MB, 25 MB for 50 viewers: written in one go it
# held every request up for 8 ms (`benchmarks/dashboard.py`, case api_actors).
_YIELD_EVERY = 1 << 20


class _Socket(Protocol):
    """What a viewer's transport offers, on asyncio's loop and uvloop's alike.

    uvloop's transports are not `asyncio.WriteTransport` subclasses, so
    they are used by what they can do.
    """

    def get_write_buffer_size(self) -> int: ...
    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None: ...
    def is_closing(self) -> bool: ...
    def abort(self) -> None: ...
    def close(self) -> None: ...


class _Auth(msgspec.Struct, frozen=True):
    token: str


_decode_auth = msgspec.json.Decoder(_Auth)


class Hub:
    """The connected viewers of ``/ws``.

    Args:
        max_backlog: bytes a viewer may leave unread before it is dropped
            (it may then have one push more in flight).
        token: required as the first message ``{"token": ...}`` when
            ``needs_token``; never sent back.
        needs_token: whether viewers must authenticate.
        greeting: makes what a new viewer is sent first (history and the
            latest snapshot).
    """

    def __init__(
        self,
        max_backlog: int,
        token: str,
        needs_token: bool,
        greeting: Callable[[], list[bytes]],
    ) -> None:
        self.max_backlog = max_backlog
        self._token = token
        self.needs_token = needs_token
        self._greeting = greeting
        self.viewers: dict[web.WebSocketResponse, _Socket] = {}
        self.dropped_total = 0

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        """The ``/ws`` handler: greet, then hold the connection until the viewer leaves."""
        ws = web.WebSocketResponse(compress=False, max_msg_size=4096, timeout=1.0)
        await ws.prepare(request)
        if request.transport is None:
            return ws
        transport = cast("_Socket", request.transport)
        transport.set_write_buffer_limits(high=_OUT_OF_REACH)
        if self.needs_token and not await self._authenticated(ws):
            return ws
        try:
            for frame in self._greeting():
                await ws.send_frame(frame, WSMsgType.TEXT)
        except ConnectionResetError:
            return ws
        self.viewers[ws] = transport
        try:
            async for _ in ws:
                pass  # viewers only listen; reading keeps pings and the close handshake going
        finally:
            self.viewers.pop(ws, None)
        return ws

    async def _authenticated(self, ws: web.WebSocketResponse) -> bool:
        try:
            message = await ws.receive(timeout=_AUTH_TIMEOUT)
        except TimeoutError:
            await ws.close(code=CLOSE_UNAUTHORIZED, message=b"token required")
            return False
        if message.type is not WSMsgType.TEXT:
            await ws.close(code=CLOSE_UNAUTHORIZED, message=b"token required")
            return False
        try:
            given = _decode_auth.decode(message.data).token
        except msgspec.DecodeError:
            await ws.close(code=CLOSE_UNAUTHORIZED, message=b"token required")
            return False
        if not tokens_match(given, self._token):
            await ws.close(code=CLOSE_FORBIDDEN, message=b"wrong token")
            return False
        return True

    async def broadcast(self, payload: bytes) -> None:
        """Send ``payload`` to every viewer as one text frame; drop the ones too far behind.

        Yields to the loop after every `_YIELD_EVERY` bytes written, so that
        requests are served between viewers; a viewer that leaves meanwhile
        is skipped, one that arrives gets ``payload`` in its greeting.
        """
        written = 0
        for ws, transport in list(self.viewers.items()):
            if written >= _YIELD_EVERY:
                written = 0
                await asyncio.sleep(0)
            if ws.closed or transport.is_closing():
                self.viewers.pop(ws, None)
                continue
            backlog = transport.get_write_buffer_size()
            if backlog > self.max_backlog:
                self.drop(ws, transport, backlog)
                continue
            try:
                await ws.send_frame(payload, WSMsgType.TEXT)
            except ConnectionResetError:
                self.viewers.pop(ws, None)
            written += len(payload)

    def drop(self, ws: web.WebSocketResponse, transport: _Socket, backlog: int) -> None:
        """Disconnect a viewer at once: it has left ``backlog`` bytes unread."""
        self.viewers.pop(ws, None)
        self.dropped_total += 1
        _log.warning("ws_viewer_dropped", unread_bytes=backlog, max_backlog=self.max_backlog)
        transport.abort()

    async def close_all(self, timeout: float) -> None:
        """Say goodbye to every viewer within ``timeout`` s; cut off those that do not answer."""
        viewers = list(self.viewers.items())
        try:
            async with asyncio.timeout(timeout):
                for ws, _ in viewers:
                    await ws.close(code=WSCloseCode.GOING_AWAY, message=b"dashboard stopping")
        except TimeoutError:
            pass
        for ws, transport in viewers:
            self.viewers.pop(ws, None)
            if not transport.is_closing():
                transport.close()
