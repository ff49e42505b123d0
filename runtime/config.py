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
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from runtime._exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "AnalyticsConfig",
    "BankConfig",
    "ChainConfig",
    "Config",
    "DashboardConfig",
    "DexConfig",
    "ExecutorConfig",
    "NonceConfig",
    "RuntimeConfig",
    "SignerConfig",
    "load_config",
]

_ENV_PREFIX = "ARBITER_"

Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Name = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]+$")]
Address = Annotated[str, msgspec.Meta(pattern=r"^0x[0-9a-fA-F]{40}$")]
WsUrl = Annotated[str, msgspec.Meta(pattern=r"^wss?://.+")]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
    sync_interval: Seconds = 1.0


class BankConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[bank]``: the memory bank's SQLite database, its group commit and its retention."""

    path: str = ""
    commit_window_ms: Annotated[float, msgspec.Meta(ge=0, le=1000)] = 1.0
    commit_max_rows: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 500
    max_pending_rows: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] = 50_000
    synchronous: Literal["full", "normal"] = "full"
    retention_max_age: Annotated[float, msgspec.Meta(gt=0)] = 7 * 24 * 3600.0
    retention_max_rows: Annotated[int, msgspec.Meta(ge=1)] = 1_000_000
    retention_blocks: Annotated[int, msgspec.Meta(ge=8)] = 10_000
    prune_interval: Seconds = 60.0


class SignerConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[signer]``: where the signer finds the private key; never the key itself.

    The key comes from the environment variable ``key_env`` unless
    ``keystore`` names an encrypted keystore file, whose password comes from
    ``password_file`` or else the variable ``password_env``.
    """

    key_env: str = "ARBITER_PRIVATE_KEY"
    keystore: str = ""
    password_env: str = "ARBITER_KEYSTORE_PASSWORD"  # noqa: S105 - a variable name
    password_file: str = ""


Blocks = Annotated[int, msgspec.Meta(ge=1, le=100_000)]


class NonceConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[nonce]``: the account the bot sends from, and what is done about stuck transactions.

    With an account, ``/app/wallet`` runs the signer and one nonce manager
    per account; the signer's key must be the account's key.
    """

    accounts: list[Address] = msgspec.field(default_factory=list)
    rebroadcast_after: Blocks = 3
    replace_after: Blocks = 6
    max_replacements: Annotated[int, msgspec.Meta(ge=0, le=100)] = 3
    bump_percent: Annotated[int, msgspec.Meta(ge=10, le=1000)] = 15
    priority_fee: Annotated[int, msgspec.Meta(ge=0)] = 1_000_000_000
    max_fee_cap: Annotated[int, msgspec.Meta(ge=0)] = 0
    rpc_timeout: Seconds = 10.0
    read_txpool: bool = True
    restore_scan_blocks: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 1024
    mailbox_capacity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 10_000


OptionalAddress = Annotated[str, msgspec.Meta(pattern=r"^(0x[0-9a-fA-F]{40})?$")]


class ExecutorConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[executor]``: what is done with each arbitrage opportunity.

    ``mode``: ``observe`` records it; ``simulate`` also runs it through the
    arbitrage contract with ``eth_call`` at its block; ``live`` sends it as
    one transaction through the contract. Unset: ``observe``, or ``live`` on
    ``arbiter run --devnet`` (with the devnet's bot account and contract).
    ``account`` sends (``live``) and owns the contract; empty means the
    account of ``[nonce]``. ``simulate`` needs the account and ``contract``,
    ``live`` also the account's nonce manager (``[nonce] accounts``).
    """

    mode: Literal["", "observe", "simulate", "live"] = ""
    account: OptionalAddress = ""
    contract: OptionalAddress = ""
    max_age_blocks: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 2
    min_profit: Annotated[int, msgspec.Meta(ge=0)] = 1
    v2_fee: Annotated[int, msgspec.Meta(ge=0, lt=1_000_000)] = 3000
    rpc_timeout: Seconds = 10.0


class AnalyticsConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[analytics]``: which arbitrage is searched and reported, and the gas model.

    ``min_profit_wei`` and ``max_hops`` can also be changed at run time
    (`SetParam` to ``/app/analytics``). Gas per hop defaults are measured on
    the devnet (one router swap of each kind); the cost of a path is its
    hops' gas times the block's base fee plus ``tip_wei``. ``weth`` values
    profits in other tokens through their WETH pools (empty: at par).
    """

    min_profit_wei: Annotated[int, msgspec.Meta(ge=0)] = 0
    max_hops: Annotated[int, msgspec.Meta(ge=2, le=5)] = 3
    gas_v2_hop: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 100_000
    gas_v3_hop: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 125_000
    tip_wei: Annotated[int, msgspec.Meta(ge=0)] = 1_000_000_000
    weth: OptionalAddress = ""
    stats_window: Seconds = 3600.0


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The whole configuration; sections are added as the actors that read them land."""

    runtime: RuntimeConfig = msgspec.field(default_factory=RuntimeConfig)
    chain: ChainConfig | None = None
    dex: list[DexConfig] = msgspec.field(default_factory=list)
    dashboard: DashboardConfig = msgspec.field(default_factory=DashboardConfig)
    bank: BankConfig = msgspec.field(default_factory=BankConfig)
    signer: SignerConfig = msgspec.field(default_factory=SignerConfig)
    nonce: NonceConfig = msgspec.field(default_factory=NonceConfig)
    executor: ExecutorConfig = msgspec.field(default_factory=ExecutorConfig)
    analytics: AnalyticsConfig = msgspec.field(default_factory=AnalyticsConfig)


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
    environ = os.environ if environ is None else environ
    overridden = _apply_environment(raw, environ)
    _refuse_key(raw, where, overridden)
    try:
        config = msgspec.convert(raw, Config, strict=True)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{where}: {_explain(exc, raw, overridden)}") from exc
    _check_consistent(config, where)
    _check_wallet(config, where, environ)
    _check_executor(config, where)
    return config


def _refuse_key(raw: dict[str, Any], where: str, overridden: dict[str, str]) -> None:
    """A private key is never taken from the config; the message never quotes it."""
    signer = raw.get("signer")
    if not isinstance(signer, dict):
        return
    for key in ("key", "private_key"):
        if key in signer:
            raise ConfigError(
                f"{where}: signer.{key}{_source(f'signer.{key}', overridden)}: the private key "
                "is never read from the config: set ARBITER_PRIVATE_KEY (or the variable "
                "signer.key_env names), or signer.keystore"
            )


def _check_wallet(config: Config, where: str, environ: Mapping[str, str]) -> None:
    """With an account to send from: a chain, a sane stuck policy, and a key source that exists.

    Only whether the key is there is checked: it is read by the signer alone.
    """
    nonce, signer = config.nonce, config.signer
    for name in ("key_env", "password_env"):
        if not _ENV_NAME.fullmatch(getattr(signer, name)):
            # Not quoted: someone may have put the key itself here.
            raise ConfigError(f"{where}: signer.{name}: not an environment variable's name")
    if nonce.replace_after < nonce.rebroadcast_after:
        raise ConfigError(
            f"{where}: nonce.replace_after = {nonce.replace_after}: must be at least "
            f"nonce.rebroadcast_after = {nonce.rebroadcast_after}"
        )
    if not nonce.accounts:
        return
    accounts = [account.lower() for account in nonce.accounts]
    if len(accounts) > 1:
        raise ConfigError(
            f"{where}: nonce.accounts: {len(accounts)} accounts, but the signer holds one key "
            "and so signs for one account"
        )
    if config.chain is None:
        raise ConfigError(f"{where}: nonce.accounts: sending transactions needs a [chain] section")
    _check_key_source(signer, where, environ)


def _check_key_source(signer: SignerConfig, where: str, environ: Mapping[str, str]) -> None:
    if signer.keystore:
        keystore = Path(signer.keystore)
        if not keystore.is_file():
            raise ConfigError(f"{where}: signer.keystore = {signer.keystore!r}: no such file")
        if signer.password_file:
            if not Path(signer.password_file).is_file():
                raise ConfigError(
                    f"{where}: signer.password_file = {signer.password_file!r}: no such file"
                )
        elif signer.password_env not in environ:
            raise ConfigError(
                f"{where}: signer.keystore needs a password: set ${signer.password_env} "
                "or signer.password_file"
            )
    elif not environ.get(signer.key_env, "").strip():
        raise ConfigError(
            f"{where}: nonce.accounts: no key to sign with: set ${signer.key_env} "
            "(the hex private key) or signer.keystore"
        )


def _check_executor(config: Config, where: str) -> None:
    """``simulate`` needs an account and the contract; ``live`` the account's nonce manager too."""
    executor = config.executor
    if executor.mode in {"", "observe"}:
        return
    if config.chain is None:
        raise ConfigError(f"{where}: executor.mode = {executor.mode!r}: needs a [chain] section")
    account = (executor.account or (config.nonce.accounts or [""])[0]).lower()
    if not account or not executor.contract:
        raise ConfigError(
            f"{where}: executor.mode = {executor.mode!r}: needs executor.contract and an "
            "account (executor.account or nonce.accounts)"
        )
    if executor.mode == "live" and account not in [a.lower() for a in config.nonce.accounts]:
        raise ConfigError(
            f"{where}: executor.mode = 'live': the account {account} sends through its nonce "
            "manager: add it to nonce.accounts"
        )


def _check_consistent(config: Config, where: str) -> None:
    """What one section says about another, which the schema alone cannot check."""
    if config.dex and config.chain is None:
        raise ConfigError(f"{where}: dex: watching a DEX needs a [chain] section")
    for index, dex in enumerate(config.dex):
        if not dex.pools and not dex.pairs:
            raise ConfigError(f"{where}: dex[{index}]: give pools, or token pairs to look up")
    bank = config.bank
    if bank.max_pending_rows < bank.commit_max_rows:
        raise ConfigError(
            f"{where}: bank.max_pending_rows = {bank.max_pending_rows}: must be at least "
            f"bank.commit_max_rows = {bank.commit_max_rows}"
        )
    if config.chain is not None and bank.retention_blocks < config.chain.header_window:
        raise ConfigError(
            f"{where}: bank.retention_blocks = {bank.retention_blocks}: must be at least "
            f"chain.header_window = {config.chain.header_window} (a restore needs them)"
        )
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
