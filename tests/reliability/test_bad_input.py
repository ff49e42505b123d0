"""Bad input: configuration files and environment overrides built from the real keys.

Random text is tests/runtime/test_config.py; most random text is not TOML
at all, so here hypothesis writes TOML documents with the schema's own
sections and keys (and a few strangers) holding values of every TOML type,
plus ``ARBITER_<SECTION>_<KEY>`` overrides of any text. `load_config` must
return a `Config` or raise `ConfigError` naming the key, never anything else.

The other bad input of the issue is fuzzed where it is decoded:
control messages over HTTP (tests/actors/dashboard/test_fuzz.py), node
frames and blocks (tests/actors/chain/test_blocks.py), logs
(tests/actors/dex/test_events.py).
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.config import Config, ConfigError, load_config

pytestmark = pytest.mark.timeout(120)


def _keys(struct: Any) -> list[str]:
    return [field.name for field in msgspec.structs.fields(struct)]


SECTIONS: dict[str, list[str]] = {}
for _field in msgspec.structs.fields(Config):
    _type = _field.type
    _args = getattr(_type, "__args__", ())
    _struct = next(
        (a for a in (_type, *_args) if isinstance(a, type) and hasattr(a, "__struct_fields__")),
        None,
    )
    SECTIONS[_field.name] = [*(_keys(_struct) if _struct else []), "unknown_key"]
SECTIONS["unknown_section"] = ["key"]

scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30),
    st.sampled_from(["ws://127.0.0.1:8545", "0x" + "ab" * 20, "uniswap_v2", "info", "", "0"]),
    st.datetimes(timezones=st.sampled_from([dt.UTC, None])),
    st.dates(),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=8), inner, max_size=3
        )
    ),
    max_leaves=6,
)


def _toml_value(value: Any) -> str:  # noqa: PLR0911 - one case per TOML type
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if value in {float("inf"), float("-inf")}:
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return msgspec.json.encode(value).decode()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return (
        "{"
        + ", ".join(
            f"{msgspec.json.encode(k).decode()} = {_toml_value(v)}" for k, v in value.items()
        )
        + "}"
    )


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS)), max_size=4, unique=True)):
        lines.append(f"[[{section}]]" if section == "dex" else f"[{section}]")
        keys = draw(st.lists(st.sampled_from(SECTIONS[section]), max_size=5, unique=True))
        lines.extend(f"{key} = {_toml_value(draw(values))}" for key in keys)
    return "\n".join(lines) + "\n"


@st.composite
def environments(draw: st.DrawFn) -> dict[str, str]:
    names = [f"ARBITER_{s.upper()}_{k.upper()}" for s, keys in SECTIONS.items() for k in keys]
    chosen = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
    return {name: draw(st.text(max_size=20)) for name in chosen}


def _load(text: str, environ: dict[str, str]) -> Config | ConfigError:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.toml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_config(path, environ)
        except ConfigError as exc:
            return exc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), environments())
def test_any_toml_of_the_real_keys_loads_or_is_refused_with_a_config_error(
    text: str, environ: dict[str, str]
) -> None:
    tomllib.loads(text)  # the generator writes TOML: a failure here is the test's own
    outcome = _load(text, environ)
    if isinstance(outcome, ConfigError):
        assert str(outcome), "a refusal says why"
    else:
        assert isinstance(outcome, Config)


def test_a_wrongly_typed_value_is_refused_naming_its_section_and_key() -> None:
    outcome = _load('[chain]\nws_url = "ws://127.0.0.1:8545"\nchain_id = [1]\n', {})
    assert isinstance(outcome, ConfigError)
    assert "chain" in str(outcome)
    assert "chain_id" in str(outcome)
