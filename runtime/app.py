"""The application's supervision tree, and the runtime process that runs it."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import structlog

from actors.analytics import Analytics, AnalyticsSettings, GasModel
from actors.bank import BANK_MAILBOX, Bank, BankSettings, Retention
from actors.chain import ChainClient, ChainMemory, ChainSettings, HeaderWindow
from actors.dashboard import Dashboard, DashboardSettings
from actors.devnet import (
    BOT_ACCOUNT,
    BOT_KEY,
    TRAFFIC_MAILBOX,
    AnvilNode,
    TrafficGenerator,
    arbiter_config,
    deploy,
)
from actors.dex import PoolWatcher, WatcherSettings
from actors.executor import Executor, ExecutorSettings
from actors.nonce import NonceBook, NonceSettings, StuckPolicy, Wallet, WalletSettings
from actors.signer import SignerSettings
from messages.health import GetDashboardUrl
from runtime._context import child_spec
from runtime._exceptions import ArbiterError
from runtime._health_log import HealthLog
from runtime._loop_monitor import LoopMonitor
from runtime._supervision import Backoff, Strategy, SupervisorPolicy
from runtime._supervisor import Supervisor
from runtime._system import ActorSystem
from runtime.config import SignerConfig, load_config

if TYPE_CHECKING:
    from runtime._supervision import ChildSpec
    from runtime.config import ChainConfig, Config, DexConfig

__all__ = ["app_children", "serve"]

_log = structlog.get_logger("arbiter")

# What a second SIGINT/SIGTERM during a graceful stop exits with (as a shell does).
_FORCED_EXIT = 130

# Where `arbiter run --devnet` puts the devnet bot's (public) key for its signer.
_DEVNET_KEY_ENV = "DEVNET_BOT_PRIVATE_KEY"


def dashboard_settings(config: Config, state_dir: Path) -> DashboardSettings:
    """The dashboard's settings; `DashboardSettings.check` refuses unsafe ones."""
    return DashboardSettings(
        host=config.dashboard.host,
        port=config.dashboard.port,
        token=config.dashboard.token,
        state_dir=state_dir,
    )


def bank_settings(config: Config, state_dir: Path) -> BankSettings:
    """The bank's settings: ``[bank]``, its file ``<state-dir>/arbiter.db`` unless ``path`` is set.

    Raises:
        ConfigError: a value `BankSettings` refuses (the message names the key).
    """
    bank = config.bank
    return BankSettings(
        path=Path(bank.path) if bank.path else state_dir / "arbiter.db",
        batch_rows=bank.commit_max_rows,
        batch_interval=bank.commit_window_ms / 1000,
        max_pending_rows=bank.max_pending_rows,
        synchronous=bank.synchronous,
        prune_interval=bank.prune_interval,
        retention=Retention(
            max_age=bank.retention_max_age,
            max_rows=bank.retention_max_rows,
            blocks=bank.retention_blocks,
        ),
        checkpoint_depth=128 if config.chain is None else config.chain.header_window,
    )


def app_children(config: Config, state_dir: Path) -> list[ChildSpec]:
    """The children of ``/app``, in start order.

    The kernel's monitors, the memory bank (before the chain client and the
    watchers, which restore from it, so it also stops after them), the chain
    client when ``[chain]`` is configured and a watcher per ``[[dex]]``, and
    last the dashboard, so that it starts after what it reports on and stops
    first. The wallet (``/app/wallet``: signer and nonce managers) runs when
    ``[nonce]`` names an account, after the chain client it sends through.
    The executor (``/app/executor``) runs with a chain, after the wallet it
    sends through. Analytics (``/app/analytics``) runs with a chain and
    DEXes, after the watchers it reads.
    """
    runtime = config.runtime
    children = [
        child_spec(
            partial(LoopMonitor, runtime.loop_lag_interval, runtime.loop_lag_warn),
            name="monitor",
        ),
        child_spec(partial(HealthLog, runtime.health_log_interval), name="health"),
        # Before the chain client and the watchers: they restore from it.
        child_spec(
            partial(Bank, bank_settings(config, state_dir)), name="bank", mailbox=BANK_MAILBOX
        ),
    ]
    if config.chain is not None:
        children.append(_chain_supervisor(config.chain))
        if config.dex:
            children.append(_dex_supervisor(config.chain, config.dex))
            children.append(_analytics(config.chain, config))
    wallet = wallet_settings(config)
    if wallet is not None:
        books = {account.account: NonceBook(account.account) for account in wallet.accounts}
        children.append(child_spec(partial(Wallet, wallet, books), name="wallet"))
    executor = executor_settings(config)
    if executor is not None:
        children.append(child_spec(partial(Executor, executor), name="executor"))
    children.append(
        child_spec(partial(Dashboard, dashboard_settings(config, state_dir)), name="dashboard")
    )
    return children


