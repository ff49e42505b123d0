"""Configuration: one schema (msgspec Structs) read from TOML, overridden by ``ARBITER_*``.

Every key is documented in ``ops/arbiter.example.toml``. An environment
variable ``ARBITER_<SECTION>_<KEY>`` (e.g. ``ARBITER_RUNTIME_LOG_LEVEL``)
overrides the file; its text is parsed as a TOML value when it is one
(``10``, ``true``, ``"x"``) and taken as a string otherwise.
"""

from __future__ import annotations

import os
import re
import tomllib
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from runtime._exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = [
    "ChainConfig",
    "Config",
    "DashboardConfig",
    "DexConfig",
    "RuntimeConfig",
    "load_config",
]

_ENV_PREFIX = "ARBITER_"

Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Name = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]+$")]
Address = Annotated[str, msgspec.Meta(pattern=r"^0x[0-9a-fA-F]{40}$")]
WsUrl = Annotated[str, msgspec.Meta(pattern=r"^wss?://.+")]


class RuntimeConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[runtime]``: the process itself."""

    name: Name = "arbiter"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "console", "json"] = "auto"
    log_file: str = ""
    shutdown_timeout: Seconds = 10.0
    uvloop: bool = True
    health_log_interval: Seconds = 30.0
    loop_lag_interval: Seconds = 0.25
    loop_lag_warn: Seconds = 0.05


class DashboardConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[dashboard]``: the health page and the HTTP API."""

    host: str = "127.0.0.1"
    port: Port = 8700
    token: str = ""


class ChainConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[chain]``: the node to follow."""

    name: Name = "devnet"
    ws_url: WsUrl
    chain_id: Annotated[int, msgspec.Meta(ge=1)]
    confirmations: Annotated[int, msgspec.Meta(ge=0, le=64)] = 0
    rpc_timeout: Seconds = 10.0
    logs_chunk: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1000
    poll_interval: Seconds = 5.0
    header_window: Annotated[int, msgspec.Meta(ge=8, le=100_000)] = 128


class DexConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[[dex]]``: one DEX to watch."""

    name: Name
    kind: Literal["uniswap_v2", "uniswap_v3"]
    factory: Address
    pools: list[Address] = msgspec.field(default_factory=list)
    pairs: list[Annotated[list[Address], msgspec.Meta(min_length=2, max_length=2)]] = msgspec.field(
        default_factory=list
    )
    fee: Annotated[int, msgspec.Meta(ge=1, lt=1_000_000)] = 3000


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The whole configuration; sections are added as the actors that read them land."""

    runtime: RuntimeConfig = msgspec.field(default_factory=RuntimeConfig)
    chain: ChainConfig | None = None
    dex: list[DexConfig] = msgspec.field(default_factory=list)
    dashboard: DashboardConfig = msgspec.field(default_factory=DashboardConfig)


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (TOML; None for defaults only), apply ``ARBITER_*`` overrides, validate.

    Raises:
        ConfigError: the file is missing or not TOML, or a key is unknown or
            has a bad value; the message names the file, the key, the value
            and the reason.
    """
    raw: dict[str, Any] = {}
    where = "defaults"
    if path is not None:
        where = str(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} does not exist") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} cannot be read: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    overridden = _apply_environment(raw, os.environ if environ is None else environ)
    try:
        config = msgspec.convert(raw, Config, strict=True)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{where}: {_explain(exc, raw, overridden)}") from exc
    _check_consistent(config, where)
    return config


def _check_consistent(config: Config, where: str) -> None:
    """What one section says about another, which the schema alone cannot check."""
    if config.dex and config.chain is None:
        raise ConfigError(f"{where}: dex: watching a DEX needs a [chain] section")
    for index, dex in enumerate(config.dex):
        if not dex.pools and not dex.pairs:
            raise ConfigError(f"{where}: dex[{index}]: give pools, or token pairs to look up")
    names = [dex.name for dex in config.dex]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{where}: dex.name = {name!r}: two DEXes have the same name")


def _apply_environment(raw: dict[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Merge ``ARBITER_<SECTION>_<KEY>`` variables into ``raw``; return key -> variable."""
    sections = [field.name for field in msgspec.structs.fields(Config)]
    overridden: dict[str, str] = {}
    for variable, text in environ.items():
        if not variable.startswith(_ENV_PREFIX):
            continue
        rest = variable.removeprefix(_ENV_PREFIX).lower()
        for section in sections:
            if rest.startswith(section + "_"):
                key = rest.removeprefix(section + "_")
                table = raw.setdefault(section, {})
                if not isinstance(table, dict):
                    raise ConfigError(f"[{section}] must be a table to take ${variable}")
                table[key] = _parse_env_value(text)
                overridden[f"{section}.{key}"] = variable
                break
    return overridden


def _parse_env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _explain(
    error: msgspec.ValidationError, raw: dict[str, Any], overridden: dict[str, str]
) -> str:
    """Turn msgspec's "... - at `$.runtime.port`" into "runtime.port = 'x': ..."."""
    message = str(error)
    reason, _, location = message.partition(" - at `$")
    location = location.rstrip("`").lstrip(".")
    unknown = re.fullmatch(r"Object contains unknown field `(.+)`", reason)
    if unknown:
        key = f"{location}.{unknown[1]}" if location else unknown[1]
        return f"{key}: unknown key{_source(key, overridden)}"
    if not location:
        return message
    key = location
    value: Any = raw
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        if name and isinstance(value, dict) and name in value:
            value = value[name]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            value = None
            break
    shown = "" if value is None or isinstance(value, dict) else f" = {value!r}"
    return f"{key}{shown}: {reason}{_source(key, overridden)}"


def _source(key: str, overridden: dict[str, str]) -> str:
    variable = overridden.get(key)
    return f" (from ${variable})" if variable else ""
