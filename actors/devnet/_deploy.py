"""Deploying real Uniswap V2 and V3 DEXes on a devnet, with arbitrage between them.

Three test tokens, two V2 DEXes and one V3 DEX, each with a pool for every
pair of tokens, seeded at prices a few per cent apart: one DEX sells what
another buys cheaper, and within a DEX the three pairs do not agree either
(a triangle pays). Traders (anvil's unlocked accounts after the deployer)
get every token and approve every router, ready for `TrafficGenerator`. The
bot account (`BOT_ACCOUNT`) gets every token, owns our arbitrage contract
(``ops/devnet/contracts/Arbitrage.sol``, deployed too) and approves it to
spend every token.

Every contract address follows from the deployer's nonce, so the whole
deployment is planned up front as transactions with explicit nonces and gas
(no estimate against a state that does not exist yet) and sent in batches of
one block's gas each, mined with ``evm_mine``; the traders' approvals follow
once the tokens exist. About five blocks, 0.2 s on anvil.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from eth_typing import ChecksumAddress, HexAddress, HexStr
from web3 import AsyncWeb3
from web3.types import Nonce
from web3.utils.address import get_create_address

from actors.devnet._accounts import BOT_ACCOUNT
from actors.devnet._artifacts import load_artifact
from actors.devnet._deployment import Deployment, DexDeployment
from actors.devnet._errors import DevnetError
from actors.devnet._rpc import Request, connect, rpc, rpc_batch, wait_for_receipts
from messages.market import Pool, PoolKind, Token

if TYPE_CHECKING:
    from web3 import AsyncHTTPProvider
    from web3.contract import AsyncContract

__all__ = [
    "DEX_SKEWS",
    "FEE",
    "TICK_SPACING",
    "TOKEN_SYMBOLS",
    "V2_DEXES",
    "V3_DEX",
    "deploy",
    "sqrt_price_x96",
]

TOKEN_SYMBOLS = ("TKA", "TKB", "TKC")
V2_DEXES = ("uniswap_v2_a", "uniswap_v2_b")
V3_DEX = "uniswap_v3"
FEE = 3000
"""Every pool's fee in hundredths of a basis point (0.3 %); V3 pools use this fee tier."""
TICK_SPACING = 60
"""The tick spacing of V3's 0.3 % fee tier."""

DEX_SKEWS: dict[str, Fraction] = {
    "uniswap_v2_a": Fraction(1),
    "uniswap_v2_b": Fraction(103, 100),
    "uniswap_v3": Fraction(98, 100),
}
"""How much each DEX's seeded price of the later token of a pair is off the reference price."""

# One whole token's worth in a common unit: 1 TKA = 2 TKB = 3 TKC.
_TOKEN_VALUES = (6, 3, 2)
_PAIRS = ((0, 1), (1, 2), (0, 2))
_UNIT = 10**18
_SUPPLY = 10**9 * _UNIT
_POOL_VALUE = 6_000
"""Each side of a pool is seeded with this much value: 1 000 TKA, 2 000 TKB or 3 000 TKC."""
_TRADER_FUNDS = 10**6 * _UNIT
_BOT_FUNDS = 10**5 * _UNIT
_MAX_UINT = 2**256 - 1
_DEADLINE = 2**64
_FULL_RANGE = (-887_220, 887_220)
"""V3's widest ticks that are multiples of the 0.3 % tier's spacing."""

# Explicit gas: an estimate against a contract that a queued transaction is
# about to create would revert. Each limit is about 1.25x the gas measured on
# anvil 1.7.1; their sum per block is what `_Deployer._execute` budgets.
_GAS_CREATE = {
    "WETH9": 800_000,
    "ERC20": 900_000,
    "UniswapV2Factory": 3_800_000,
    "UniswapV2Router02": 6_000_000,
    "UniswapV3Factory": 6_800_000,
    "SwapRouter": 3_400_000,
    "NonfungiblePositionManager": 6_900_000,
    "QuoterV2": 2_300_000,
    "Arbitrage": 1_200_000,
}
_GAS_APPROVE = 60_000
_GAS_TRANSFER = 70_000
_GAS_ADD_LIQUIDITY = 3_400_000
_GAS_CREATE_V3_POOL = 5_800_000
_GAS_MINT = 800_000
_MAX_FEE = 100 * 10**9
_PRIORITY_FEE = 10**9


