"""The pricing maths against the deployed contracts' own answers on a real anvil.

V2: `get_amount_out` against Router02's ``getAmountsOut`` on both V2 DEXes.
V3: `amount_out_within_range` against QuoterV2's ``quoteExactInputSingle``
(which simulates a real swap) for amounts that stay in the current range.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from actors.dex import amount_out_within_range, get_amount_out
from tests.fixtures.devnet import contract, pool_state, web3

if TYPE_CHECKING:
    from actors.devnet import Deployment


async def test_v2_amounts_out_equal_the_routers(devnet: Deployment) -> None:
    rng = random.Random(11)
    checked = 0
    async with web3(devnet.http_url) as w3:
        for dex in (d for d in devnet.dexes if d.kind == "uniswap_v2"):
            router = contract(w3, "UniswapV2Router02", dex.router)
            for pool in dex.pools:
                state = await pool_state(w3, pool)
                for zero_for_one in (True, False):
                    token_in, token_out = (
                        (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
                    )
                    reserve_in, reserve_out = (
                        (state.reserve0, state.reserve1)  # type: ignore[union-attr]
                        if zero_for_one
                        else (state.reserve1, state.reserve0)  # type: ignore[union-attr]
                    )
                    for amount_in in (1, 997, *(rng.randrange(1, reserve_in) for _ in range(6))):
                        amounts = await router.functions.getAmountsOut(
                            amount_in,
                            [w3.to_checksum_address(token_in), w3.to_checksum_address(token_out)],
                        ).call()
                        assert get_amount_out(amount_in, reserve_in, reserve_out) == amounts[1]
                        checked += 1
    assert checked == 2 * 3 * 2 * 8


async def test_v3_amounts_within_the_range_equal_the_quoters(devnet: Deployment) -> None:
    rng = random.Random(5)
    dex = devnet.dex("uniswap_v3")
    checked = 0
    async with web3(devnet.http_url) as w3:
        quoter = contract(w3, "QuoterV2", dex.quoter)
        for pool in dex.pools:
            state = await pool_state(w3, pool)
            for zero_for_one in (True, False):
                token_in, token_out = (
                    (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
                )
                for amount_in in (10**6, *(rng.randrange(10**9, 10**18) for _ in range(5))):
                    ours = amount_out_within_range(
                        state,  # type: ignore[arg-type]
                        amount_in,
                        zero_for_one,
                        pool.fee,
                        tick_spacing=pool.tick_spacing,
                    )
                    if ours.crossed:
                        continue
                    params = (
                        w3.to_checksum_address(token_in),
                        w3.to_checksum_address(token_out),
                        amount_in,
                        pool.fee,
                        0,
                    )
                    quoted = await quoter.functions.quoteExactInputSingle(params).call()
                    assert ours.amount_out == quoted[0], (pool.address, zero_for_one, amount_in)
                    assert ours.sqrt_price_x96 == quoted[1]
                    checked += 1
    assert checked >= 20
