"""One JSON-RPC connection over a WebSocket: calls by id, subscription notifications out.

Frames are decoded with msgspec (`benchmarks/ingest.py` guards the hot
path): a response resolves the future of its call, a notification is
yielded by `notifications` to whoever reads the connection (the chain
client, through the kernel's `stream`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import msgspec

from runtime import ChainError, Rejected

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

__all__ = ["JsonRpcConnection", "Notification", "RpcError"]


class RpcError(ChainError, Rejected):
    """The node answered a call with an error object (a revert, a refused transaction).

    Also a `runtime.Rejected`: raised out of a handler it answers the asker
    and the actor carries on, since the node and the connection are fine.
    """

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method} failed: {message} (code {code})")
        self.method = method
        self.code = code
        self.node_message = message


class _Error(msgspec.Struct, frozen=True):
    code: int
    message: str


class _Params(msgspec.Struct, frozen=True):
    subscription: str
    result: msgspec.Raw


_NULL = msgspec.Raw(b"null")


class _Frame(msgspec.Struct, frozen=True):
    id: int | None = None
    result: msgspec.Raw = msgspec.field(default_factory=lambda: _NULL)
    error: _Error | None = None
    method: str | None = None
    params: _Params | None = None


class _Request(msgspec.Struct, frozen=True):
    id: int
    method: str
    params: Sequence[Any]
    jsonrpc: str = "2.0"


class Notification(msgspec.Struct, frozen=True):
    """A subscription's message: its id, the raw JSON result, when its frame arrived."""

    subscription: str
    result: msgspec.Raw
    received_ns: int


# Seconds a close waits for the node's closing handshake before dropping the
# socket: a slow node answers it late (behind its held-back frames), and a
# close that outlives its actor's shutdown timeout would leave the session open.
_CLOSE_TIMEOUT = 1.0

_decode_frame = msgspec.json.Decoder(_Frame).decode
_decode_batch = msgspec.json.Decoder(list[_Frame]).decode
_encode = msgspec.json.Encoder().encode


class JsonRpcConnection:
    """A WebSocket to a node. Owned by one actor; every method runs on its loop.

    Args:
        url: ``ws://`` or ``wss://`` address of the node.
        timeout: seconds a call may wait for its answer.
    """

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.malformed_total = 0
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, asyncio.Future[msgspec.Raw]]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None

    @property
    def connected(self) -> bool:
        return self._socket is not None and not self._socket.closed

    async def open(self) -> None:
        """Connect. Raises `ChainError` if the node cannot be reached."""
        self._session = aiohttp.ClientSession()
        try:
            self._socket = await self._session.ws_connect(
                self.url, heartbeat=10.0, max_msg_size=256 * 1024 * 1024
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            await self.close()
            raise ChainError(f"cannot connect to {self.url}: {exc}") from exc
        except BaseException:
            await self.close()  # cancelled while connecting (a stop): leave nothing open
            raise

    async def close(self) -> None:
        """Close the socket; pending calls fail with `ChainError`. Idempotent.

        Waits at most `_CLOSE_TIMEOUT` for the node's side of the closing
        handshake, then drops the socket.
        """
        self._fail_pending(ChainError(f"connection to {self.url} closed"))
        socket, self._socket = self._socket, None
        session, self._session = self._session, None
        try:
            if socket is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_CLOSE_TIMEOUT):
                        await socket.close()
        finally:
            if session is not None:
                # Marks the session closed before its first await, even if cancelled.
                await session.close()

    async def call(self, method: str, params: Sequence[Any] = ()) -> msgspec.Raw:
        """Make one call; return its raw JSON result.

        Raises:
            RpcError: the node answered with an error.
            ChainError: no answer within the timeout, or the connection is gone.
        """
        (future,) = await self._send([(method, params)])
        return await self._wait(method, future)

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[msgspec.Raw]:
        """Make several calls in one frame; results in call order.

        Raises:
            RpcError: any call failed (the first failure is raised).
            ChainError: as for `call`.
        """
        if not calls:
            return []
        futures = await self._send(calls)
        return [await self._wait(method, f) for (method, _), f in zip(calls, futures, strict=True)]

    async def _send(
        self, calls: Sequence[tuple[str, Sequence[Any]]]
    ) -> list[asyncio.Future[msgspec.Raw]]:
        socket = self._socket
        if socket is None or socket.closed:
            raise ChainError(f"not connected to {self.url}")
        loop = asyncio.get_running_loop()
        requests = []
        futures = []
        for method, params in calls:
            request_id = next(self._ids)
            future: asyncio.Future[msgspec.Raw] = loop.create_future()
            self._pending[request_id] = (method, future)
            requests.append(_Request(id=request_id, method=method, params=params))
            futures.append(future)
        payload = _encode(requests[0] if len(requests) == 1 else requests)
        try:
            await socket.send_str(payload.decode())
        except (aiohttp.ClientError, OSError, RuntimeError) as exc:
            error = ChainError(f"cannot send to {self.url}: {exc}")
            self._fail_pending(error)
            raise error from exc
        return futures

    async def _wait(self, method: str, future: asyncio.Future[msgspec.Raw]) -> msgspec.Raw:
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError as exc:
            raise ChainError(
                f"{method}: no answer from {self.url} within {self.timeout} s"
            ) from exc

    async def notifications(self) -> AsyncIterator[Notification]:
        """Read the socket until it closes: answer calls, yield subscription notifications.

        Frames that cannot be decoded are counted in ``malformed_total`` and
        skipped. Ends by raising `ChainError` when the connection is lost;
        cancelled, it fails the calls still waiting for an answer.
        """
        socket = self._socket
        if socket is None:
            raise ChainError(f"not connected to {self.url}")
        try:
            async for message in socket:
                if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    break
                received_ns = time.perf_counter_ns()
                data = message.data if isinstance(message.data, bytes) else message.data.encode()
                try:
                    frames = _decode_batch(data) if data[:1] == b"[" else [_decode_frame(data)]
                except msgspec.DecodeError:
                    self.malformed_total += 1
                    continue
                for frame in frames:
                    if frame.id is not None:
                        self._answer(frame)
                    elif (params := frame.params) is not None:
                        yield Notification(params.subscription, params.result, received_ns)
                    else:
                        self.malformed_total += 1
        except asyncio.CancelledError:
            # Nobody reads the answers any more (the owner is stopping): calls
            # waiting for one fail now rather than at their timeout, which a
            # stop would otherwise sit out before the owner's on_stop.
            self._fail_pending(ChainError(f"connection to {self.url} no longer read"))
            raise
        error = ChainError(f"connection to {self.url} lost")
        self._fail_pending(error)
        raise error

    def _answer(self, frame: _Frame) -> None:
        entry = self._pending.pop(frame.id, None) if frame.id is not None else None
        if entry is None:
            self.malformed_total += 1
            return
        method, future = entry
        if future.done():
            return
        if frame.error is not None:
            future.set_exception(RpcError(method, frame.error.code, frame.error.message))
        else:
            future.set_result(frame.result)

    def _fail_pending(self, error: ChainError) -> None:
        pending, self._pending = self._pending, {}
        for _, future in pending.values():
            if not future.done():
                future.set_exception(error)
