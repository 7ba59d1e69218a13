"""The KPI service's use cases: intake, review, the catalogue, keys and locks.

HTTP routes and consumers call these and nothing else; each validates with the domain
rules, writes with its events in one unit of work and commits once. One module per use
case; the names below are what the routes use.
"""

from services.kpi.services.common import check_readable
from services.kpi.services.idempotency import Idempotency, StoredResponse
from services.kpi.services.indicators import (
    define_indicator,
    definition_of,
    indicator_definitions,
    list_indicators,
    project_kpis,
    redefine_indicator,
    set_indicator_thresholds,
    set_project_kpi,
)
from services.kpi.services.keys_and_locks import (
    PartnerKeys,
    grant_lock_exception,
    issue_api_key,
    list_api_keys,
    lock_period,
    programme_locks,
    revoke_api_key,
)
from services.kpi.services.review import (
    add_report_comment,
    freshness,
    report_comments,
    report_history,
    review_queue,
    review_report,
)
from services.kpi.services.submissions import (
    Accepted,
    IntakeRequest,
    IntakeRules,
    ItemOutcome,
    ReportGroups,
    RequestOutcome,
    parse_items,
    submit_many,
)

__all__ = [
    "Accepted",
    "Idempotency",
    "IntakeRequest",
    "IntakeRules",
    "ItemOutcome",
    "PartnerKeys",
    "ReportGroups",
    "RequestOutcome",
    "StoredResponse",
    "add_report_comment",
    "check_readable",
    "define_indicator",
    "definition_of",
    "freshness",
    "grant_lock_exception",
    "indicator_definitions",
    "issue_api_key",
    "list_api_keys",
    "list_indicators",
    "lock_period",
    "parse_items",
    "programme_locks",
    "project_kpis",
    "redefine_indicator",
    "report_comments",
    "report_history",
    "review_queue",
    "review_report",
    "revoke_api_key",
    "set_indicator_thresholds",
    "set_project_kpi",
    "submit_many",
]
