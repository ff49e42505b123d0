"""`Wallet`: the signer and one nonce manager per account, supervised together."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from actors.nonce._manager import NonceManager, NonceSettings
from actors.signer import Signer, SignerSettings
from runtime import Actor, Backoff, ConfigError, MailboxConfig, SupervisorPolicy

if TYPE_CHECKING:
    from collections.abc import Mapping

    from actors.nonce._book import NonceBook

__all__ = ["Wallet", "WalletSettings"]


@dataclass(frozen=True, slots=True)
class WalletSettings:
    """The key and the accounts it signs for.

    Args:
        signer: where the signer finds its key.
        accounts: one nonce manager's settings per account; their
            ``signer_path`` is set to this wallet's signer.
        mailbox_capacity: submits a nonce manager may have waiting.
    """

    signer: SignerSettings = field(default_factory=SignerSettings)
    accounts: tuple[NonceSettings, ...] = ()
    mailbox_capacity: int = 10_000


class Wallet(Actor):
    """Starts the signer (``<path>/signer``, a pykka thread actor), then a nonce
    manager per account (``<path>/<account>``), and supervises them one for one.

    A node that is away fails the managers (their asks to the chain client
    fail); they are restarted with backoff for as long as it takes, like the
    chain client itself, and their books carry over.

    How to send a transaction (an executor, say): in the app the wallet is
    ``/app/wallet`` and an account's manager ``/app/wallet/<account>`` (the
    address in lowercase hex). Look it up once (``system.lookup(path)``) and
    ask it ``Submit(TxRequest(...))``: the reply is the hash once the node
    has the transaction (and, with a bank, once its record is committed:
    an answered transaction survives a kill -9), or a `TxRefused` value
    (nothing sent). The helper
    ``actors.nonce.submit(manager, request)`` does the ask and raises
    `InvalidTxRequest` / `TxRejected` for a refusal. Follow the transaction
    through `TxUpdated` on ``system.events`` (or ask ``GetTxs``). Submits
    from any number of actors at once get strictly sequential nonces.

    Args:
        settings: the key and the accounts.
        books: each account's `NonceBook` (lowercase address -> book), made
            once, outside the factory, so they outlive restarts of the wallet
            too; restored from the bank after a restart of the process.

    Raises:
        ConfigError: at start, an account has no book.
    """

    supervision = SupervisorPolicy(
        max_restarts=100, within=60.0, backoff=Backoff(initial=0.1, maximum=5.0)
    )

    def __init__(self, settings: WalletSettings, books: Mapping[str, NonceBook]) -> None:
        super().__init__()
        self.settings = settings
        self.books = {account.lower(): book for account, book in books.items()}

    async def on_start(self) -> None:
        await self.context.spawn_pykka(Signer, self.settings.signer, name="signer")
        signer_path = f"{self.context.path.rstrip('/')}/signer"
        for account in self.settings.accounts:
            address = account.account.lower()
            if address not in self.books:
                raise ConfigError(f"the wallet has no nonce book for {address}")
            await self.context.spawn(
                partial(
                    NonceManager, replace(account, signer_path=signer_path), self.books[address]
                ),
                name=address,
                mailbox=MailboxConfig(capacity=self.settings.mailbox_capacity),
            )
