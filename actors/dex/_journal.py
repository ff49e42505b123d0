"""A per-block journal of pool state changes, so a watcher can undo the blocks a reorg orphans."""

from __future__ import annotations

from collections import deque

from actors.dex._exceptions import BlockOutOfOrder, ReorgTooDeep
from runtime import ConfigError

__all__ = ["DEFAULT_JOURNAL_DEPTH", "StateJournal"]

DEFAULT_JOURNAL_DEPTH = 64


class _Block[S]:
    __slots__ = ("hash", "number", "undo")

    def __init__(self, number: int, block_hash: str) -> None:
        self.number = number
        self.hash = block_hash
        self.undo: dict[str, S | None] = {}


class StateJournal[S]:
    """What each pool's state was before each of the last ``depth`` blocks changed it.

    The watcher calls `record` with a pool's old state before it applies a block's
    change to that pool; on a reorg it calls `rollback_to` with the common ancestor and
    puts the returned states back. Blocks are recorded in ascending order; a block
    more than ``depth`` below the newest recorded one is forgotten, and so is
    everything at or below the number given to `prune` (a finalised block, say).

    Only the states before a block matter, so within one block the first record of a
    pool wins. Pure bookkeeping: no I/O, not thread-safe (one actor owns it).

    Args:
        depth: how many blocks to keep, at least 1.
        base_block: the block the watcher's states are as of (it read them at the end
            of that block); the journal cannot roll back below it. ``None`` means
            "from the first recorded block on".

    Raises:
        ConfigError: ``depth < 1``.
    """

    def __init__(self, depth: int = DEFAULT_JOURNAL_DEPTH, base_block: int | None = None) -> None:
        if depth < 1:
            raise ConfigError(f"journal depth must be at least 1, got {depth}")
        self._depth = depth
        self._blocks: deque[_Block[S]] = deque()
        self._floor = base_block

    @property
    def depth(self) -> int:
        """How many blocks the journal keeps."""
        return self._depth

    @property
    def oldest_undoable(self) -> int | None:
        """The lowest block `rollback_to` accepts; ``None`` before anything is known."""
        return self._floor

    @property
    def newest_block(self) -> int | None:
        """The highest block recorded and not rolled back or pruned, if any."""
        return self._blocks[-1].number if self._blocks else None

    def __len__(self) -> int:
        """The number of blocks with recorded changes."""
        return len(self._blocks)

    def record(
        self, block_number: int, block_hash: str, pool_address: str, old_state: S | None
    ) -> None:
        """Note that block ``block_number`` changes ``pool_address``, whose state was ``old_state``.

        ``old_state`` is ``None`` when the pool had no known state before the block.

        Raises:
            BlockOutOfOrder: ``block_number`` is below the newest recorded block, or
                equal to it with another hash, or not above the base block: the
                caller missed a reorg (roll back or `reset` first).
        """
        blocks = self._blocks
        if self._floor is None:
            self._floor = block_number - 1
        if blocks and blocks[-1].number == block_number:
            block = blocks[-1]
            if block.hash != block_hash:
                raise BlockOutOfOrder(
                    f"block {block_number} recorded as {block.hash}, now {block_hash}"
                )
        else:
            newest = blocks[-1].number if blocks else self._floor
            if block_number <= newest:
                raise BlockOutOfOrder(f"block {block_number} is not above block {newest}")
            block = _Block[S](block_number, block_hash)
            blocks.append(block)
            self._prune_through(block_number - self._depth)
        block.undo.setdefault(pool_address, old_state)

    def rollback_to(self, ancestor_number: int) -> dict[str, S | None]:
        """Forget the blocks above ``ancestor_number``; return the states they overwrote.

        Returns:
            For every pool changed above the ancestor, its state at the end of the
            ancestor (``None``: it had none). Pools missing from the dict were not
            changed there.

        Raises:
            ReorgTooDeep: the ancestor is below `oldest_undoable` (blocks that may have
                changed pools were already forgotten). The journal is left unchanged;
                re-read the pools' states from the chain and `reset`.
        """
        oldest = self.oldest_undoable
        if oldest is not None and ancestor_number < oldest:
            raise ReorgTooDeep(ancestor_number, oldest)
        restored: dict[str, S | None] = {}
        blocks = self._blocks
        while blocks and blocks[-1].number > ancestor_number:
            restored.update(blocks.pop().undo)
        return restored

    def prune(self, through_block: int) -> None:
        """Forget every block up to and including ``through_block`` (it can no longer be undone)."""
        self._prune_through(through_block)

    def reset(self, base_block: int) -> None:
        """Forget everything: the watcher's states are now as of ``base_block``."""
        self._blocks.clear()
        self._floor = base_block

    def _prune_through(self, through_block: int) -> None:
        blocks = self._blocks
        while blocks and blocks[0].number <= through_block:
            blocks.popleft()
        if self._floor is None or through_block > self._floor:
            self._floor = through_block
