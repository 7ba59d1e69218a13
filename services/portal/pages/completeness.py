"""The completeness page: per quarter, which projects have not reported which KPIs."""

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from services.portal.clients import Services
from services.portal.domain import completeness
from services.portal.domain.catalogue import Names
from services.portal.pages.common import optional, per_project, programmes, today


async def completeness_page(
    api: Services, language: str, programme_id: str, quarter: str
) -> dict[str, Any]:
    found, projects, rules, indicators = await asyncio.gather(
        programmes(api),
        api.get("projects", "/v1/projects", programme=programme_id, limit=500),
        optional(api.get("notifications", "/v1/rules"), []),
        optional(api.get("kpi", "/v1/indicators"), []),
    )
    projects = projects["data"]
    ids = [str(p["id"]) for p in projects]
    kpis, history = await asyncio.gather(
        per_project(api, ids, "/v1/projects/{}/kpis"),
        per_project(api, ids, "/v1/projects/{}/reports"),
    )
    reported = {
        (pid, str(r["indicator_code"]), str(r["period"]))
        for pid, reports in history.items()
        for r in reports
    }
    known = Names.of(language, indicators, projects)
    missing = completeness.missing_reports(
        projects, kpis, reported, known, today(), due_after_days(rules)
    )
    grouped = completeness.by_quarter(missing)
    chosen = quarter if quarter in grouped else next(iter(grouped), "")
    return {
        "programmes": found,
        "programme_id": programme_id,
        "quarters": [(q, len(items)) for q, items in grouped.items()],
        "quarter": chosen,
        "missing": grouped.get(chosen, []),
        "total": len(missing),
    }


def due_after_days(rules: Sequence[Mapping[str, Any]]) -> int:
    """The overdue rule's deadline (days after a period ends), as the notifications service
    applies it; 30 if it cannot be read."""
    for rule in rules:
        if rule.get("rule") == "report_overdue":
            return int(rule.get("params", {}).get("due_after_days", 30))
    return 30
