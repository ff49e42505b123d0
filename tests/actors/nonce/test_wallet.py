"""The wallet: a signer and a nonce manager per account under one supervisor, on a real anvil."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import pytest

from actors.chain import ChainClient, ChainMemory, ChainSettings
from actors.nonce import NonceBook, NonceSettings, Wallet, WalletSettings, submit
from actors.signer import SignerSettings
from messages.tx import GetAccount, GetNonceStatus, NonceStatus
from tests.actors.nonce.conftest import ACCOUNT, KEY, new_system, transfer
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from tests.fixtures.anvil import AnvilNode

pytestmark = pytest.mark.timeout(60)


async def test_a_wallet_starts_its_signer_then_a_manager_per_account_that_uses_it(
    anvil_node: AnvilNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNER_KEY", KEY)
    account = NonceSettings(
        account=ACCOUNT.upper().replace("0X", "0x"),
        chain="devnet",
        chain_id=31337,
        chain_path="/chain",
    )
    book = NonceBook(ACCOUNT)
    settings = WalletSettings(signer=SignerSettings(key_env="SIGNER_KEY"), accounts=(account,))
    async with new_system() as system:
        chain = ChainSettings("devnet", anvil_node.ws_url, 31337, poll_interval=0.5)
        await system.spawn(partial(ChainClient, chain, ChainMemory()), name="chain")
        await system.spawn(partial(Wallet, settings, {ACCOUNT: book}), name="wallet")
        signer = system.lookup("/wallet/signer")
        manager = system.lookup(f"/wallet/{ACCOUNT}")
        assert signer is not None
        assert manager is not None
        assert await signer.ask(GetAccount(), timeout=10) == ACCOUNT
        tx_hash = await submit(manager, transfer())

        async def mined() -> bool:
            status: NonceStatus = await manager.ask(GetNonceStatus(), timeout=10)
            return status.mined_total == 1

        await eventually(mined)
    assert [r.hash for r in book.records(10)] == [tx_hash]
