"""The recent header chain: which blocks were processed, and where a new head attaches.

Pure bookkeeping, no I/O. The chain client asks it, for every head the node
announces, whether the head is already known, extends the processed chain,
or needs the blocks in between fetched (a gap, a reorg, or both).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runtime import ChainError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Header", "HeaderWindow", "ReorgTooDeep"]


@dataclass(frozen=True, slots=True)
class Header:
    """The part of a block header that orders blocks."""

    number: int
    hash: str
    parent_hash: str


class ReorgTooDeep(ChainError):
    """The new branch forks below the oldest block still remembered."""


class HeaderWindow:
    """The last ``depth`` processed headers, oldest first, each the parent of the next.

    It outlives restarts of the chain client (the supervisor's factory keeps
    it), so a restarted client resumes where the last one stopped.
    """

    def __init__(self, depth: int = 128) -> None:
        if depth < 2:
            raise ValueError("the header window needs a depth of at least 2")
        self.depth = depth
        self._headers: deque[Header] = deque()
        self._by_hash: dict[str, Header] = {}

    def __len__(self) -> int:
        return len(self._headers)

    def __iter__(self) -> Iterator[Header]:
        """The remembered headers, oldest first."""
        return iter(self._headers)

    @property
    def last(self) -> Header | None:
        """The last processed block, or None before the first."""
        return self._headers[-1] if self._headers else None

    @property
    def first(self) -> Header | None:
        return self._headers[0] if self._headers else None

    def get(self, block_hash: str) -> Header | None:
        return self._by_hash.get(block_hash)

    def knows(self, block_hash: str) -> bool:
        return block_hash in self._by_hash

    def extends(self, header: Header) -> bool:
        """True if ``header`` is the child of the last processed block."""
        last = self.last
        return last is None or (
            header.parent_hash == last.hash and header.number == last.number + 1
        )

    def append(self, header: Header) -> None:
        """Record ``header`` as processed; it must extend the window.

        Raises:
            ValueError: it does not extend the last processed block.
        """
        if not self.extends(header):
            raise ValueError(f"block {header.number} {header.hash} does not extend the window")
        self._headers.append(header)
        self._by_hash[header.hash] = header
        while len(self._headers) > self.depth:
            old = self._headers.popleft()
            del self._by_hash[old.hash]

    def rewind_to(self, ancestor: Header) -> list[Header]:
        """Forget every block above ``ancestor``; return them, newest first.

        Raises:
            ValueError: ``ancestor`` is not in the window.
        """
        if self._by_hash.get(ancestor.hash) != ancestor:
            raise ValueError(f"block {ancestor.number} {ancestor.hash} is not in the window")
        dropped: list[Header] = []
        while self._headers[-1] != ancestor:
            header = self._headers.pop()
            del self._by_hash[header.hash]
            dropped.append(header)
        return dropped

    def reset(self) -> None:
        """Forget everything (the next head starts afresh)."""
        self._headers.clear()
        self._by_hash.clear()

    def find_ancestor(self, branch: list[Header]) -> Header:
        """The window block that the oldest block of ``branch`` (newest first) attaches to.

        Raises:
            ReorgTooDeep: the branch attaches below the window.
        """
        oldest = branch[-1]
        ancestor = self._by_hash.get(oldest.parent_hash)
        if ancestor is None:
            first = self.first
            raise ReorgTooDeep(
                f"block {oldest.number} attaches to {oldest.parent_hash}, "
                f"older than the {len(self)} remembered blocks"
                + (f" (oldest {first.number})" if first else "")
            )
        return ancestor
