"""The header window: where a new head attaches, without a node."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.chain import Header, HeaderWindow, ReorgTooDeep


def _chain(length: int, fork: str = "a", start: int = 0, parent: str = "genesis") -> list[Header]:
    headers = []
    for number in range(start, start + length):
        header = Header(number, f"{fork}{number}", parent)
        headers.append(header)
        parent = header.hash
    return headers


def test_an_empty_window_accepts_any_first_block() -> None:
    window = HeaderWindow()
    header = Header(100, "x", "y")
    assert window.extends(header)
    window.append(header)
    assert window.last == header


def test_a_child_of_the_last_block_extends_the_window() -> None:
    window = HeaderWindow()
    blocks = _chain(3)
    for block in blocks:
        window.append(block)
    assert window.extends(Header(3, "a3", "a2"))
    assert not window.extends(Header(4, "a4", "a3"))  # a gap
    assert not window.extends(Header(3, "b3", "b2"))  # another branch


def test_appending_a_block_that_does_not_extend_is_refused() -> None:
    window = HeaderWindow()
    window.append(Header(0, "a0", "g"))
    with pytest.raises(ValueError, match="does not extend"):
        window.append(Header(2, "a2", "a1"))


def test_rewinding_to_an_ancestor_forgets_the_blocks_above_it_newest_first() -> None:
    window = HeaderWindow()
    blocks = _chain(6)
    for block in blocks:
        window.append(block)
    dropped = window.rewind_to(blocks[3])
    assert dropped == [blocks[5], blocks[4]]
    assert window.last == blocks[3]
    assert not window.knows("a5")
    assert window.extends(Header(4, "b4", "a3"))


def test_a_branch_attaches_to_its_parent_in_the_window() -> None:
    window = HeaderWindow()
    main = _chain(6)
    for block in main:
        window.append(block)
    fork = _chain(3, fork="b", start=4, parent="a3")
    assert window.find_ancestor(list(reversed(fork))) == main[3]


def test_a_branch_older_than_the_window_is_a_reorg_too_deep() -> None:
    window = HeaderWindow(depth=4)
    for block in _chain(10):
        window.append(block)
    fork = _chain(8, fork="b", start=2, parent="a1")
    with pytest.raises(ReorgTooDeep, match="older than the 4 remembered blocks"):
        window.find_ancestor(list(reversed(fork)))


def test_the_window_keeps_only_its_depth() -> None:
    window = HeaderWindow(depth=5)
    for block in _chain(20):
        window.append(block)
    assert len(window) == 5
    assert window.first is not None
    assert window.first.number == 15
    assert not window.knows("a14")


@given(st.integers(2, 40), st.integers(1, 60), st.data())
def test_any_rewind_then_new_branch_leaves_a_linked_window(
    depth: int, length: int, data: st.DataObject
) -> None:
    window = HeaderWindow(depth=depth)
    main = _chain(length)
    for block in main:
        window.append(block)
    kept = list(window)
    ancestor = data.draw(st.sampled_from(kept))
    window.rewind_to(ancestor)
    for block in _chain(
        data.draw(st.integers(0, 10)), fork="b", start=ancestor.number + 1, parent=ancestor.hash
    ):
        window.append(block)
    headers = list(window)
    assert len(headers) <= depth
    for parent, child in itertools.pairwise(headers):
        assert child.parent_hash == parent.hash
        assert child.number == parent.number + 1
