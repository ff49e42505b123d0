"""The public API of the kernel is exactly what `runtime.__all__` lists, in order."""

from __future__ import annotations

import types

import runtime


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    assert runtime.__all__ == sorted(runtime.__all__, key=isort_style)


def test_all_lists_every_public_name_the_package_exports_and_no_other() -> None:
    public = {
        name
        for name, value in vars(runtime).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(runtime.__all__) == public
    assert len(runtime.__all__) == len(public)


def test_every_exported_name_resolves_to_a_kernel_object() -> None:
    for name in runtime.__all__:
        value = getattr(runtime, name)
        if isinstance(value, type):
            assert value.__module__.startswith("runtime."), name


def test_star_import_gives_exactly_the_exported_names() -> None:
    namespace: dict[str, object] = {}
    exec("from runtime import *", namespace)  # noqa: S102 - the star import is what is tested
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(runtime.__all__)
