"""The funding service's use cases: rules, plans, grants, payments, budgets and the views.

HTTP routes and event handlers call these and nothing else; each checks the domain
rules, writes with its events in one unit of work and commits once. A refused request
changes nothing. One module per use case; the names below are what the routes use.
"""

from services.funding.services.budgets import budget_lines, set_budget
from services.funding.services.common import UnknownError, require_programme
from services.funding.services.efficiency import efficiency
from services.funding.services.ledgers import ledgers_of
from services.funding.services.money import (
    decide_grant,
    decommit,
    pay,
    project_money,
    settle,
)
from services.funding.services.plans import plan_history, set_plan
from services.funding.services.rules import (
    get_programme_funding,
    list_ceilings,
    list_priority_rates,
    set_ceiling,
    set_priority_rate,
    set_programme_funding,
)

__all__ = [
    "UnknownError",
    "budget_lines",
    "decide_grant",
    "decommit",
    "efficiency",
    "get_programme_funding",
    "ledgers_of",
    "list_ceilings",
    "list_priority_rates",
    "pay",
    "plan_history",
    "project_money",
    "require_programme",
    "set_budget",
    "set_ceiling",
    "set_plan",
    "set_priority_rate",
    "set_programme_funding",
    "settle",
]
