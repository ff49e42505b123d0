"""The public API of the devnet is exactly what `actors.devnet.__all__` lists, in order."""

from __future__ import annotations

import types

import actors.devnet
from actors.devnet import DevnetError
from runtime import ArbiterError


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    assert actors.devnet.__all__ == sorted(actors.devnet.__all__, key=isort_style)


def test_all_lists_every_public_name_the_package_exports_and_no_other() -> None:
    public = {
        name
        for name, value in vars(actors.devnet).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(actors.devnet.__all__) == public


def test_every_exported_error_is_a_devnet_error_and_so_an_arbiter_error() -> None:
    errors = [
        value
        for value in map(vars(actors.devnet).get, actors.devnet.__all__)
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) == 2
    assert all(issubclass(error, DevnetError) for error in errors)
    assert issubclass(DevnetError, ArbiterError)
