"""Each package's public API is exactly what its ``__all__`` lists, in ruff's order."""

from __future__ import annotations

import importlib
import types

import pytest

import runtime

PACKAGES = [
    "runtime",
    "actors.analytics",
    "actors.bank",
    "actors.chain",
    "actors.dex",
    "actors.devnet",
    "actors.dashboard",
    "actors.nonce",
    "actors.signer",
]


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each alphabetical."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


@pytest.fixture(params=PACKAGES)
def package(request: pytest.FixtureRequest) -> types.ModuleType:
    return importlib.import_module(request.param)


def test_all_is_sorted(package: types.ModuleType) -> None:
    assert package.__all__ == sorted(package.__all__, key=isort_style)


def test_all_lists_every_public_name_the_package_exports_and_no_other(
    package: types.ModuleType,
) -> None:
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(package.__all__) == public
    assert len(package.__all__) == len(public)


def test_star_import_gives_exactly_the_exported_names(package: types.ModuleType) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {package.__name__} import *", namespace)  # noqa: S102 - the star import is tested
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(package.__all__)


def test_every_class_the_kernel_exports_is_its_own() -> None:
    for name in runtime.__all__:
        value = getattr(runtime, name)
        if isinstance(value, type):
            assert value.__module__.startswith("runtime."), name
