"""The errors of the DEX layer, all under `runtime.ArbiterError`.

```
ArbiterError
 └── DexError                 a DEX computation or log could not be done or read
      ├── InvalidAmount        an amount or fee is zero, negative, or beyond its Solidity type
      ├── InsufficientLiquidity  the reserves or the liquidity cannot serve the amount
      ├── OutOfRange           a tick or sqrt price outside TickMath's domain, or the two disagree
      ├── MalformedLog         a log's topics or data do not match what the event's ABI says
      ├── BlockOutOfOrder      a journal got a block below, or conflicting with, its newest
      └── ReorgTooDeep         a reorg reaches below the oldest block the journal can undo
```
"""

from __future__ import annotations

from runtime import ArbiterError

__all__ = [
    "BlockOutOfOrder",
    "DexError",
    "InsufficientLiquidity",
    "InvalidAmount",
    "MalformedLog",
    "OutOfRange",
    "ReorgTooDeep",
]


class DexError(ArbiterError):
    """A DEX computation or log could not be done or read."""


class InvalidAmount(DexError):
    """An amount or a fee is zero, negative, or does not fit its Solidity type."""


class InsufficientLiquidity(DexError):
    """The reserves or the in-range liquidity cannot serve the amount (the contract reverts)."""


class OutOfRange(DexError):
    """A tick or sqrt price lies outside TickMath's domain, or a state's tick and price disagree."""


class MalformedLog(DexError):
    """A log's topics or data do not match the event's ABI."""


class BlockOutOfOrder(DexError):
    """A journal was given a block below its newest, or a known block number with another hash.

    Either means the caller missed a reorg: roll back (or reset) first.
    """


class ReorgTooDeep(DexError):
    """A reorg reaches below the oldest block the journal can undo.

    The journal is left as it was; the caller must re-read pool state from the chain
    and `StateJournal.reset` the journal at the block it read.

    Args:
        ancestor_number: the common ancestor the reorg rolls back to.
        oldest_undoable: the lowest ancestor the journal could have rolled back to.
    """

    def __init__(self, ancestor_number: int, oldest_undoable: int) -> None:
        super().__init__(
            f"reorg to block {ancestor_number} is deeper than the journal, "
            f"which can roll back to block {oldest_undoable} at the lowest"
        )
        self.ancestor_number = ancestor_number
        self.oldest_undoable = oldest_undoable