async def deploy(http_url: str, *, traders: int = 3) -> Deployment:
    """Deploy the DEXes, seed their pools and fund ``traders`` accounts on the node at ``http_url``.

    Works on any anvil (automine, interval mining or none) and on a node
    that already holds other contracts; it sends from ``eth_accounts``: the
    first deploys, the next ``traders`` trade. `BOT_ACCOUNT` is funded, owns
    the arbitrage contract and approves it for every token (its only
    transactions here: start its nonce manager after the deployment). About 70 transactions, well
    under a second on anvil. Automine is off while they go out (blocks are
    mined with ``evm_mine``) and on again after.

    Raises:
        DevnetError: the node refused a transaction, one reverted (the step
            is named), or it has too few unlocked accounts.
    """
    w3 = connect(http_url)
    try:
        # Each batch goes into one block we mine ourselves, rather than into
        # however many blocks automine happens to cut while it arrives.
        automine = await rpc(w3, "anvil_getAutomine")
        if automine:
            await rpc(w3, "evm_setAutomine", False)  # noqa: FBT003 - a JSON-RPC parameter
        try:
            return await _Deployer(w3, http_url, traders).run()
        finally:
            if automine:
                await rpc(w3, "evm_setAutomine", True)  # noqa: FBT003
    finally:
        await w3.provider.disconnect()


