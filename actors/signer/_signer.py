"""`Signer`: a pykka thread actor, the only holder of the private key."""

from __future__ import annotations

import os
from typing import Any

import pykka
import structlog
from coincurve import PrivateKey
from eth_account import Account

from actors.signer._eip1559 import sign_eip1559
from actors.signer._keys import SignerSettings, load_key
from messages.tx import GetAccount, Signed, SignRequest
from runtime import ActorDead, NoHandler
from runtime.logs import register_secret

__all__ = ["Signer"]


class Signer(pykka.ThreadingActor):
    """Signs type-2 transactions with one key, in its own thread.

    Start it through the kernel's bridge (``await context.spawn_pykka(Signer,
    settings)``): asks are awaitable and never block the event loop. The key
    is read in `on_start`, in the actor's thread, so a keystore's scrypt does
    not stall the loop; it is registered with `runtime.logs.register_secret`
    at once, so no log line can carry it. It is never returned, logged,
    written or shown by ``repr``.

    Messages: `SignRequest` -> `Signed`; `GetAccount` -> the key's address.
    Anything else raises `NoHandler` (a failure: the bridge restarts the actor).
    Signing is libsecp256k1's (coincurve) behind a direct type-2 encoding
    (`sign_eip1559`): a few times faster than eth-account's
    ``sign_transaction``, with the same bytes.
    """

    def __init__(self, settings: SignerSettings) -> None:
        super().__init__()
        self.settings = settings
        self.address: str | None = None
        self.signed_total = 0
        self._key: PrivateKey | None = None

    def on_start(self) -> None:
        key = load_key(self.settings, os.environ)
        register_secret(key.hex())
        self._key = PrivateKey(key)
        self.address = Account.from_key(key).address.lower()
        structlog.get_logger("arbiter.signer").info("signer_ready", address=self.address)

    def on_stop(self) -> None:
        self._key = None

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, SignRequest):
            return self._sign(message)
        if isinstance(message, GetAccount):
            return self.address
        raise NoHandler(f"the signer does not handle {type(message).__name__}")

    def _sign(self, request: SignRequest) -> Signed:
        if self._key is None:
            raise ActorDead("the signer has stopped: its key is gone")
        signed = sign_eip1559(self._key, request)
        self.signed_total += 1
        return signed

    def __repr__(self) -> str:
        return f"<Signer {self.address or 'without a key'}>"

    __str__ = __repr__