def _analytics(chain: ChainConfig, config: Config) -> ChildSpec:
    """``/app/analytics``: the price graph over every watcher's pools (after the watchers)."""
    section = config.analytics
    settings = AnalyticsSettings(
        chain=chain.name,
        min_profit_wei=section.min_profit_wei,
        max_hops=section.max_hops,
        gas=GasModel(v2_hop=section.gas_v2_hop, v3_hop=section.gas_v3_hop, tip_wei=section.tip_wei),
        weth=section.weth,
        watchers=tuple(f"/app/dex/{dex.name}" for dex in config.dex),
        stats_window=section.stats_window,
    )
    return child_spec(partial(Analytics, settings), name="analytics")


def executor_settings(config: Config) -> ExecutorSettings | None:
    """``/app/executor``'s settings from ``[executor]``; None without a chain.

    Its account is ``[executor] account`` or else the wallet's; it sends
    through that account's nonce manager, ``/app/wallet/<account>``.
    """
    executor, chain = config.executor, config.chain
    if chain is None:
        return None
    return ExecutorSettings(
        chain=chain.name,
        chain_path=f"/app/chain/{chain.name}",
        mode=executor.mode or "observe",
        account=(executor.account or (config.nonce.accounts or [""])[0]).lower(),
        contract=executor.contract,
        max_age_blocks=executor.max_age_blocks,
        min_profit=executor.min_profit,
        v2_fee=executor.v2_fee,
        rpc_timeout=executor.rpc_timeout,
    )


def wallet_settings(config: Config) -> WalletSettings | None:
    """``/app/wallet``'s settings from ``[signer]`` and ``[nonce]``; None without an account.

    Each account's nonce manager (``/app/wallet/<account>``) follows the
    chain through ``/app/chain/<name>``, records every transaction in the
    bank (``/app/bank``) and restores from it after a restart.
    """
    nonce, chain = config.nonce, config.chain
    if not nonce.accounts or chain is None:
        return None
    policy = StuckPolicy(
        rebroadcast_after=nonce.rebroadcast_after,
        replace_after=nonce.replace_after,
        max_replacements=nonce.max_replacements,
        bump_percent=nonce.bump_percent,
        priority_fee=nonce.priority_fee,
        max_fee_cap=nonce.max_fee_cap or None,
    )
    signer = config.signer
    return WalletSettings(
        signer=SignerSettings(
            key_env=signer.key_env,
            keystore=Path(signer.keystore) if signer.keystore else None,
            password_env=signer.password_env,
            password_file=Path(signer.password_file) if signer.password_file else None,
        ),
        accounts=tuple(
            NonceSettings(
                account=account.lower(),
                chain=chain.name,
                chain_id=chain.chain_id,
                chain_path=f"/app/chain/{chain.name}",
                policy=policy,
                rpc_timeout=nonce.rpc_timeout,
                read_txpool=nonce.read_txpool,
                bank_path="/app/bank",
                restore_scan_blocks=nonce.restore_scan_blocks,
            )
            for account in nonce.accounts
        ),
        mailbox_capacity=nonce.mailbox_capacity,
    )


def _dex_supervisor(chain: ChainConfig, dexes: list[DexConfig]) -> ChildSpec:
    """``/app/dex`` with one watcher per DEX, ``/app/dex/<name>``, one for one."""
    watchers = [
        child_spec(
            partial(
                PoolWatcher,
                WatcherSettings(
                    dex=dex.name,
                    kind=dex.kind,
                    chain=chain.name,
                    chain_path=f"/app/chain/{chain.name}",
                    pools=tuple(dex.pools),
                    factory=dex.factory,
                    pairs=tuple((a, b) for a, b in dex.pairs),
                    fee=dex.fee,
                    sync_interval=dex.sync_interval,
                ),
            ),
            name=dex.name,
        )
        for dex in dexes
    ]
    policy = SupervisorPolicy(
        max_restarts=100, within=60.0, backoff=Backoff(initial=0.1, maximum=5.0)
    )
    return child_spec(partial(Supervisor, watchers, policy), name="dex")


