"""``[signer]`` and ``[nonce]``: a wallet is configured only with a key source that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import ConfigError
from runtime.app import app_children, wallet_settings
from runtime.config import ChainConfig, Config, NonceConfig, load_config

ACCOUNT = "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
# anvil's first default key: public knowledge, and shaped like any other.
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
CHAIN = '[chain]\nws_url = "ws://127.0.0.1:8545"\nchain_id = 31337\n'
WALLET = f'{CHAIN}[nonce]\naccounts = ["{ACCOUNT}"]\n'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "arbiter.toml"
    path.write_text(text)
    return path


def _refusal(path: Path, environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ)
    return str(caught.value)


def test_the_example_config_documents_every_signer_and_nonce_key() -> None:
    example = Path(__file__).parents[2] / "ops" / "arbiter.example.toml"
    config = load_config(example, {})
    text = example.read_text()
    for section in ("signer", "nonce"):
        for key in getattr(config, section).__struct_fields__:
            assert f"\n{key} = " in text, f"{section}.{key} is not documented"
    assert config.nonce.accounts == []


def test_an_account_with_its_key_in_the_environment_is_a_wallet(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, WALLET), {"ARBITER_PRIVATE_KEY": KEY})
    assert config.nonce.accounts == [ACCOUNT]
    assert config.signer.key_env == "ARBITER_PRIVATE_KEY"


def test_an_account_without_a_key_source_is_refused_naming_the_variable(tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, WALLET), {})
    assert "$ARBITER_PRIVATE_KEY" in message
    assert "nonce.accounts" in message


def test_no_key_is_needed_without_an_account(tmp_path: Path) -> None:
    assert load_config(_write(tmp_path, CHAIN), {}).nonce.accounts == []


def test_a_key_written_into_the_config_is_refused_without_quoting_it(tmp_path: Path) -> None:
    message = _refusal(_write(tmp_path, f'{WALLET}[signer]\nkey = "{KEY}"\n'), {})
    assert "signer.key" in message
    assert "never read from the config" in message
    assert KEY.removeprefix("0x") not in message


def test_a_key_given_as_an_environment_override_is_refused_without_quoting_it(
    tmp_path: Path,
) -> None:
    message = _refusal(_write(tmp_path, WALLET), {"ARBITER_SIGNER_PRIVATE_KEY": KEY})
    assert "$ARBITER_SIGNER_PRIVATE_KEY" in message
    assert KEY.removeprefix("0x") not in message


def test_a_key_put_where_a_variable_name_belongs_is_refused_without_quoting_it(
    tmp_path: Path,
) -> None:
    message = _refusal(_write(tmp_path, f'{WALLET}[signer]\nkey_env = "{KEY}"\n'), {})
    assert "signer.key_env" in message
    assert KEY.removeprefix("0x") not in message


def test_a_keystore_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    text = f'{WALLET}[signer]\nkeystore = "{missing}"\n'
    message = _refusal(_write(tmp_path, text), {"ARBITER_KEYSTORE_PASSWORD": "x"})
    assert f"signer.keystore = '{missing}': no such file" in message


def test_a_keystore_without_a_password_source_is_refused(tmp_path: Path) -> None:
    keystore = tmp_path / "key.json"
    keystore.write_text("{}")
    text = f'{WALLET}[signer]\nkeystore = "{keystore}"\n'
    path = _write(tmp_path, text)
    assert "$ARBITER_KEYSTORE_PASSWORD" in _refusal(path, {"ARBITER_PRIVATE_KEY": KEY})
    config = load_config(path, {"ARBITER_KEYSTORE_PASSWORD": "pw"})
    assert config.signer.keystore == str(keystore)


def test_a_keystore_with_a_password_file_needs_no_variable(tmp_path: Path) -> None:
    keystore, password = tmp_path / "key.json", tmp_path / "password"
    keystore.write_text("{}")
    password.write_text("pw\n")
    text = f'{WALLET}[signer]\nkeystore = "{keystore}"\npassword_file = "{password}"\n'
    assert load_config(_write(tmp_path, text), {}).signer.password_file == str(password)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f'[nonce]\naccounts = ["{ACCOUNT}"]\n', "needs a [chain] section"),
        (
            f'{CHAIN}[nonce]\naccounts = ["{ACCOUNT}", "0x{"1" * 40}"]\n',
            "signs for one account",
        ),
        (f"{WALLET}rebroadcast_after = 5\nreplace_after = 4\n", "nonce.replace_after = 4"),
        (f"{WALLET}bump_percent = 5\n", "nonce.bump_percent = 5"),
        (f'{CHAIN}[nonce]\naccounts = ["0x12"]\n', "nonce.accounts[0] = '0x12'"),
    ],
)
def test_a_bad_nonce_section_is_refused_naming_the_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in _refusal(_write(tmp_path, text), {"ARBITER_PRIVATE_KEY": KEY})


def test_with_an_account_the_app_runs_the_wallet_after_the_chain_and_before_the_dashboard(
    tmp_path: Path,
) -> None:
    config = Config(
        chain=ChainConfig(ws_url="ws://127.0.0.1:1", chain_id=1),
        nonce=NonceConfig(accounts=[ACCOUNT]),
    )
    names = [spec.name for spec in app_children(config, tmp_path)]
    assert names.index("chain") < names.index("wallet") < names.index("dashboard")


def test_without_an_account_there_is_no_wallet(tmp_path: Path) -> None:
    config = Config(chain=ChainConfig(ws_url="ws://127.0.0.1:1", chain_id=1))
    assert "wallet" not in [spec.name for spec in app_children(config, tmp_path)]
    assert wallet_settings(config) is None


def test_the_wallet_settings_carry_the_nonce_section_and_name_the_chain_client() -> None:
    config = Config(
        chain=ChainConfig(name="main", ws_url="ws://127.0.0.1:1", chain_id=5),
        nonce=NonceConfig(accounts=[ACCOUNT], replace_after=9, bump_percent=20, max_fee_cap=7),
    )
    settings = wallet_settings(config)
    assert settings is not None
    (account,) = settings.accounts
    assert account.account == ACCOUNT.lower()
    assert (account.chain, account.chain_id, account.chain_path) == ("main", 5, "/app/chain/main")
    assert (account.policy.replace_after, account.policy.bump_percent) == (9, 20)
    assert account.policy.max_fee_cap == 7
    assert (account.bank_path, account.restore_scan_blocks) == ("/app/bank", 1024)
    assert settings.signer.key_env == "ARBITER_PRIVATE_KEY"
    assert settings.signer.keystore is None
