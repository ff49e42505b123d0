"""`TrafficGenerator`: random swaps on a devnet's pools, so that prices move and diverge."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import msgspec
from web3 import AsyncWeb3

from actors.devnet._artifacts import load_artifact
from actors.devnet._errors import DevnetError
from actors.devnet._rpc import connect, rpc, rpc_batch
from messages.control import SetParam  # noqa: TC001 - handlers' types are read at run time
from runtime import Actor, MailboxConfig, OverflowPolicy

if TYPE_CHECKING:
    from collections.abc import Hashable

    from web3 import AsyncHTTPProvider
    from web3.contract import AsyncContract

    from actors.devnet._deployment import Deployment
    from messages.market import Pool
    from runtime import Timer

__all__ = ["TRAFFIC_MAILBOX", "GetTrafficStats", "TrafficGenerator", "TrafficStats"]

_DEADLINE = 2**64
_GAS_V2_SWAP = 250_000
_GAS_V3_SWAP = 400_000
_MAX_FEE = 100 * 10**9
_PRIORITY_FEE = 10**9
_BPS = 10_000


class Tick(msgspec.Struct, frozen=True, tag=True):
    """Time for the next round of swaps (the generator's timer sends it to itself)."""


class GetTrafficStats(msgspec.Struct, frozen=True, tag=True):
    """Asks a `TrafficGenerator` for its `TrafficStats`."""


class TrafficStats(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """What a `TrafficGenerator` did since it (re)started, and its current parameters.

    ``swaps_sent`` counts swap transactions the node accepted (a swap can
    still revert when mined); ``swaps_failed`` those it refused.
    """

    ticks: int
    swaps_sent: int
    swaps_failed: int
    interval: float
    swaps_per_tick: int


def _coalesce_ticks(message: Any) -> Hashable | None:
    return "tick" if isinstance(message, Tick) else None


TRAFFIC_MAILBOX = MailboxConfig(capacity=64, policy=OverflowPolicy.COALESCE, key=_coalesce_ticks)
"""The mailbox to spawn a `TrafficGenerator` with: ticks that pile up (while
it is paused, or a round of swaps is slow) coalesce into one."""


class TrafficGenerator(Actor):
    """Every ``interval`` seconds, ``swaps_per_tick`` random swaps through the DEXes' routers.

    Each swap takes a random pool, direction and trader of ``deployment``
    and sells between ``min_size_bps`` and ``max_size_bps`` (basis points)
    of the pool's reserve of the token sold: V2 through its Router02, V3
    through its SwapRouter. Transactions are sent from the unlocked trader
    accounts with explicit gas and nonces (read once per round: this actor
    must be the traders' only sender); they are not awaited.

    Protocol: `Tick` (its own timer), `SetParam` (``interval`` in seconds,
    ``swaps_per_tick``; answers `TrafficStats`, raises ValueError for an
    unknown name or a bad value), `GetTrafficStats` -> `TrafficStats`.
    Pause/Resume are the kernel's; spawn it with `TRAFFIC_MAILBOX` so that
    ticks do not pile up meanwhile.

    A swap the node refuses is counted and skipped; a node that cannot be
    reached fails the actor (its supervisor restarts it).
    """

    def __init__(
        self,
        deployment: Deployment,
        *,
        interval: float = 1.0,
        swaps_per_tick: int = 1,
        min_size_bps: int = 10,
        max_size_bps: int = 200,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if not 0 < min_size_bps <= max_size_bps <= _BPS:
            raise ValueError(f"swap sizes must satisfy 0 < {min_size_bps} <= {max_size_bps} <= 1e4")
        if not deployment.traders:
            raise ValueError("the deployment has no trader accounts")
        self.deployment = deployment
        self.interval = _interval(interval)
        self.swaps_per_tick = _swaps_per_tick(swaps_per_tick)
        self.min_size_bps = min_size_bps
        self.max_size_bps = max_size_bps
        self.random = random.Random(seed)
        self.ticks = 0
        self.swaps_sent = 0
        self.swaps_failed = 0
        self._nonces: dict[str, int] = {}
        self._w3: AsyncWeb3[AsyncHTTPProvider] | None = None
        self._timer: Timer | None = None
        self._contracts: dict[tuple[str, str], AsyncContract] = {}

    def on_start(self) -> None:
        # No I/O here: the kernel may run on_stop while an async on_start is
        # suspended, and a session opened after that would never be closed.
        # The HTTP session opens at the first request, inside a handler.
        self._w3 = connect(self.deployment.http_url)
        self._timer = self.context.every(self.interval, Tick())
        self.log.info(
            "traffic_started",
            interval_s=self.interval,
            swaps_per_tick=self.swaps_per_tick,
            pools=len(self.deployment.pools),
        )

    async def on_stop(self) -> None:
        self.log.info("traffic_stopped", swaps_sent=self.swaps_sent, swaps_failed=self.swaps_failed)
        if self._w3 is not None:
            await self._w3.provider.disconnect()
            self._w3 = None

    async def on_tick(self, message: Tick) -> None:
        self.ticks += 1
        if self.swaps_per_tick == 0:
            return
        # Counted afresh every round: anvil silently drops transactions that
        # do not fit a block (and those after them), which would leave a gap.
        await self._sync_nonces()
        for _ in range(self.swaps_per_tick):
            await self._swap()

    def on_set_param(self, message: SetParam) -> TrafficStats:
        if message.name == "interval":
            self.interval = _interval(message.value)
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.context.every(self.interval, Tick())
        elif message.name == "swaps_per_tick":
            self.swaps_per_tick = _swaps_per_tick(message.value)
        else:
            raise ValueError(
                f"TrafficGenerator has no parameter {message.name!r} "
                "(it has interval, swaps_per_tick)"
            )
        self.log.info("traffic_param_set", name=message.name, value=message.value)
        return self.on_get_traffic_stats(GetTrafficStats())

    def on_get_traffic_stats(self, message: GetTrafficStats) -> TrafficStats:
        return TrafficStats(
            ticks=self.ticks,
            swaps_sent=self.swaps_sent,
            swaps_failed=self.swaps_failed,
            interval=self.interval,
            swaps_per_tick=self.swaps_per_tick,
        )

    async def _swap(self) -> None:
        pool = self.random.choice(self.deployment.pools)
        token_in, token_out = self.random.sample((pool.token0, pool.token1), 2)
        trader = self.random.choice(self.deployment.traders)
        reserve_in = await self._reserve(pool, token_in)
        amount_in = reserve_in * self.random.randint(self.min_size_bps, self.max_size_bps) // _BPS
        if amount_in == 0:
            return
        router = self.deployment.dex(pool.dex).router
        if pool.kind == "uniswap_v2":
            data = self._contract("UniswapV2Router02", router).encode_abi(
                "swapExactTokensForTokens",
                args=[amount_in, 0, [token_in, token_out], trader, _DEADLINE],
            )
            gas = _GAS_V2_SWAP
        else:
            swap = (token_in, token_out, pool.fee, trader, _DEADLINE, amount_in, 0, 0)
            data = self._contract("SwapRouter", router).encode_abi("exactInputSingle", args=[swap])
            gas = _GAS_V3_SWAP
        transaction = {
            "from": trader,
            "to": router,
            "data": data,
            "nonce": hex(self._nonces[trader]),
            "gas": hex(gas),
            "maxFeePerGas": hex(_MAX_FEE),
            "maxPriorityFeePerGas": hex(_PRIORITY_FEE),
        }
        try:
            await rpc(self._web3(), "eth_sendTransaction", transaction)
        except DevnetError as exc:
            self.swaps_failed += 1
            self.log.warning("swap_refused", pool=pool.address, trader=trader, error=str(exc))
            return
        self._nonces[trader] += 1
        self.swaps_sent += 1

    async def _reserve(self, pool: Pool, token: str) -> int:
        """The pool's holding of ``token``: V2's reserve, V3's balance (its full-range reserve)."""
        if pool.kind == "uniswap_v2":
            reserve0, reserve1, _ = await (
                self._contract("UniswapV2Pair", pool.address).functions.getReserves().call()
            )
            return int(reserve0 if token == pool.token0 else reserve1)
        balance = await self._contract("ERC20", token).functions.balanceOf(pool.address).call()
        return int(balance)

    async def _sync_nonces(self) -> None:
        traders = self.deployment.traders
        counts = await rpc_batch(
            self._web3(), [("eth_getTransactionCount", [trader, "pending"]) for trader in traders]
        )
        self._nonces = {
            trader: int(count, 16) for trader, count in zip(traders, counts, strict=True)
        }

    def _contract(self, name: str, address: str) -> AsyncContract:
        contract = self._contracts.get((name, address))
        if contract is None:
            abi = load_artifact(name).abi
            checksummed = AsyncWeb3.to_checksum_address(address)
            contract = self._web3().eth.contract(checksummed, abi=abi)
            self._contracts[name, address] = contract
        return contract

    def _web3(self) -> AsyncWeb3[AsyncHTTPProvider]:
        if self._w3 is None:
            raise DevnetError("the traffic generator is not connected")
        return self._w3


def _interval(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"interval must be a number of seconds > 0, got {value!r}")
    return float(value)


def _swaps_per_tick(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"swaps_per_tick must be an integer >= 0, got {value!r}")
    return value
