"""Deploying the DEXes: fast, every pool seeded, prices apart between DEXes, routers working."""

from __future__ import annotations

import time
from fractions import Fraction
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.devnet import DEX_SKEWS, Anvil, DevnetError, deploy, free_port, sqrt_price_x96
from actors.devnet._rpc import rpc
from messages.market import V2State, V3State
from tests.fixtures.devnet import contract, pool_state, web3

if TYPE_CHECKING:
    from actors.devnet import Deployment
    from messages.market import Pool

MAX_UINT = 2**256 - 1


def v2_price(state: V2State | V3State) -> Fraction:
    """token1 per token0, in raw units."""
    assert isinstance(state, V2State)
    return Fraction(state.reserve1, state.reserve0)


def v3_price(state: V2State | V3State) -> Fraction:
    assert isinstance(state, V3State)
    return Fraction(state.sqrt_price_x96**2, 2**192)


def seeded(state: V2State | V3State) -> bool:
    if isinstance(state, V2State):
        return state.reserve0 > 0 and state.reserve1 > 0
    return state.sqrt_price_x96 > 0 and state.liquidity > 0


def same_pair(deployment: Deployment, dex: str, pool: Pool) -> Pool:
    return next(
        other
        for other in deployment.dex(dex).pools
        if (other.token0, other.token1) == (pool.token0, pool.token1)
    )


async def test_a_fresh_node_is_deployed_in_under_five_seconds(anvil: Anvil) -> None:
    started = time.perf_counter()
    deployment = await deploy(anvil.http_url)
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0
    async with web3(anvil.http_url) as w3:
        assert deployment.block == int(await rpc(w3, "eth_blockNumber"), 16)
    assert deployment.chain_id == anvil.chain_id
    assert deployment.ws_url == anvil.ws_url
    assert [dex.name for dex in deployment.dexes] == ["uniswap_v2_a", "uniswap_v2_b", "uniswap_v3"]
    assert len(deployment.pools) == 9
    assert len({pool.address for pool in deployment.pools}) == 9


async def test_a_second_deployment_on_the_same_node_gets_its_own_contracts(anvil: Anvil) -> None:
    first = await deploy(anvil.http_url)
    second = await deploy(anvil.http_url)
    assert {t.address for t in first.tokens}.isdisjoint(t.address for t in second.tokens)
    assert second.block > first.block
    assert {p.address for p in first.pools}.isdisjoint(p.address for p in second.pools)
    async with web3(anvil.http_url) as w3:
        for pool in second.pools:
            assert seeded(await pool_state(w3, pool)), pool


async def test_every_pool_is_seeded_with_liquidity(devnet: Deployment) -> None:
    async with web3(devnet.http_url) as w3:
        for pool in devnet.pools:
            assert seeded(await pool_state(w3, pool)), pool


async def test_the_two_v2_dexes_price_every_pair_a_few_percent_apart(devnet: Deployment) -> None:
    skew = DEX_SKEWS["uniswap_v2_b"] / DEX_SKEWS["uniswap_v2_a"]
    async with web3(devnet.http_url) as w3:
        for pool_a in devnet.dex("uniswap_v2_a").pools:
            a = await pool_state(w3, pool_a)
            b = await pool_state(w3, same_pair(devnet, "uniswap_v2_b", pool_a))
            assert v2_price(b) / v2_price(a) in {skew, 1 / skew}
            assert isinstance(a, V2State)
            assert isinstance(b, V2State)
            # DESIGN.md: buying token1 on one pool and selling it on the other pays iff
            # 997^2 * a2 * b1 > 10^6 * a1 * b2, for one of the two orders.
            assert 997**2 * b.reserve0 * a.reserve1 > 10**6 * a.reserve0 * b.reserve1 or (
                997**2 * a.reserve0 * b.reserve1 > 10**6 * b.reserve0 * a.reserve1
            )


