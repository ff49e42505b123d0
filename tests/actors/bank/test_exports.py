"""The bank's errors form one tree under `ArbiterError`; its messages module exports them all.

The package's ``__all__`` is checked with every other package's in ``tests/test_exports.py``.
"""

from __future__ import annotations

import actors.bank
import messages.bank
from actors.bank import BankError
from runtime import ArbiterError
from tests.test_exports import isort_style


def test_every_exported_error_is_a_bank_error_and_so_an_arbiter_error() -> None:
    errors = [
        value
        for value in map(vars(actors.bank).get, actors.bank.__all__)
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) == 4
    assert all(issubclass(error, BankError) for error in errors)
    assert issubclass(BankError, ArbiterError)


def test_the_bank_messages_module_exports_every_message_it_defines_in_order() -> None:
    defined = {
        name
        for name, value in vars(messages.bank).items()
        if isinstance(value, type) and value.__module__ == "messages.bank"
    }
    assert defined <= set(messages.bank.__all__)
    assert messages.bank.__all__ == sorted(messages.bank.__all__, key=isort_style)
