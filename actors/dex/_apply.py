"""How each pool event changes a pool's state."""

from __future__ import annotations

from actors.dex._events import PoolEvent, V2Swap, V2Sync, V3Burn, V3Mint, V3Swap
from actors.dex._exceptions import MalformedLog
from messages.market import PoolState, V2State, V3State

__all__ = ["apply_event"]


def apply_event(state: PoolState | None, event: PoolEvent) -> PoolState | None:
    """The pool's state after ``event``, given its state before (``None``: unknown).

    ``Sync`` and V3 ``Swap`` carry the whole new state. A V2 ``Swap`` changes nothing
    by itself (its ``Sync`` comes first). ``Mint`` and ``Burn`` change the in-range
    liquidity when the position's range holds the pool's tick, as
    ``UniswapV3Pool._modifyPosition`` does; on an unknown state they leave it unknown.

    Raises:
        MalformedLog: a V3 event on a V2 state or the reverse, or a ``Burn`` of more
            liquidity than is in range: the log does not belong to this pool.
    """
    match event:
        case V2Sync(reserve0=reserve0, reserve1=reserve1):
            if isinstance(state, V3State):
                raise MalformedLog("Sync event on a Uniswap V3 pool")
            return V2State(reserve0=reserve0, reserve1=reserve1)
        case V3Swap(sqrt_price_x96=sqrt_price_x96, liquidity=liquidity, tick=tick):
            if isinstance(state, V2State):
                raise MalformedLog("V3 Swap event on a Uniswap V2 pair")
            return V3State(sqrt_price_x96=sqrt_price_x96, liquidity=liquidity, tick=tick)
        case V3Mint() | V3Burn():
            return _modify_position(state, event)
        case V2Swap():
            if isinstance(state, V3State):
                raise MalformedLog("V2 Swap event on a Uniswap V3 pool")
            return state


def _modify_position(state: PoolState | None, event: V3Mint | V3Burn) -> PoolState | None:
    if state is None:
        return None
    if not isinstance(state, V3State):
        raise MalformedLog(f"{type(event).__name__} event on a Uniswap V2 pair")
    if not event.tick_lower <= state.tick < event.tick_upper or event.amount == 0:
        return state
    delta = event.amount if isinstance(event, V3Mint) else -event.amount
    liquidity = state.liquidity + delta
    if liquidity < 0:
        raise MalformedLog(f"Burn of {event.amount} exceeds in-range liquidity {state.liquidity}")
    return V3State(sqrt_price_x96=state.sqrt_price_x96, liquidity=liquidity, tick=state.tick)
