"""Every error the nonce package exports is a NonceError, and so an ArbiterError."""

from __future__ import annotations

import actors.nonce
from actors.nonce import NonceError
from runtime import ArbiterError


def test_every_exported_error_is_a_nonce_error_and_so_an_arbiter_error() -> None:
    errors = [
        value
        for value in map(vars(actors.nonce).get, actors.nonce.__all__)
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) == 3
    assert all(issubclass(error, NonceError) for error in errors)
    assert issubclass(NonceError, ArbiterError)
