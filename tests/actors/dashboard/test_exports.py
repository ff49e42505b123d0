"""The public API of the dashboard is exactly what `actors.dashboard.__all__` lists, in order."""

from __future__ import annotations

import types

import actors.dashboard


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    assert actors.dashboard.__all__ == sorted(actors.dashboard.__all__, key=isort_style)


def test_all_lists_every_public_name_the_package_exports_and_no_other() -> None:
    public = {
        name
        for name, value in vars(actors.dashboard).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(actors.dashboard.__all__) == public
    assert len(actors.dashboard.__all__) == len(public)