def _chain_supervisor(chain: ChainConfig) -> ChildSpec:
    """``/app/chain`` with one client, ``/app/chain/<name>``.

    A lost node means a failing client: it is restarted with backoff, at
    most every 5 s, for as long as the node is away (the intensity allows
    more restarts per minute than the backoff can make), and resumes from
    the last processed block, which its memory keeps across restarts.
    """
    settings = ChainSettings(
        name=chain.name,
        ws_url=chain.ws_url,
        chain_id=chain.chain_id,
        confirmations=chain.confirmations,
        rpc_timeout=chain.rpc_timeout,
        logs_chunk=chain.logs_chunk,
        poll_interval=chain.poll_interval,
    )
    memory = ChainMemory(window=HeaderWindow(chain.header_window))
    client = child_spec(partial(ChainClient, settings, memory), name=chain.name)
    policy = SupervisorPolicy(
        max_restarts=100, within=60.0, backoff=Backoff(initial=0.1, maximum=5.0)
    )
    return child_spec(partial(Supervisor, [client], policy), name="chain")


async def serve(config: Config, state_dir: Path, devnet_port: int | None = None) -> int:
    """Run the application until SIGINT/SIGTERM or a root escalation.

    With ``devnet_port``, first start anvil there as ``/devnet`` (stopped
    last), deploy the DEXes, write the config that follows them to
    ``<state_dir>/devnet.toml``, and run against it with swap traffic
    (``/app/traffic``).

    Returns:
        The process exit code: 0 after a graceful stop, 1 if the root gave up.
    """
    system = ActorSystem(config.runtime.name, shutdown_timeout=config.runtime.shutdown_timeout)
    await system.start()
    _install_signal_handlers(system)
    extra: list[ChildSpec] = []
    if devnet_port is not None:
        config, extra = await _start_devnet(system, config, state_dir, devnet_port)
    children = app_children(config, state_dir)
    children[-1:-1] = extra  # before the dashboard, which stays last
    policy = SupervisorPolicy(strategy=Strategy.ONE_FOR_ONE, max_restarts=5, within=30.0)
    await system.spawn(partial(Supervisor, children, policy), name="app")
    # What exists now (modules, web3's ABIs, the tree) lives until exit: keep
    # it out of the collector's full passes, which otherwise took ~37 ms each
    # and set the loop's worst-case lag (BENCHMARKS.md, dashboard).
    gc.freeze()
    url = await _dashboard_url(system)
    _log.info(
        "arbiter_running",
        system=system.name,
        pid=os.getpid(),
        state_dir=str(state_dir),
        loop=type(asyncio.get_running_loop()).__module__,
        actors=len(system.snapshot()),
        dashboard=url,
    )
    if url is not None:
        sys.stdout.write(f"arbiter: health page at {url}\n")
        sys.stdout.flush()
    await system.wait_stopped()
    await system.shutdown()
    return 1 if system.failure is not None else 0


async def _start_devnet(
    system: ActorSystem, config: Config, state_dir: Path, port: int
) -> tuple[Config, list[ChildSpec]]:
    await system.spawn(partial(AnvilNode, port, state_dir / "anvil.log"), name="devnet")
    deployment = await deploy(f"http://127.0.0.1:{port}")
    text = arbiter_config(deployment)
    written = state_dir / "devnet.toml"
    written.write_text(text, encoding="utf-8")
    devnet = load_config(written, {})
    _log.info("devnet_deployed", config=str(written), pools=len(deployment.pools))
    # The wallet sends from the devnet's bot account, whatever [nonce] names;
    # its key is anvil's public one, handed to the signer like any other key.
    os.environ[_DEVNET_KEY_ENV] = BOT_KEY
    config = msgspec.structs.replace(
        config,
        chain=devnet.chain,
        dex=devnet.dex,
        signer=SignerConfig(key_env=_DEVNET_KEY_ENV),
        nonce=msgspec.structs.replace(config.nonce, accounts=[BOT_ACCOUNT]),
        # Live by default on the devnet: the bot owns the deployed arbitrage contract.
        executor=msgspec.structs.replace(
            config.executor,
            mode=config.executor.mode or "live",
            account=BOT_ACCOUNT,
            contract=deployment.arbitrage,
        ),
    )
    traffic = child_spec(
        partial(TrafficGenerator, deployment), name="traffic", mailbox=TRAFFIC_MAILBOX
    )
    return config, [traffic]


async def _dashboard_url(system: ActorSystem) -> str | None:
    dashboard = system.lookup("/app/dashboard")
    if dashboard is None:
        return None
    try:
        url: str = await dashboard.ask(GetDashboardUrl(), timeout=5.0)
    except ArbiterError as exc:
        _log.warning("dashboard_unavailable", error=str(exc))
        return None
    return url


def _install_signal_handlers(system: ActorSystem) -> None:
    loop = asyncio.get_running_loop()
    received: list[str] = []

    def on_signal(name: str) -> None:
        if received:
            _log.error("forced_exit", signal=name)
            os._exit(_FORCED_EXIT)
        received.append(name)
        _log.info("shutdown_requested", signal=name, timeout_s=system.shutdown_timeout)
        system.request_shutdown()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig.name)