async def test_v3_pools_are_priced_apart_from_the_v2_pools(devnet: Deployment) -> None:
    skew = DEX_SKEWS["uniswap_v3"] / DEX_SKEWS["uniswap_v2_a"]
    async with web3(devnet.http_url) as w3:
        for pool in devnet.dex("uniswap_v3").pools:
            v3 = v3_price(await pool_state(w3, pool))
            v2 = v2_price(await pool_state(w3, same_pair(devnet, "uniswap_v2_a", pool)))
            ratio = v3 / v2
            closest = min((skew, 1 / skew), key=lambda expected: abs(ratio - expected))
            assert abs(ratio - closest) < Fraction(1, 10**12)


async def test_a_v2_pairs_reserves_give_the_routers_quote(devnet: Deployment) -> None:
    async with web3(devnet.http_url) as w3:
        for dex in devnet.dexes[:2]:
            router = contract(w3, "UniswapV2Router02", dex.router)
            for pool in dex.pools:
                state = await pool_state(w3, pool)
                assert isinstance(state, V2State)
                amount_in = state.reserve0 // 100
                amounts = await router.functions.getAmountsOut(
                    amount_in, [pool.token0, pool.token1]
                ).call()
                expected = (
                    amount_in * 997 * state.reserve1 // (state.reserve0 * 1000 + amount_in * 997)
                )
                assert amounts == [amount_in, expected]


async def test_the_v3_quoter_quotes_a_swap_near_the_pool_price(devnet: Deployment) -> None:
    v3 = devnet.dex("uniswap_v3")
    async with web3(devnet.http_url) as w3:
        quoter = contract(w3, "QuoterV2", v3.quoter)
        for pool in v3.pools:
            price = v3_price(await pool_state(w3, pool))
            amount_in = 10**18
            amount_out, sqrt_after, _, _ = await quoter.functions.quoteExactInputSingle(
                (pool.token0, pool.token1, amount_in, pool.fee, 0)
            ).call()
            no_slippage = amount_in * Fraction(997, 1000) * price
            assert no_slippage * Fraction(99, 100) < amount_out < no_slippage
            assert sqrt_after < (await pool_state(w3, pool)).sqrt_price_x96  # type: ignore[union-attr]


async def test_traders_hold_every_token_and_have_approved_every_router(
    devnet: Deployment,
) -> None:
    routers = [dex.router for dex in devnet.dexes]
    async with web3(devnet.http_url) as w3:
        for token in devnet.tokens:
            erc20 = contract(w3, "ERC20", token.address)
            for trader in devnet.traders:
                assert await erc20.functions.balanceOf(trader).call() > 0
                for router in routers:
                    assert await erc20.functions.allowance(trader, router).call() == MAX_UINT
    assert [token.symbol for token in devnet.tokens] == ["TKA", "TKB", "TKC"]
    assert all(token.decimals == 18 for token in devnet.tokens)
    assert devnet.deployer not in devnet.traders


async def test_a_node_with_interval_mining_is_deployed_and_keeps_its_mining_mode() -> None:
    async with Anvil(port=free_port(), block_time=600) as node:
        started = time.perf_counter()
        deployment = await deploy(node.http_url)
        assert time.perf_counter() - started < 5.0
        async with web3(node.http_url) as w3:
            assert await rpc(w3, "anvil_getAutomine") is False
            assert await rpc(w3, "anvil_getIntervalMining") == 600
            for pool in deployment.pools:
                assert seeded(await pool_state(w3, pool)), pool


async def test_a_node_with_too_few_accounts_is_refused(devnet: Deployment) -> None:
    with pytest.raises(DevnetError, match="10 unlocked accounts"):
        await deploy(devnet.http_url, traders=10)


@given(
    amount0=st.integers(min_value=1, max_value=2**128),
    amount1=st.integers(min_value=1, max_value=2**128),
)
def test_sqrt_price_x96_is_the_floor_of_the_square_root_of_the_price(
    amount0: int, amount1: int
) -> None:
    root = sqrt_price_x96(amount0, amount1)
    price = Fraction(amount1 * 2**192, amount0)
    assert root**2 <= price
    assert (root + 1) ** 2 > price
