"""The chain client: a node's WebSocket, blocks in order, gaps filled, reorgs announced."""

from actors.chain._client import ChainClient as ChainClient
from actors.chain._client import ChainMemory as ChainMemory
from actors.chain._client import ChainSettings as ChainSettings
from actors.chain._headers import Header as Header
from actors.chain._headers import HeaderWindow as HeaderWindow
from actors.chain._headers import ReorgTooDeep as ReorgTooDeep
from actors.chain._jsonrpc import JsonRpcConnection as JsonRpcConnection
from actors.chain._jsonrpc import RpcError as RpcError

__all__ = [
    "ChainClient",
    "ChainMemory",
    "ChainSettings",
    "Header",
    "HeaderWindow",
    "JsonRpcConnection",
    "ReorgTooDeep",
    "RpcError",
]
