"""Fixtures for real parts, shared by every test module."""

from tests.fixtures.anvil import anvil_node

__all__ = ["anvil_node"]