def sqrt_price_x96(amount0: int, amount1: int) -> int:
    """V3's ``sqrtPriceX96`` for a price of ``amount1 / amount0`` (raw units), rounded down."""
    return math.isqrt((amount1 << 192) // amount0)


class _Step(NamedTuple):
    label: str
    request: Request
    gas: int


@dataclass
class _Sender:
    """Transactions from one account, numbered from its next nonce."""

    address: str
    nonce: int
    steps: list[_Step] = field(default_factory=list)

    def create(self, label: str, contract: type[AsyncContract], *args: Any, gas: int) -> str:
        address = get_create_address(HexAddress(HexStr(self.address)), Nonce(self.nonce))
        self._send(label, {"data": contract.constructor(*args).data_in_transaction}, gas)
        return address

    def call(
        self, label: str, contract: AsyncContract, function: str, *args: Any, gas: int
    ) -> None:
        data = contract.encode_abi(function, args=list(args))
        self._send(label, {"to": contract.address, "data": data}, gas)

    def _send(self, label: str, fields: dict[str, str], gas: int) -> None:
        transaction = {
            "from": self.address,
            "nonce": hex(self.nonce),
            "gas": hex(gas),
            "maxFeePerGas": hex(_MAX_FEE),
            "maxPriorityFeePerGas": hex(_PRIORITY_FEE),
            **fields,
        }
        self.steps.append(_Step(label, ("eth_sendTransaction", [transaction]), gas))
        self.nonce += 1


@dataclass(frozen=True, slots=True)
class _Contracts:
    """The addresses the deployment's transactions create."""

    weth: str
    tokens: list[str]
    v2: dict[str, tuple[str, str]]
    """V2 DEX name -> (factory, router)."""
    v3: dict[str, str]
    """V3 contract role -> address."""
    bot: str
    arbitrage: str


class _Deployer:
    """One deployment: plans the transactions, sends them block by block, reads the result."""

    def __init__(self, w3: AsyncWeb3[AsyncHTTPProvider], http_url: str, traders: int) -> None:
        self.w3 = w3
        self.http_url = http_url
        self.trader_count = traders
        self.block_gas_limit = 0

    def create(self, sender: _Sender, name: str, label: str, *args: Any) -> str:
        """Queue the creation of contract ``name``; return the address it will have."""
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        return sender.create(label, factory, *args, gas=_GAS_CREATE[name])

    def contract(self, name: str, address: str) -> AsyncContract:
        artifact = load_artifact(name)
        return self.w3.eth.contract(
            address=AsyncWeb3.to_checksum_address(address), abi=artifact.abi
        )

    async def run(self) -> Deployment:
        chain_id, accounts, latest = await rpc_batch(
            self.w3,
            [
                ("eth_chainId", []),
                ("eth_accounts", []),
                ("eth_getBlockByNumber", ["latest", False]),
            ],
        )
        self.block_gas_limit = int(latest["gasLimit"], 16)
        addresses, bot = self._accounts(accounts)
        nonces = await rpc_batch(
            self.w3, [("eth_getTransactionCount", [a, "pending"]) for a in [*addresses, bot]]
        )
        deployer = _Sender(addresses[0], int(nonces[0], 16))
        traders = [_Sender(a, int(n, 16)) for a, n in zip(addresses[1:], nonces[1:-1], strict=True)]
        bot_sender = _Sender(bot, int(nonces[-1], 16))

        weth = self.create(deployer, "WETH9", "WETH9")
        tokens = [
            self.create(deployer, "ERC20", f"token {symbol}", _SUPPLY) for symbol in TOKEN_SYMBOLS
        ]
        v2 = {name: self._deploy_v2_contracts(deployer, name, weth) for name in V2_DEXES}
        v3 = self._deploy_v3_contracts(deployer, weth)
        arbitrage = self.create(deployer, "Arbitrage", "arbitrage contract", bot)
        spenders = [router for _, router in v2.values()] + [v3["position_manager"]]
        for token in tokens:
            for spender in spenders:
                deployer.call(
                    "deployer approves", self.contract("ERC20", token), "approve", spender,
                    _MAX_UINT, gas=_GAS_APPROVE,
                )  # fmt: skip
        for name, (_, router) in v2.items():
            self._seed_v2(deployer, name, router, tokens)
        self._seed_v3(deployer, v3["position_manager"], tokens)
        funds = [(trader.address, _TRADER_FUNDS) for trader in traders] + [(bot, _BOT_FUNDS)]
        for account, amount in funds:
            for token in tokens:
                deployer.call(
                    "fund trader or bot", self.contract("ERC20", token), "transfer", account,
                    amount, gas=_GAS_TRANSFER,
                )  # fmt: skip
        await self._execute([deployer])

        routers = [router for _, router in v2.values()] + [v3["router"]]
        for trader in traders:
            for token in tokens:
                for router in routers:
                    trader.call(
                        "trader approves", self.contract("ERC20", token), "approve", router,
                        _MAX_UINT, gas=_GAS_APPROVE,
                    )  # fmt: skip
        for token in tokens:
            bot_sender.call(
                "bot approves the arbitrage contract", self.contract("ERC20", token), "approve",
                arbitrage, _MAX_UINT, gas=_GAS_APPROVE,
            )  # fmt: skip
        await self._execute([*traders, bot_sender])

        planned = _Contracts(weth=weth, tokens=tokens, v2=v2, v3=v3, bot=bot, arbitrage=arbitrage)
        return await self._record(int(chain_id, 16), deployer, traders, planned)

    def _accounts(self, accounts: list[str]) -> tuple[list[ChecksumAddress], ChecksumAddress]:
        """The deployer and the traders, then the bot, checksummed."""
        if len(accounts) < 1 + self.trader_count:
            raise DevnetError(
                f"the node has {len(accounts)} unlocked accounts; "
                f"the deployer and {self.trader_count} traders need {1 + self.trader_count}"
            )
        addresses = [AsyncWeb3.to_checksum_address(a) for a in accounts[: 1 + self.trader_count]]
        bot = AsyncWeb3.to_checksum_address(BOT_ACCOUNT)
        if bot in addresses:
            raise DevnetError(f"the bot account {bot} cannot be the deployer or a trader")
        return addresses, bot

    def _deploy_v2_contracts(self, deployer: _Sender, name: str, weth: str) -> tuple[str, str]:
        factory = self.create(deployer, "UniswapV2Factory", f"{name} factory", deployer.address)
        router = self.create(deployer, "UniswapV2Router02", f"{name} router", factory, weth)
        return factory, router

    def _deploy_v3_contracts(self, deployer: _Sender, weth: str) -> dict[str, str]:
        factory = self.create(deployer, "UniswapV3Factory", f"{V3_DEX} factory")
        return {
            "factory": factory,
            "router": self.create(deployer, "SwapRouter", f"{V3_DEX} router", factory, weth),
            # The third argument, the token descriptor, only serves tokenURI.
            "position_manager": self.create(
                deployer,
                "NonfungiblePositionManager",
                f"{V3_DEX} position manager",
                factory,
                weth,
                deployer.address,
            ),
            "quoter": self.create(deployer, "QuoterV2", f"{V3_DEX} quoter", factory, weth),
        }

    def _seed_v2(self, deployer: _Sender, name: str, router: str, tokens: list[str]) -> None:
        contract = self.contract("UniswapV2Router02", router)
        for i, j in _PAIRS:
            amount_i, amount_j = _seed_amounts(i, j, DEX_SKEWS[name])
            deployer.call(
                f"{name} {TOKEN_SYMBOLS[i]}/{TOKEN_SYMBOLS[j]} liquidity", contract,
                "addLiquidity", tokens[i], tokens[j], amount_i, amount_j, 0, 0,
                deployer.address, _DEADLINE, gas=_GAS_ADD_LIQUIDITY,
            )  # fmt: skip

    def _seed_v3(self, deployer: _Sender, position_manager: str, tokens: list[str]) -> None:
        contract = self.contract("NonfungiblePositionManager", position_manager)
        for i, j in _PAIRS:
            amount_i, amount_j = _seed_amounts(i, j, DEX_SKEWS[V3_DEX])
            (token0, amount0), (token1, amount1) = sorted(
                [(tokens[i], amount_i), (tokens[j], amount_j)], key=lambda t: int(t[0], 16)
            )
            label = f"{V3_DEX} {TOKEN_SYMBOLS[i]}/{TOKEN_SYMBOLS[j]}"
            deployer.call(
                f"{label} pool", contract, "createAndInitializePoolIfNecessary", token0, token1,
                FEE, sqrt_price_x96(amount0, amount1), gas=_GAS_CREATE_V3_POOL,
            )  # fmt: skip
            mint = (
                token0, token1, FEE, *_FULL_RANGE, amount0, amount1, 0, 0, deployer.address,
                _DEADLINE,
            )  # fmt: skip
            deployer.call(f"{label} position", contract, "mint", mint, gas=_GAS_MINT)

    async def _execute(self, senders: list[_Sender]) -> None:
        """Send the senders' queued steps and mine them, a block's gas limit at a time.

        anvil 1.7.1 drops a pending transaction that does not fit in the
        block being mined, and every later one of its sender, without a word.
        So no more gas than a block holds is ever pending at once.
        """
        steps = [step for sender in senders for step in sender.steps]
        for sender in senders:
            sender.steps.clear()
        chunk: list[_Step] = []
        for step in steps:
            if chunk and sum(s.gas for s in chunk) + step.gas > self.block_gas_limit:
                await self._mine(chunk)
                chunk = []
            chunk.append(step)
        if chunk:
            await self._mine(chunk)

    async def _mine(self, steps: list[_Step]) -> None:
        hashes = await rpc_batch(self.w3, [step.request for step in steps])
        receipts = await wait_for_receipts(self.w3, hashes, mine=True)
        for step, receipt, tx_hash in zip(steps, receipts, hashes, strict=True):
            if int(receipt["status"], 16) != 1:
                raise DevnetError(
                    f"deployment step {step.label!r} reverted (transaction {tx_hash})"
                )

    async def _record(
        self, chain_id: int, deployer: _Sender, traders: list[_Sender], planned: _Contracts
    ) -> Deployment:
        tokens, v2, v3 = planned.tokens, planned.v2, planned.v3
        pairs = [(tokens[i], tokens[j]) for i, j in _PAIRS]
        v3_factory = self.contract("UniswapV3Factory", v3["factory"])
        async with self.w3.batch_requests() as batch:
            for factory, _ in v2.values():
                contract = self.contract("UniswapV2Factory", factory)
                for a, b in pairs:
                    batch.add(contract.functions.getPair(a, b))
            for a, b in pairs:
                batch.add(v3_factory.functions.getPool(a, b, FEE))
            found = iter([str(address) for address in await batch.async_execute()])
        dexes = [
            DexDeployment(
                name=name,
                kind="uniswap_v2",
                factory=factory,
                router=router,
                pools=[
                    _pool(next(found), pair, dex=name, kind="uniswap_v2", tick_spacing=0)
                    for pair in pairs
                ],
            )
            for name, (factory, router) in v2.items()
        ]
        dexes.append(
            DexDeployment(
                name=V3_DEX,
                kind="uniswap_v3",
                factory=v3["factory"],
                router=v3["router"],
                position_manager=v3["position_manager"],
                quoter=v3["quoter"],
                pools=[
                    _pool(
                        next(found), pair, dex=V3_DEX, kind="uniswap_v3", tick_spacing=TICK_SPACING
                    )
                    for pair in pairs
                ],
            )
        )
        block = int(await rpc(self.w3, "eth_blockNumber"), 16)
        return Deployment(
            chain_id=chain_id,
            http_url=self.http_url,
            ws_url="ws" + self.http_url.removeprefix("http"),
            block=block,
            deployer=deployer.address,
            traders=[trader.address for trader in traders],
            bot=planned.bot,
            arbitrage=planned.arbitrage,
            weth=planned.weth,
            tokens=[
                Token(address=address, symbol=symbol, decimals=18)
                for address, symbol in zip(tokens, TOKEN_SYMBOLS, strict=True)
            ],
            dexes=dexes,
        )


def _seed_amounts(i: int, j: int, skew: Fraction) -> tuple[int, int]:
    amount_i = Fraction(_POOL_VALUE * _UNIT, _TOKEN_VALUES[i])
    amount_j = Fraction(_POOL_VALUE * _UNIT, _TOKEN_VALUES[j]) * skew
    return int(amount_i), int(amount_j)


def _pool(
    address: str, pair: tuple[str, str], *, dex: str, kind: PoolKind, tick_spacing: int
) -> Pool:
    if int(address, 16) == 0:
        raise DevnetError(f"{dex} has no pool for {pair[0]}/{pair[1]} after the deployment")
    token0, token1 = sorted(pair, key=lambda t: int(t, 16))
    return Pool(
        address=address,
        dex=dex,
        kind=kind,
        token0=token0,
        token1=token1,
        fee=FEE,
        tick_spacing=tick_spacing,
    )
