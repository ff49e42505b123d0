"""The TOML writer: what it writes, tomllib reads back as it was."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.devnet._toml import dumps

scalars = (
    st.text()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
)
keys = st.text(min_size=1, max_size=12)


def tables(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    values: st.SearchStrategy[Any] = scalars | st.lists(scalars, max_size=4)
    if depth > 0:
        values = values | tables(depth - 1) | st.lists(tables(depth - 1), min_size=1, max_size=3)
    return st.dictionaries(keys, values, max_size=5)


@given(tables())
def test_tomllib_reads_back_what_was_written(document: dict[str, Any]) -> None:
    assert tomllib.loads(dumps(document)) == document


def test_sections_become_tables_and_lists_of_records_arrays_of_tables() -> None:
    text = dumps({"devnet": {"chain_id": 1, "tokens": [{"symbol": "A"}, {"symbol": "B"}]}})
    assert text.splitlines() == [
        "[devnet]",
        "chain_id = 1",
        "",
        "[[devnet.tokens]]",
        'symbol = "A"',
        "",
        "[[devnet.tokens]]",
        'symbol = "B"',
    ]


def test_none_is_left_out() -> None:
    assert tomllib.loads(dumps({"a": None, "b": 1})) == {"b": 1}


@pytest.mark.parametrize(
    "value", [2**63, float("inf"), [{"a": 1}, 2], object()], ids=["big", "inf", "mixed", "object"]
)
def test_a_value_toml_cannot_hold_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match=r"TOML|finite|mixes|cannot"):
        dumps({"key": value})
