"""Every error the devnet exports is a DevnetError, and so an ArbiterError."""

from __future__ import annotations

import actors.devnet
from actors.devnet import DevnetError
from runtime import ArbiterError


def test_every_exported_error_is_a_devnet_error_and_so_an_arbiter_error() -> None:
    errors = [
        value
        for value in map(vars(actors.devnet).get, actors.devnet.__all__)
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) == 2
    assert all(issubclass(error, DevnetError) for error in errors)
    assert issubclass(DevnetError, ArbiterError)
