"""Where the signer's key comes from: an environment variable or an encrypted keystore."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_account import Account

from runtime import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["SignerSettings", "load_key"]


@dataclass(frozen=True, slots=True)
class SignerSettings:
    """Where to find the key; never the key itself, so it is safe to log and repr.

    Args:
        key_env: the environment variable holding the hex private key, used
            when no keystore is given.
        keystore: an encrypted JSON keystore (Web3 Secret Storage) file.
        password_env: the environment variable holding the keystore's password.
        password_file: a file holding the password instead (its first line).
    """

    key_env: str = "ARBITER_PRIVATE_KEY"
    keystore: Path | None = None
    password_env: str = "ARBITER_KEYSTORE_PASSWORD"  # noqa: S105 - a variable name
    password_file: Path | None = None


def load_key(settings: SignerSettings, environ: Mapping[str, str]) -> bytes:
    """The 32-byte private key. Slow for a keystore (scrypt): call it off the event loop.

    Raises:
        ConfigError: no key configured, a key that is not 32 bytes of hex, an
            unreadable keystore or password file, or a wrong password. The
            message never contains the key or the password.
    """
    if settings.keystore is not None:
        return _decrypt(settings.keystore, _password(settings, environ))
    value = environ.get(settings.key_env, "").strip()
    if not value:
        raise ConfigError(
            f"signer: no key: set the environment variable {settings.key_env} "
            "or signer.keystore (with its password)"
        )
    try:
        key = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        key = b""
    if len(key) != 32:
        # Not `from exc`: the chained error could quote the value.
        raise ConfigError(f"signer: {settings.key_env} is not a 32-byte hex private key")
    return key


def _password(settings: SignerSettings, environ: Mapping[str, str]) -> str:
    if settings.password_file is not None:
        try:
            lines = settings.password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(
                f"signer.password_file: cannot read {settings.password_file}: {exc.strerror}"
            ) from None
        return lines[0] if lines else ""
    password = environ.get(settings.password_env)
    if password is None:
        raise ConfigError(
            f"signer.keystore needs a password: set {settings.password_env} or signer.password_file"
        )
    return password


def _decrypt(path: Path, password: str) -> bytes:
    try:
        keyfile = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"signer.keystore: cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise ConfigError(f"signer.keystore: {path} is not a JSON keystore") from None
    try:
        return bytes(Account.decrypt(keyfile, password))
    except (ValueError, KeyError, TypeError):
        raise ConfigError(
            f"signer.keystore: cannot decrypt {path}: wrong password or not a keystore"
        ) from None
