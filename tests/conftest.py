"""Fixtures for real parts, shared by every test module."""

from tests.fixtures.anvil import anvil_node
from tests.fixtures.devnet import anvil, devnet, devnet_session

__all__ = ["anvil", "anvil_node", "devnet", "devnet_session"]
