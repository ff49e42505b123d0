"""Configuration: one schema, TOML plus ARBITER_* overrides, errors that name the key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime import ConfigError
from runtime.config import Config, load_config

if TYPE_CHECKING:
    from pathlib import Path


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "arbiter.toml"
    path.write_text(text)
    return path


def test_no_file_and_no_environment_gives_the_defaults() -> None:
    assert load_config(None, {}) == Config()


def test_the_example_config_is_valid_and_documents_every_key() -> None:
    from pathlib import Path

    example = Path(__file__).parents[2] / "ops" / "arbiter.example.toml"
    config = load_config(example, {})
    text = example.read_text()
    for section in ("runtime", "chain", "dashboard"):
        for key in getattr(config, section).__struct_fields__:
            assert f"\n{key} = " in text, f"{section}.{key} is not documented"


def test_a_file_value_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "[runtime]\nshutdown_timeout = 3.5\n")
    assert load_config(path, {}).runtime.shutdown_timeout == 3.5


def test_an_environment_variable_overrides_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[dashboard]\nport = 9000\n")
    config = load_config(path, {"ARBITER_DASHBOARD_PORT": "9100", "OTHER": "x"})
    assert config.dashboard.port == 9100


def test_an_environment_string_that_is_not_toml_is_taken_as_text() -> None:
    config = load_config(None, {"ARBITER_DASHBOARD_TOKEN": "s3cr3t-token"})
    assert config.dashboard.token == "s3cr3t-token"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[runtime]\nlog_level = "loud"\n', "runtime.log_level = 'loud'"),
        ("[runtime]\nshutdown_timeout = -1\n", "runtime.shutdown_timeout = -1"),
        ("[runtime]\nbogus = 1\n", "runtime.bogus: unknown key"),
        ("[nonsense]\nx = 1\n", "nonsense: unknown key"),
        ('[dashboard]\nport = "eighty"\n', "dashboard.port = 'eighty'"),
        ("[dashboard]\nport = 70000\n", "dashboard.port = 70000"),
        ("runtime = [", "is not valid TOML"),
    ],
)
def test_a_bad_value_is_refused_naming_the_key_and_the_value(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_bad_environment_value_names_its_variable() -> None:
    with pytest.raises(ConfigError, match=r"\$ARBITER_RUNTIME_UVLOOP"):
        load_config(None, {"ARBITER_RUNTIME_UVLOOP": "maybe"})


@given(st.text(max_size=200))
def test_arbitrary_text_either_loads_or_raises_config_error(text: str) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.toml"
        path.write_text(text, encoding="utf-8")
        try:
            config = load_config(path, {})
        except ConfigError:
            return
        assert isinstance(config, Config)


def test_a_dex_without_pools_or_pairs_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[chain]\nws_url = "ws://x"\nchain_id = 1\n'
        '[[dex]]\nname = "a"\nkind = "uniswap_v2"\nfactory = "0x' + "1" * 40 + '"\n',
    )
    with pytest.raises(ConfigError, match=r"dex\[0\]: give pools, or token pairs"):
        load_config(path, {})


def test_a_dex_with_a_pair_of_three_tokens_is_refused(tmp_path: Path) -> None:
    token = '"0x' + "2" * 40 + '"'
    path = _write(
        tmp_path,
        '[chain]\nws_url = "ws://x"\nchain_id = 1\n[[dex]]\nname = "a"\nkind = "uniswap_v2"\n'
        f'factory = "0x{"1" * 40}"\npairs = [[{token}, {token}, {token}]]\n',
    )
    with pytest.raises(ConfigError, match=r"dex\[0\]\.pairs\[0\]"):
        load_config(path, {})
