"""The executor: acts on arbitrage opportunities (observe, simulate or send) via our contract."""

from actors.executor._contract import EXECUTE_SIGNATURE as EXECUTE_SIGNATURE
from actors.executor._contract import MAX_ALLOWANCE as MAX_ALLOWANCE
from actors.executor._contract import ContractHop as ContractHop
from actors.executor._contract import allowance_calldata as allowance_calldata
from actors.executor._contract import approve_calldata as approve_calldata
from actors.executor._contract import decode_uint as decode_uint
from actors.executor._contract import execute_calldata as execute_calldata
from actors.executor._contract import execution_gas as execution_gas
from actors.executor._contract import fee_calldata as fee_calldata
from actors.executor._contract import token_flow as token_flow
from actors.executor._executor import MODES as MODES
from actors.executor._executor import Executor as Executor
from actors.executor._executor import ExecutorSettings as ExecutorSettings

__all__ = [
    "EXECUTE_SIGNATURE",
    "MAX_ALLOWANCE",
    "MODES",
    "ContractHop",
    "Executor",
    "ExecutorSettings",
    "allowance_calldata",
    "approve_calldata",
    "decode_uint",
    "execute_calldata",
    "execution_gas",
    "fee_calldata",
    "token_flow",
]
