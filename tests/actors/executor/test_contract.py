"""The arbitrage contract on the devnet: exact profits, atomic reverts, only its owner.

Paths and their expected outputs come from `actors.dex`'s maths on the
pools' state (see `support`), so these tests hold the contract to the wei.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError

from actors.devnet import BOT_ACCOUNT, NODE_MODULES, load_artifact
from actors.devnet._rpc import rpc
from actors.executor import (
    EXECUTE_SIGNATURE,
    ContractHop,
    decode_uint,
    execute_calldata,
    execution_gas,
    token_flow,
)
from tests.actors.executor.support import v2_v2_path, v2_v3_path
from tests.fixtures.devnet import contract, web3

if TYPE_CHECKING:
    from pathlib import Path

    from web3 import AsyncHTTPProvider, AsyncWeb3

    from actors.devnet import Deployment
    from tests.actors.executor.support import Path as ArbitragePath

DEVNET = NODE_MODULES.parent
BOT = Web3.to_checksum_address(BOT_ACCOUNT)


def error_selector(signature: str) -> str:
    return "0x" + function_signature_to_4byte_selector(signature).hex()


def call(path: ArbitragePath, min_profit: int, sender: str = BOT) -> dict[str, object]:
    return {
        "from": sender,
        "data": execute_calldata(path.contract_hops(), path.amount_in, min_profit),
    }


async def balance(w3: AsyncWeb3[AsyncHTTPProvider], token: str, account: str) -> int:
    erc20 = contract(w3, "ERC20", token)
    value: int = await erc20.functions.balanceOf(w3.to_checksum_address(account)).call()
    return value


async def send(
    w3: AsyncWeb3[AsyncHTTPProvider], devnet: Deployment, path: ArbitragePath, min_profit: int
) -> dict[str, Any]:
    """Send the path from the bot (an unlocked anvil account); return the receipt."""
    transaction = {
        **call(path, min_profit),
        "to": devnet.arbitrage,
        "gas": execution_gas(len(path.hops)),
    }
    tx_hash = await w3.eth.send_transaction(transaction)  # type: ignore[arg-type]
    await w3.eth.wait_for_transaction_receipt(tx_hash)
    raw: dict[str, Any] = await rpc(w3, "eth_getTransactionReceipt", "0x" + tx_hash.hex())
    raw["status"] = int(raw["status"], 16)
    return raw


def test_the_built_contract_is_what_its_source_compiles_to(tmp_path: Path) -> None:
    subprocess.run(["node", str(DEVNET / "compile.js"), str(tmp_path)], check=True, cwd=DEVNET)  # noqa: S603, S607 - our own script
    fresh = json.loads((tmp_path / "Arbitrage.json").read_text())
    built = load_artifact("Arbitrage")
    assert fresh["bytecode"] == built.bytecode
    assert fresh["abi"] == built.abi
    assert fresh["compiler"].startswith("0.8.28+")


def test_execute_calldata_follows_the_contracts_abi() -> None:
    hop = ContractHop("0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20, v3=True, fee=3000)
    abi = next(item for item in load_artifact("Arbitrage").abi if item.get("name") == "execute")
    types = ",".join(
        "(" + ",".join(c["type"] for c in i["components"]) + ")[]"
        if i["type"] == "tuple[]"
        else i["type"]
        for i in abi["inputs"]
    )
    assert f"execute({types})" == EXECUTE_SIGNATURE
    data = execute_calldata([hop, hop], 5, 7)
    # selector, two offsets/amounts, the array's length and two 5-word hops
    assert len(data) == 2 + 2 * (4 + 32 * (3 + 1 + 2 * 5))


def test_token_flow_counts_transfers_of_the_token_to_and_from_the_account() -> None:
    token, account, other = "0x" + "aa" * 20, "0x" + "0b" * 20, "0x" + "0c" * 20
    topic = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

    def transfer(source: str, target: str, amount: int, address: str = token) -> dict[str, object]:
        words = ["0x" + a[2:].rjust(64, "0") for a in (source, target)]
        return {"address": address, "topics": [topic, *words], "data": hex(amount)}

    logs = [
        transfer(account, other, 100),
        transfer(other, account, 130),
        transfer(other, account, 999, address="0x" + "dd" * 20),
        transfer(other, other, 5),
    ]
    assert token_flow(logs, token.upper().replace("0X", "0x"), account) == 30


async def test_a_v2_v2_cycle_pays_the_owner_exactly_what_the_v2_maths_say(
    devnet: Deployment,
) -> None:
    async with web3(devnet.http_url) as w3:
        path = await v2_v2_path(w3, devnet)
        simulated = decode_uint(
            (await w3.eth.call({**call(path, 0), "to": devnet.arbitrage})).hex()
        )  # type: ignore[typeddict-item]
        before = await balance(w3, path.start_token, BOT)
        receipt = await send(w3, devnet, path, min_profit=path.profit)
        assert receipt["status"] == 1
        after = await balance(w3, path.start_token, BOT)
    assert simulated == path.profit
    assert after - before == path.profit
    assert token_flow(receipt["logs"], path.start_token, BOT_ACCOUNT) == path.profit


async def test_a_v3_hop_within_its_tick_range_pays_exactly_what_the_v3_maths_say(
    devnet: Deployment,
) -> None:
    async with web3(devnet.http_url) as w3:
        path = await v2_v3_path(w3, devnet)
        before = await balance(w3, path.start_token, BOT)
        receipt = await send(w3, devnet, path, min_profit=1)
        assert receipt["status"] == 1
        after = await balance(w3, path.start_token, BOT)
        for token in {path.start_token, *(hop[2] for hop in path.hops)}:
            assert await balance(w3, token, devnet.arbitrage) == 0
    assert after - before == path.profit
    assert any(pool.kind == "uniswap_v3" for pool, _, _ in path.hops)


async def test_a_path_that_makes_less_than_min_profit_reverts_and_changes_nothing(
    devnet: Deployment,
) -> None:
    async with web3(devnet.http_url) as w3:
        path = await v2_v2_path(w3, devnet)
        with pytest.raises(ContractCustomError) as refused:
            await w3.eth.call({**call(path, path.profit + 1), "to": devnet.arbitrage})  # type: ignore[typeddict-item]
        assert str(refused.value.data).startswith(
            error_selector("InsufficientProfit(int256,uint256)")
        )
        before = await balance(w3, path.start_token, BOT)
        receipt = await send(w3, devnet, path, min_profit=path.profit + 1)
        after = await balance(w3, path.start_token, BOT)
    assert receipt["status"] == 0
    assert after == before


async def test_only_the_owner_may_execute(devnet: Deployment) -> None:
    async with web3(devnet.http_url) as w3:
        path = await v2_v2_path(w3, devnet)
        stranger = devnet.traders[0]
        with pytest.raises(ContractLogicError):
            await w3.eth.call({**call(path, 0, sender=stranger), "to": devnet.arbitrage})  # type: ignore[typeddict-item]
        arbitrage = contract(w3, "Arbitrage", devnet.arbitrage)
        assert (await arbitrage.functions.owner().call()).lower() == BOT_ACCOUNT.lower()


async def test_a_path_that_does_not_end_where_it_starts_reverts(devnet: Deployment) -> None:
    async with web3(devnet.http_url) as w3:
        path = await v2_v2_path(w3, devnet)
        hops = path.contract_hops()
        broken = [hops[0], hops[1]._replace(token_out=devnet.token("TKC").address)]
        data = execute_calldata(broken, path.amount_in, 0)
        with pytest.raises(ContractLogicError):
            await w3.eth.call({"from": BOT, "to": devnet.arbitrage, "data": data})  # type: ignore[typeddict-item]


async def test_a_swap_callback_from_anyone_but_the_pool_being_swapped_reverts(
    devnet: Deployment,
) -> None:
    async with web3(devnet.http_url) as w3:
        arbitrage = contract(w3, "Arbitrage", devnet.arbitrage)
        v3_pool = devnet.dex("uniswap_v3").pools[0]
        data = "0x" + "00" * 64
        for caller in (devnet.traders[0], v3_pool.address):
            with pytest.raises(ContractLogicError):
                await arbitrage.functions.uniswapV3SwapCallback(1, 0, data).call({"from": caller})
