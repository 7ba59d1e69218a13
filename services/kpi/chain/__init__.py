"""Use cases of the results chain: outcome indicators, statistics, the logic model, reviews,
and the chain view per goal (input, outputs, outcomes, contributions).

HTTP routes and event handlers call these; the rules are in `domain.outcomes`. One module
per concern; the names below are what the routes, the seed and the consumers use.
"""

from services.kpi.chain.common import UnknownGoalError
from services.kpi.chain.logic_model import link, on_goal_money, review
from services.kpi.chain.outcomes import define_outcome, list_outcomes, record_measurements
from services.kpi.chain.statistics_files import parse_statistics
from services.kpi.chain.view import results_chain

__all__ = [
    "UnknownGoalError",
    "define_outcome",
    "link",
    "list_outcomes",
    "on_goal_money",
    "parse_statistics",
    "record_measurements",
    "results_chain",
    "review",
]
