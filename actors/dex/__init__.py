"""The DEX layer: Uniswap V2/V3 pricing maths, event decoding, and the per-block state journal.

Pure logic -- no I/O, no asyncio -- used by the DEX watchers and by analytics.
"""

from actors.dex._apply import apply_event as apply_event
from actors.dex._events import BURN_TOPIC as BURN_TOPIC
from actors.dex._events import MINT_TOPIC as MINT_TOPIC
from actors.dex._events import SYNC_TOPIC as SYNC_TOPIC
from actors.dex._events import V2_SWAP_TOPIC as V2_SWAP_TOPIC
from actors.dex._events import V3_SWAP_TOPIC as V3_SWAP_TOPIC
from actors.dex._events import PoolEvent as PoolEvent
from actors.dex._events import V2Swap as V2Swap
from actors.dex._events import V2Sync as V2Sync
from actors.dex._events import V3Burn as V3Burn
from actors.dex._events import V3Mint as V3Mint
from actors.dex._events import V3Swap as V3Swap
from actors.dex._events import decode_event as decode_event
from actors.dex._events import decode_v2_swap as decode_v2_swap
from actors.dex._events import decode_v2_sync as decode_v2_sync
from actors.dex._events import decode_v3_burn as decode_v3_burn
from actors.dex._events import decode_v3_mint as decode_v3_mint
from actors.dex._events import decode_v3_swap as decode_v3_swap
from actors.dex._exceptions import BlockOutOfOrder as BlockOutOfOrder
from actors.dex._exceptions import DexError as DexError
from actors.dex._exceptions import InsufficientLiquidity as InsufficientLiquidity
from actors.dex._exceptions import InvalidAmount as InvalidAmount
from actors.dex._exceptions import MalformedLog as MalformedLog
from actors.dex._exceptions import OutOfRange as OutOfRange
from actors.dex._exceptions import ReorgTooDeep as ReorgTooDeep
from actors.dex._journal import DEFAULT_JOURNAL_DEPTH as DEFAULT_JOURNAL_DEPTH
from actors.dex._journal import StateJournal as StateJournal
from actors.dex._v2_math import get_amount_in as get_amount_in
from actors.dex._v2_math import get_amount_out as get_amount_out
from actors.dex._v2_math import optimal_two_pool_input as optimal_two_pool_input
from actors.dex._v2_math import spot_price as spot_price
from actors.dex._v2_math import two_pool_profit as two_pool_profit
from actors.dex._v2_math import two_pool_profitable as two_pool_profitable
from actors.dex._v3_math import MAX_SQRT_RATIO as MAX_SQRT_RATIO
from actors.dex._v3_math import MAX_TICK as MAX_TICK
from actors.dex._v3_math import MIN_SQRT_RATIO as MIN_SQRT_RATIO
from actors.dex._v3_math import MIN_TICK as MIN_TICK
from actors.dex._v3_math import Q96 as Q96
from actors.dex._v3_math import RangeSwap as RangeSwap
from actors.dex._v3_math import SwapStep as SwapStep
from actors.dex._v3_math import amount_out_within_range as amount_out_within_range
from actors.dex._v3_math import compute_swap_step as compute_swap_step
from actors.dex._v3_math import get_amount0_delta as get_amount0_delta
from actors.dex._v3_math import get_amount1_delta as get_amount1_delta
from actors.dex._v3_math import get_next_sqrt_price_from_input as get_next_sqrt_price_from_input
from actors.dex._v3_math import get_next_sqrt_price_from_output as get_next_sqrt_price_from_output
from actors.dex._v3_math import get_sqrt_ratio_at_tick as get_sqrt_ratio_at_tick
from actors.dex._v3_math import get_tick_at_sqrt_ratio as get_tick_at_sqrt_ratio
from actors.dex._v3_math import sqrt_price_to_price as sqrt_price_to_price
from actors.dex._watcher import PoolWatcher as PoolWatcher
from actors.dex._watcher import WatcherSettings as WatcherSettings

__all__ = [
    "BURN_TOPIC",
    "DEFAULT_JOURNAL_DEPTH",
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MINT_TOPIC",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "Q96",
    "SYNC_TOPIC",
    "V2_SWAP_TOPIC",
    "V3_SWAP_TOPIC",
    "BlockOutOfOrder",
    "DexError",
    "InsufficientLiquidity",
    "InvalidAmount",
    "MalformedLog",
    "OutOfRange",
    "PoolEvent",
    "PoolWatcher",
    "RangeSwap",
    "ReorgTooDeep",
    "StateJournal",
    "SwapStep",
    "V2Swap",
    "V2Sync",
    "V3Burn",
    "V3Mint",
    "V3Swap",
    "WatcherSettings",
    "amount_out_within_range",
    "apply_event",
    "compute_swap_step",
    "decode_event",
    "decode_v2_swap",
    "decode_v2_sync",
    "decode_v3_burn",
    "decode_v3_mint",
    "decode_v3_swap",
    "get_amount0_delta",
    "get_amount1_delta",
    "get_amount_in",
    "get_amount_out",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "optimal_two_pool_input",
    "spot_price",
    "sqrt_price_to_price",
    "two_pool_profit",
    "two_pool_profitable",
]
