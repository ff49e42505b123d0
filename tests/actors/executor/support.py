"""Arbitrage paths built from the devnet pools' exact maths, for the contract and executor tests.

Nothing here depends on the analytics actor: each path's amounts come from
`actors.dex`'s V2 and V3 maths on the pools' state read from the node.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from actors.dex import amount_out_within_range, get_amount_out, optimal_two_pool_input
from actors.executor._contract import ContractHop
from messages.bank import Hop, Opportunity
from messages.market import V2State, V3State
from tests.fixtures.devnet import contract, pool_state

if TYPE_CHECKING:
    from web3 import AsyncHTTPProvider, AsyncWeb3

    from actors.devnet import Deployment
    from messages.market import Pool

_DEADLINE = 2**40


def same_pair(deployment: Deployment, dex: str, pool: Pool) -> Pool:
    """``dex``'s pool of the same pair as ``pool``."""
    return next(
        other
        for other in deployment.dex(dex).pools
        if (other.token0, other.token1) == (pool.token0, pool.token1)
    )


async def swap_v2(
    w3: AsyncWeb3[AsyncHTTPProvider], deployment: Deployment, dex: str, path: list[str], amount: int
) -> None:
    """A trader sells ``amount`` of ``path[0]`` through ``dex``'s router (mined at once)."""
    router = contract(w3, "UniswapV2Router02", deployment.dex(dex).router)
    trader = deployment.traders[0]
    tx_hash = await router.functions.swapExactTokensForTokens(
        amount, 0, [w3.to_checksum_address(t) for t in path], trader, _DEADLINE
    ).transact({"from": trader, "gas": 300_000})
    receipt = await w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1


def v2_out(state: V2State, pool: Pool, token_in: str, amount_in: int) -> int:
    """What the V2 ``pool`` in ``state`` pays for ``amount_in`` of ``token_in``."""
    if token_in == pool.token0:
        return get_amount_out(amount_in, state.reserve0, state.reserve1)
    return get_amount_out(amount_in, state.reserve1, state.reserve0)


def v3_out(state: V3State, pool: Pool, token_in: str, amount_in: int) -> int | None:
    """What the V3 ``pool`` in ``state`` pays; None unless the swap stays in the current range."""
    swap = amount_out_within_range(
        state, amount_in, token_in == pool.token0, pool.fee, tick_spacing=pool.tick_spacing
    )
    return None if swap.crossed else swap.amount_out


class Path:
    """A cycle of hops over devnet pools, with its exact expected output."""

    def __init__(self, hops: list[tuple[Pool, str, str]], amount_in: int, amount_out: int) -> None:
        self.hops = hops
        self.amount_in = amount_in
        self.amount_out = amount_out

    @property
    def profit(self) -> int:
        return self.amount_out - self.amount_in

    @property
    def start_token(self) -> str:
        return self.hops[0][1]

    def contract_hops(self) -> list[ContractHop]:
        return [
            ContractHop(pool.address, token_in, token_out, pool.kind == "uniswap_v3", pool.fee)
            for pool, token_in, token_out in self.hops
        ]

    def opportunity(self, block: int, block_hash: str = "", **fields: Any) -> Opportunity:
        """The path as analytics would publish it, computed on ``block`` (gas cost left out)."""
        extra = {"block_hash": block_hash} if "block_hash" in Opportunity.__struct_fields__ else {}
        return Opportunity(
            id=fields.pop("id", f"test-{block}-{self.hops[0][0].address[-6:]}-{time.time_ns()}"),
            block=block,
            path=[Hop(pool=p.address, token_in=a, token_out=b) for p, a, b in self.hops],
            amount_in=self.amount_in,
            amount_out=self.amount_out,
            expected_profit_wei=self.profit,
            gas_cost_wei=0,
            detected_at=fields.pop("detected_at", time.time()),
            latency_us=0,
            **extra,
            **fields,
        )


async def v2_v2_path(w3: AsyncWeb3[AsyncHTTPProvider], deployment: Deployment) -> Path:
    """The best TKA -> TKB -> TKA cycle over the two V2 DEXes, after a trader skews one of them."""
    tka, tkb = deployment.token("TKA").address, deployment.token("TKB").address
    await swap_v2(w3, deployment, "uniswap_v2_a", [tka, tkb], 20 * 10**18)
    pool_a = next(
        p for p in deployment.dex("uniswap_v2_a").pools if {p.token0, p.token1} == {tka, tkb}
    )
    pool_b = same_pair(deployment, "uniswap_v2_b", pool_a)
    state_a, state_b = await pool_state(w3, pool_a), await pool_state(w3, pool_b)
    assert isinstance(state_a, V2State)
    assert isinstance(state_b, V2State)

    def reserves(state: V2State, pool: Pool, token: str) -> int:
        return state.reserve0 if pool.token0 == token else state.reserve1

    # Whichever way round pays: TKA bought cheap on one pool and sold dear on the other.
    best: Path | None = None
    for first, second in ((pool_a, pool_b), (pool_b, pool_a)):
        s1, s2 = (state_a, state_b) if first is pool_a else (state_b, state_a)
        amount_in = optimal_two_pool_input(
            reserves(s1, first, tka), reserves(s1, first, tkb),
            reserves(s2, second, tka), reserves(s2, second, tkb),
        )  # fmt: skip
        if amount_in == 0:
            continue
        middle = v2_out(s1, first, tka, amount_in)
        out = v2_out(s2, second, tkb, middle)
        path = Path([(first, tka, tkb), (second, tkb, tka)], amount_in, out)
        if best is None or path.profit > best.profit:
            best = path
    assert best is not None
    assert best.profit > 0
    return best


async def v2_v3_path(w3: AsyncWeb3[AsyncHTTPProvider], deployment: Deployment) -> Path:
    """A profitable TKA cycle through a V2 pair and the V3 pool of the same pair, in one tick range.

    The devnet seeds V3's price of TKB 2 % off V2 A's; a small amount pays
    without leaving the V3 pool's current range (`v3_out` checks).
    """
    tka, tkb = deployment.token("TKA").address, deployment.token("TKB").address
    v2 = next(p for p in deployment.dex("uniswap_v2_a").pools if {p.token0, p.token1} == {tka, tkb})
    v3 = same_pair(deployment, "uniswap_v3", v2)
    s2, s3 = await pool_state(w3, v2), await pool_state(w3, v3)
    assert isinstance(s2, V2State)
    assert isinstance(s3, V3State)
    candidates = []
    for amount_in in (10**17, 10**16, 10**15):
        out = v3_out(s3, v3, tkb, v2_out(s2, v2, tka, amount_in))
        if out is not None:
            candidates.append(Path([(v2, tka, tkb), (v3, tkb, tka)], amount_in, out))
        middle = v3_out(s3, v3, tka, amount_in)
        if middle is not None:
            out = v2_out(s2, v2, tkb, middle)
            candidates.append(Path([(v3, tka, tkb), (v2, tkb, tka)], amount_in, out))
    best = max(candidates, key=lambda path: path.profit)
    assert best.profit > 0
    return best
