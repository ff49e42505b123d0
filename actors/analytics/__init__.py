"""Analytics: a price graph over every watched pool, arbitrage cycles, exact sizes, stats."""

from actors.analytics._analytics import MAX_HOPS_LIMIT as MAX_HOPS_LIMIT
from actors.analytics._analytics import Analytics as Analytics
from actors.analytics._analytics import AnalyticsSettings as AnalyticsSettings
from actors.analytics._graph import Cycle as Cycle
from actors.analytics._graph import Finding as Finding
from actors.analytics._graph import GasModel as GasModel
from actors.analytics._graph import PriceGraph as PriceGraph
from actors.analytics._graph import pair_of as pair_of
from actors.analytics._paths import POLISH_BUDGET as POLISH_BUDGET
from actors.analytics._paths import Leg as Leg
from actors.analytics._paths import Sized as Sized
from actors.analytics._paths import best_input as best_input
from actors.analytics._paths import leg_amount_out as leg_amount_out
from actors.analytics._paths import marginal_rate as marginal_rate
from actors.analytics._paths import optimal_v2_v2_input as optimal_v2_v2_input
from actors.analytics._paths import path_amount_out as path_amount_out
from actors.analytics._paths import path_curve as path_curve
from actors.analytics._paths import profitable_at_margin as profitable_at_margin
from actors.analytics._paths import real_optimum as real_optimum
from actors.analytics._paths import rounding_bound as rounding_bound
from actors.analytics._stats import RollingStats as RollingStats

__all__ = [
    "MAX_HOPS_LIMIT",
    "POLISH_BUDGET",
    "Analytics",
    "AnalyticsSettings",
    "Cycle",
    "Finding",
    "GasModel",
    "Leg",
    "PriceGraph",
    "RollingStats",
    "Sized",
    "best_input",
    "leg_amount_out",
    "marginal_rate",
    "optimal_v2_v2_input",
    "pair_of",
    "path_amount_out",
    "path_curve",
    "profitable_at_margin",
    "real_optimum",
    "rounding_bound",
]
