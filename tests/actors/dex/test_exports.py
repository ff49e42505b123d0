"""The public API of the DEX layer is exactly what `actors.dex.__all__` lists, in order."""

from __future__ import annotations

import types

import actors.dex
from actors.dex import DexError
from runtime import ArbiterError


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    assert actors.dex.__all__ == sorted(actors.dex.__all__, key=isort_style)


def test_all_lists_every_public_name_the_package_exports_and_no_other() -> None:
    public = {
        name
        for name, value in vars(actors.dex).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(actors.dex.__all__) == public
    assert len(actors.dex.__all__) == len(public)


def test_every_exported_error_is_a_dex_error_and_so_an_arbiter_error() -> None:
    errors = [
        value
        for value in map(vars(actors.dex).get, actors.dex.__all__)
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) == 7
    assert all(issubclass(error, DexError) for error in errors)
    assert issubclass(DexError, ArbiterError)
