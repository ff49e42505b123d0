"""Where the key comes from: an environment variable, or a keystore and its password."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from eth_account import Account

from actors.signer import SignerSettings, load_key
from runtime import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
RAW = bytes.fromhex(KEY[2:])


@pytest.mark.parametrize("value", [KEY, KEY[2:], f"  {KEY}\n", KEY.upper().replace("0X", "0x")])
def test_a_key_in_the_environment_is_read_with_or_without_0x(value: str) -> None:
    assert load_key(SignerSettings(), {"ARBITER_PRIVATE_KEY": value}) == RAW


def test_the_variable_holding_the_key_is_configurable() -> None:
    assert load_key(SignerSettings(key_env="HOT_KEY"), {"HOT_KEY": KEY}) == RAW


@pytest.mark.parametrize("value", ["", "0x1234", KEY + "00", "0x" + "zz" * 32])
def test_anything_but_32_bytes_of_hex_is_refused_without_being_quoted(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_key(SignerSettings(), {"ARBITER_PRIVATE_KEY": value})
    if value:
        assert value not in str(raised.value)


def _keystore(tmp_path: Path, password: str) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(Account.encrypt(KEY, password, iterations=2**10)))
    return path


def test_a_keystore_is_decrypted_with_the_password_from_the_environment(tmp_path: Path) -> None:
    settings = SignerSettings(keystore=_keystore(tmp_path, "s3cret"))
    assert load_key(settings, {"ARBITER_KEYSTORE_PASSWORD": "s3cret"}) == RAW


def test_a_keystore_is_decrypted_with_the_password_from_a_file(tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_text("s3cret\n")
    settings = SignerSettings(keystore=_keystore(tmp_path, "s3cret"), password_file=password_file)
    assert load_key(settings, {}) == RAW


def test_a_keystore_takes_precedence_over_the_environment_key(tmp_path: Path) -> None:
    settings = SignerSettings(keystore=_keystore(tmp_path, "s3cret"))
    other = "0x" + "11" * 32
    environ = {"ARBITER_PRIVATE_KEY": other, "ARBITER_KEYSTORE_PASSWORD": "s3cret"}
    assert load_key(settings, environ) == RAW


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no password", "needs a password: set ARBITER_KEYSTORE_PASSWORD"),
        ("missing file", "signer.keystore: cannot read"),
        ("not json", "is not a JSON keystore"),
        ("not a keystore", "cannot decrypt"),
        ("missing password file", "signer.password_file: cannot read"),
    ],
)
def test_a_keystore_that_cannot_be_used_is_refused_with_the_key_named(
    tmp_path: Path, case: str, expected: str
) -> None:
    keystore = _keystore(tmp_path, "s3cret")
    environ = {"ARBITER_KEYSTORE_PASSWORD": "s3cret"}
    settings = SignerSettings(keystore=keystore)
    if case == "no password":
        environ = {}
    elif case == "missing file":
        settings = SignerSettings(keystore=tmp_path / "absent.json")
    elif case == "not json":
        keystore.write_text("{")
    elif case == "not a keystore":
        keystore.write_text('{"version": 3}')
    else:
        settings = SignerSettings(keystore=keystore, password_file=tmp_path / "absent")
    with pytest.raises(ConfigError, match=expected):
        load_key(settings, environ)
