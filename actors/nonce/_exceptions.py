"""What `submit` raises when a `Submit` is answered `TxRefused`.

```
ArbiterError (runtime)
 └── NonceError          something about one account's transactions
      ├── InvalidTxRequest  the request does not validate; no nonce was used
      └── TxRejected        the node refused the signed transaction; its nonce is reused
```
"""

from __future__ import annotations

from runtime import ArbiterError

__all__ = ["InvalidTxRequest", "NonceError", "TxRejected"]


class NonceError(ArbiterError):
    """Something about one account's transactions went wrong."""


class InvalidTxRequest(NonceError):
    """The request does not validate (address, hex data, gas, fees); no nonce was used."""


class TxRejected(NonceError):
    """The node refused the signed transaction; its nonce goes to the next one.

    ``node_message`` is the node's reason (``insufficient funds ...``).
    """

    def __init__(self, node_message: str) -> None:
        super().__init__(f"the node refused the transaction: {node_message}")
        self.node_message = node_message
