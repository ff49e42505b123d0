"""The npm-installed parts: anvil and every contract load, and their absence says what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from actors.devnet import DevnetNotInstalled, anvil_binary, load_artifact
from actors.devnet._artifacts import CONTRACTS

if TYPE_CHECKING:
    from pathlib import Path


def test_the_anvil_binary_is_an_executable_file() -> None:
    binary = anvil_binary()
    assert binary.is_file()
    assert binary.stat().st_mode & 0o111


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_contract_has_an_abi_and_creation_bytecode(name: str) -> None:
    artifact = load_artifact(name)
    assert artifact.name == name
    assert any(entry.get("type") == "function" for entry in artifact.abi)
    # Solidity's creation code opens with PUSH1/PUSH2 (the free memory pointer's value).
    assert artifact.bytecode.startswith(("0x60", "0x61"))
    bytes.fromhex(artifact.bytecode[2:])  # all hex: no unlinked library placeholders


def test_a_missing_install_tells_the_user_to_run_make_setup(tmp_path: Path) -> None:
    with pytest.raises(DevnetNotInstalled, match="run `make setup`"):
        anvil_binary(tmp_path)
    with pytest.raises(DevnetNotInstalled, match=r"ERC20 .*run `make setup`"):
        load_artifact("ERC20", tmp_path)
