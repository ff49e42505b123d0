"""Nonce managers: one actor per account, owning its nonces and its transactions in flight."""

from actors.nonce._book import Action as Action
from actors.nonce._book import Due as Due
from actors.nonce._book import NonceBook as NonceBook
from actors.nonce._book import NonceTotals as NonceTotals
from actors.nonce._exceptions import InvalidTxRequest as InvalidTxRequest
from actors.nonce._exceptions import NonceError as NonceError
from actors.nonce._exceptions import TxRejected as TxRejected
from actors.nonce._fees import StuckPolicy as StuckPolicy
from actors.nonce._fees import bumped_fees as bumped_fees
from actors.nonce._fees import market_fees as market_fees
from actors.nonce._manager import NonceManager as NonceManager
from actors.nonce._manager import NonceSettings as NonceSettings
from actors.nonce._refusals import Refusal as Refusal
from actors.nonce._refusals import classify as classify
from actors.nonce._submit import submit as submit
from actors.nonce._wallet import Wallet as Wallet
from actors.nonce._wallet import WalletSettings as WalletSettings

__all__ = [
    "Action",
    "Due",
    "InvalidTxRequest",
    "NonceBook",
    "NonceError",
    "NonceManager",
    "NonceSettings",
    "NonceTotals",
    "Refusal",
    "StuckPolicy",
    "TxRejected",
    "Wallet",
    "WalletSettings",
    "bumped_fees",
    "classify",
    "market_fees",
    "submit",
]
