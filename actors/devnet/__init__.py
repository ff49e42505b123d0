"""The devnet: anvil as a child process, real Uniswap V2/V3 DEXes on it, and swap traffic."""

from actors.devnet._accounts import BOT_ACCOUNT as BOT_ACCOUNT
from actors.devnet._accounts import BOT_KEY as BOT_KEY
from actors.devnet._anvil import DEFAULT_CHAIN_ID as DEFAULT_CHAIN_ID
from actors.devnet._anvil import Anvil as Anvil
from actors.devnet._anvil import free_port as free_port
from actors.devnet._artifacts import NODE_MODULES as NODE_MODULES
from actors.devnet._artifacts import Artifact as Artifact
from actors.devnet._artifacts import anvil_binary as anvil_binary
from actors.devnet._artifacts import load_artifact as load_artifact
from actors.devnet._config import arbiter_config as arbiter_config
from actors.devnet._deploy import DEX_SKEWS as DEX_SKEWS
from actors.devnet._deploy import TOKEN_SYMBOLS as TOKEN_SYMBOLS
from actors.devnet._deploy import deploy as deploy
from actors.devnet._deploy import sqrt_price_x96 as sqrt_price_x96
from actors.devnet._deployment import Deployment as Deployment
from actors.devnet._deployment import DexDeployment as DexDeployment
from actors.devnet._errors import DevnetError as DevnetError
from actors.devnet._errors import DevnetNotInstalled as DevnetNotInstalled
from actors.devnet._node import AnvilNode as AnvilNode
from actors.devnet._serve import READY_LINE as READY_LINE
from actors.devnet._serve import describe as describe
from actors.devnet._serve import serve_devnet as serve_devnet
from actors.devnet._traffic import TRAFFIC_MAILBOX as TRAFFIC_MAILBOX
from actors.devnet._traffic import GetTrafficStats as GetTrafficStats
from actors.devnet._traffic import TrafficGenerator as TrafficGenerator
from actors.devnet._traffic import TrafficStats as TrafficStats

__all__ = [
    "BOT_ACCOUNT",
    "BOT_KEY",
    "DEFAULT_CHAIN_ID",
    "DEX_SKEWS",
    "NODE_MODULES",
    "READY_LINE",
    "TOKEN_SYMBOLS",
    "TRAFFIC_MAILBOX",
    "Anvil",
    "AnvilNode",
    "Artifact",
    "Deployment",
    "DevnetError",
    "DevnetNotInstalled",
    "DexDeployment",
    "GetTrafficStats",
    "TrafficGenerator",
    "TrafficStats",
    "anvil_binary",
    "arbiter_config",
    "deploy",
    "describe",
    "free_port",
    "load_artifact",
    "serve_devnet",
    "sqrt_price_x96",
]
