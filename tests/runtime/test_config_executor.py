"""``[executor]``: its mode, and what simulate and live need before the process starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import ConfigError
from runtime.app import app_children, executor_settings
from runtime.config import ChainConfig, Config, ExecutorConfig, NonceConfig, load_config

ACCOUNT = "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
CONTRACT = "0x" + "ab" * 20
# anvil's first default key: public knowledge.
KEY = {"ARBITER_PRIVATE_KEY": "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"}
CHAIN = '[chain]\nws_url = "ws://127.0.0.1:8545"\nchain_id = 31337\n'
WALLET = f'{CHAIN}[nonce]\naccounts = ["{ACCOUNT}"]\n'


def _load(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Config:
    path = tmp_path / "arbiter.toml"
    path.write_text(text)
    return load_config(path, environ or {})


def _refusal(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text, environ)
    return str(caught.value)


def test_the_example_config_documents_every_executor_key() -> None:
    example = Path(__file__).parents[2] / "ops" / "arbiter.example.toml"
    config = load_config(example, {})
    text = example.read_text()
    for key in ExecutorConfig.__struct_fields__:
        assert f"\n{key} = " in text, f"executor.{key} is not documented"
    assert config.executor.mode == ""


def test_by_default_the_executor_observes_with_the_wallets_account(tmp_path: Path) -> None:
    settings = executor_settings(_load(tmp_path, WALLET, KEY))
    assert settings is not None
    assert settings.mode == "observe"
    assert settings.account == ACCOUNT.lower()
    assert settings.chain_path == "/app/chain/devnet"
    assert settings.manager_path == f"/app/wallet/{ACCOUNT.lower()}"


def test_live_with_the_wallets_account_and_a_contract_runs_after_the_wallet(
    tmp_path: Path,
) -> None:
    config = _load(tmp_path, f'{WALLET}[executor]\nmode = "live"\ncontract = "{CONTRACT}"\n', KEY)
    settings = executor_settings(config)
    assert settings is not None
    assert (settings.mode, settings.contract) == ("live", CONTRACT)
    names = [spec.name for spec in app_children(config, tmp_path)]
    assert names.index("wallet") < names.index("executor") < names.index("dashboard")


def test_simulate_without_a_contract_is_refused_naming_the_key(tmp_path: Path) -> None:
    message = _refusal(tmp_path, f'{WALLET}[executor]\nmode = "simulate"\n', KEY)
    assert "executor.mode = 'simulate'" in message
    assert "executor.contract" in message


def test_live_for_an_account_without_a_nonce_manager_is_refused(tmp_path: Path) -> None:
    text = f'{CHAIN}[executor]\nmode = "live"\naccount = "{ACCOUNT}"\ncontract = "{CONTRACT}"\n'
    assert "nonce.accounts" in _refusal(tmp_path, text)
    # Simulating needs no nonce manager: an eth_call from the account is enough.
    simulate = text.replace('"live"', '"simulate"')
    assert _load(tmp_path, simulate).executor.mode == "simulate"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('mode = "yolo"', "executor.mode"),
        ('contract = "0x12"', "executor.contract"),
        ("max_age_blocks = -1", "executor.max_age_blocks"),
        ("min_profit = -5", "executor.min_profit"),
    ],
)
def test_a_bad_executor_value_is_refused_naming_the_key(
    tmp_path: Path, line: str, key: str
) -> None:
    assert key in _refusal(tmp_path, f"{CHAIN}[executor]\n{line}\n")


def test_without_a_chain_there_is_no_executor(tmp_path: Path) -> None:
    assert executor_settings(Config()) is None
    assert "executor" not in [spec.name for spec in app_children(Config(), tmp_path)]
    config = Config(chain=ChainConfig(ws_url="ws://127.0.0.1:1", chain_id=1), nonce=NonceConfig())
    assert "executor" in [spec.name for spec in app_children(config, tmp_path)]
