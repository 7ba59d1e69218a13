"""The review queue's page: every submitted report with the context to decide on it,
filtered, sorted and paged, with its thread."""

import asyncio
from collections.abc import Sequence
from typing import Any

from services.portal.clients import Services
from services.portal.domain import locks as period_locks
from services.portal.domain import review as queue
from services.portal.pages.common import (
    all_projects,
    names,
    optional,
    per_project,
    programmes,
    today,
)

MAX_QUEUE = 5000  # reports read for the review queue (500 a call)


async def review_page(
    api: Services, language: str, filters: queue.Filters, programme: str = ""
) -> dict[str, Any]:
    """The queue with each report's context, filtered, sorted and paged; and the chosen
    programme's locks and exceptions with what the lock forms offer."""
    reports, projects, found = await asyncio.gather(_queue(api), all_projects(api), programmes(api))
    locks = await _locks(api, found, projects, programme)
    known = await names(api, language, projects=projects, organisations=True, trees_of=found)
    involved = sorted({str(r["project_id"]) for r in reports})
    history, kpis, progress = await asyncio.gather(
        per_project(api, involved, "/v1/projects/{}/reports"),
        per_project(api, involved, "/v1/projects/{}/kpis"),
        per_project(api, involved, "/v1/projects/{}/progress"),
    )
    rows = queue.review_rows(reports, history, kpis, progress, known)
    page = queue.select(rows, filters, known)
    return {
        "page": page,
        # every version's thread: a resubmitted report keeps the return that led to it
        "comments": await comments_of(api, [v.id for r in page.rows for v in r.thread if v.id]),
        "filters": filters,
        "names": known,
        "programmes": found,
        "projects": projects,
        "lines": [g for g in known.goals.values() if not g.get("parent_id")],
        "partners": sorted(
            {(r.partner_id, r.partner) for r in rows if r.partner_id}, key=lambda p: p[1]
        ),
        "periods": sorted({r.period for r in rows}, reverse=True),
        "indicators": sorted({(r.indicator_code, r.indicator) for r in rows}, key=lambda i: i[1]),
        "flagged": sum(1 for r in rows if r.flags),
        "waiting": len(rows),
        "locks": locks,
    }


async def _locks(
    api: Services,
    found: Sequence[dict[str, Any]],
    projects: Sequence[dict[str, Any]],
    wanted: str,
) -> period_locks.Locks | None:
    """The chosen programme's locks (the list shows none, and says so, when the KPI
    service cannot answer); None when there is no programme at all."""
    programme = period_locks.chosen_programme(found, wanted, today())
    if programme is None:
        return None
    answer = await optional(api.get("kpi", f"/v1/programmes/{programme['id']}/locks"), None)
    return period_locks.locks_of(programme, answer, projects)


async def comments_of(api: Services, report_ids: Sequence[str]) -> dict[str, list[Any] | None]:
    """Each report version's thread between reviewer and partner (returns included), oldest
    first; None where the KPI service keeps no thread (yet), so the page offers none."""
    answers = await asyncio.gather(
        *(optional(api.get("kpi", f"/v1/reports/{i}/comments"), None) for i in report_ids)
    )
    return {
        i: sorted(a, key=lambda c: str(c.get("created_at", ""))) if isinstance(a, list) else None
        for i, a in zip(report_ids, answers, strict=True)
    }


async def _queue(api: Services) -> list[dict[str, Any]]:
    """Every submitted report (the KPI service pages by 500)."""
    out: list[dict[str, Any]] = []
    while len(out) < MAX_QUEUE:
        page = await api.get("kpi", "/v1/reports", state="submitted", limit=500, offset=len(out))
        out += page["data"]
        if not page["data"] or len(out) >= page["count"]:
            break
    return out
