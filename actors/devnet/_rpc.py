"""JSON-RPC over HTTP for the devnet: single calls, batches, and waiting for receipts.

A thin layer over web3.py's `AsyncHTTPProvider` that turns an error object
into a `DevnetError` naming the method. Batches send many requests in one
HTTP round trip (web3.py refuses ``eth_sendTransaction`` in its own batches).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.types import RPCEndpoint

from actors.devnet._errors import DevnetError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Request", "connect", "rpc", "rpc_batch", "wait_for_receipts"]

Request = tuple[str, list[Any]]
"""A JSON-RPC method and its parameters."""

_RECEIPT_POLL = 0.005


def connect(http_url: str) -> AsyncWeb3[AsyncHTTPProvider]:
    """An `AsyncWeb3` on ``http_url``; close it with ``await w3.provider.disconnect()``."""
    return AsyncWeb3(AsyncHTTPProvider(http_url))


async def rpc(w3: AsyncWeb3[AsyncHTTPProvider], method: str, *params: Any) -> Any:
    """Call ``method`` and return its raw result.

    Raises:
        DevnetError: the node answered an error.
    """
    response = await w3.provider.make_request(RPCEndpoint(method), list(params))
    error = response.get("error")
    if error is not None:
        raise DevnetError(f"{method} failed: {_message(error)}")
    return response.get("result")


async def rpc_batch(w3: AsyncWeb3[AsyncHTTPProvider], requests: Sequence[Request]) -> list[Any]:
    """Send ``requests`` in one HTTP round trip; return their raw results in order.

    The node handles them in order, but a transaction may still be mined
    later (see `wait_for_receipts`).

    Raises:
        DevnetError: the node answered an error to any of them (the first is named).
    """
    if not requests:
        return []
    batch = [(RPCEndpoint(method), params) for method, params in requests]
    responses = await w3.provider.make_batch_request(batch)
    if not isinstance(responses, list):
        raise DevnetError(f"batch of {len(requests)} failed: {_message(responses.get('error'))}")
    by_id = sorted(responses, key=lambda response: int(response.get("id") or 0))
    results: list[Any] = []
    for (method, _), response in zip(requests, by_id, strict=True):
        error = response.get("error")
        if error is not None:
            raise DevnetError(f"{method} failed: {_message(error)}")
        results.append(response.get("result"))
    return results


async def wait_for_receipts(
    w3: AsyncWeb3[AsyncHTTPProvider],
    hashes: Sequence[str],
    timeout: float = 30.0,
    *,
    mine: bool = False,
) -> list[dict[str, Any]]:
    """Poll until every transaction in ``hashes`` is mined; return the raw receipts in order.

    With ``mine``, each poll first mines a block (``evm_mine``), for a node
    that does not mine on its own as fast as wanted (interval mining, or none).

    Raises:
        DevnetError: some are still unmined after ``timeout`` seconds.
    """
    receipts: list[dict[str, Any] | None] = [None] * len(hashes)
    deadline = time.monotonic() + timeout
    while True:
        missing = [i for i, receipt in enumerate(receipts) if receipt is None]
        if not missing:
            return [receipt for receipt in receipts if receipt is not None]
        requests: list[Request] = [("evm_mine", [])] if mine else []
        requests += [("eth_getTransactionReceipt", [hashes[i]]) for i in missing]
        found = (await rpc_batch(w3, requests))[1 if mine else 0 :]
        for i, receipt in zip(missing, found, strict=True):
            receipts[i] = receipt
        if any(receipt is None for receipt in receipts):
            if time.monotonic() > deadline:
                unmined = sum(receipt is None for receipt in receipts)
                raise DevnetError(f"{unmined} transactions not mined within {timeout} s")
            await asyncio.sleep(_RECEIPT_POLL)


def _message(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message", error))
    return str(error)
