"""`submit`: how another actor sends a transaction through a nonce manager."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.nonce._exceptions import InvalidTxRequest, TxRejected
from messages.tx import Submit, TxRefused

if TYPE_CHECKING:
    from messages.tx import TxRequest
    from runtime import ActorRef

__all__ = ["submit"]


async def submit(manager: ActorRef, request: TxRequest, timeout: float = 30.0) -> str:
    """Ask ``manager`` to send ``request``; return the transaction's hash.

    Raises:
        InvalidTxRequest: the request does not validate; no nonce was used.
        TxRejected: the node refused the transaction, or the bank could not
            record it (it was not sent); its nonce goes to the next one.
        AskTimeout, ActorDead: as for any ask (the transaction may have been sent).
    """
    reply: str | TxRefused = await manager.ask(Submit(request), timeout=timeout)
    if isinstance(reply, TxRefused):
        raise InvalidTxRequest(reply.reason) if reply.invalid else TxRejected(reply.reason)
    return reply
