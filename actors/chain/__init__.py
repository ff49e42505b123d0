"""The chain client: a node's WebSocket, blocks in order, gaps filled, reorgs announced."""

from actors.chain._blocks import Block as Block
from actors.chain._blocks import MalformedNodeData as MalformedNodeData
from actors.chain._blocks import decode_block as decode_block
from actors.chain._blocks import decode_get_logs_response as decode_get_logs_response
from actors.chain._blocks import decode_log as decode_log
from actors.chain._blocks import decode_log_notification as decode_log_notification
from actors.chain._blocks import decode_logs as decode_logs
from actors.chain._client import ChainClient as ChainClient
from actors.chain._client import ChainMemory as ChainMemory
from actors.chain._client import ChainSettings as ChainSettings
from actors.chain._headers import Header as Header
from actors.chain._headers import HeaderWindow as HeaderWindow
from actors.chain._headers import ReorgTooDeep as ReorgTooDeep
from actors.chain._jsonrpc import JsonRpcConnection as JsonRpcConnection
from actors.chain._jsonrpc import RpcError as RpcError

__all__ = [
    "Block",
    "ChainClient",
    "ChainMemory",
    "ChainSettings",
    "Header",
    "HeaderWindow",
    "JsonRpcConnection",
    "MalformedNodeData",
    "ReorgTooDeep",
    "RpcError",
    "decode_block",
    "decode_get_logs_response",
    "decode_log",
    "decode_log_notification",
    "decode_logs",
]
