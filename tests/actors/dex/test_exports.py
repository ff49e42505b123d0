"""Every error the DEX layer exports is a DexError, and so an ArbiterError."""

from __future__ import annotations

import actors.dex
from actors.dex import DexError
from runtime import ArbiterError


def test_every_exported_error_is_a_dex_error_and_so_an_arbiter_error() -> None:
    errors = [
        value
        for value in map(vars(actors.dex).get, actors.dex.__all__)
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) == 7
    assert all(issubclass(error, DexError) for error in errors)
    assert issubclass(DexError, ArbiterError)
