"""The bank in the running process: `arbiter run` records what it processes in its database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.actors.bank.running import Arbiter, read_blocks
from tests.fixtures.waiting import eventually

if TYPE_CHECKING:
    from pathlib import Path

    from tests.fixtures.anvil import AnvilNode


async def test_arbiter_run_records_every_processed_block_in_the_state_dirs_database(
    tmp_path: Path, anvil_node: AnvilNode
) -> None:
    config = tmp_path / "chain.toml"
    config.write_text(f'[chain]\nws_url = "{anvil_node.ws_url}"\nchain_id = 31337\n')
    database = tmp_path / "state" / "arbiter.db"
    with Arbiter(tmp_path / "state", config) as arbiter:
        await eventually(lambda: arbiter.printed("chain_connected"), timeout=30)
        await anvil_node.rpc("anvil_mine", "0x5")
        await eventually(lambda: database.exists() and len(read_blocks(database)) >= 6, timeout=20)
        assert arbiter.stop() == 0, arbiter.output
    blocks = read_blocks(database)
    head = int(await anvil_node.rpc("eth_blockNumber"), 16)
    assert [block.number for block in blocks] == list(range(head, -1, -1))
    for block in blocks:
        node = await anvil_node.rpc("eth_getBlockByNumber", hex(block.number), False)
        assert (block.hash, block.parent_hash) == (node["hash"], node["parentHash"])
