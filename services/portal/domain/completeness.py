"""Completeness, as DHIS2 users know it: per quarter, which projects have not reported
which of their KPIs, and whether that report is due (the quarter is over, the deadline not
yet) or overdue. The deadline is the notifications service's own rule (`due_after_days`
after the period's end), read from its settings, so the portal and the reminders agree.

A report counts as given when any version exists for the period, in any review state —
the same test the notifications service's overdue rule applies.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.portal.domain.catalogue import Names

REPORTING = ("approved", "running", "closed")  # projects that report (drafts do not)


@dataclass(frozen=True)
class Missing:
    project_id: str
    project_code: str
    project_name: str
    indicator_code: str
    indicator: str
    period: str
    due_on: date
    state: str  # due | overdue


def period_end(period: str) -> date:
    year, _, quarter = period.partition("-Q")
    if not quarter:
        return date(int(year), 12, 31)
    q = int(quarter)
    if q == 4:
        return date(int(year), 12, 31)
    return date(int(year), 3 * q + 1, 1) - timedelta(days=1)


def periods_of(start: date, end: date, frequency: str) -> list[str]:
    """The periods a KPI of this frequency is reported for, over the project's run."""
    if frequency == "yearly":
        return [str(y) for y in range(start.year, end.year + 1)]
    out, year, quarter = [], start.year, (start.month - 1) // 3 + 1
    while (year, quarter) <= (end.year, (end.month - 1) // 3 + 1):
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def missing_reports(
    projects: Iterable[Mapping[str, Any]],
    kpis: Mapping[str, Sequence[Mapping[str, Any]]],  # project id -> KPIs
    reported: set[tuple[str, str, str]],  # (project id, indicator, period), any version
    names: Names,
    today: date,
    due_after_days: int,
) -> list[Missing]:
    """Every period that is over and has no report, with its deadline and state."""
    found = []
    for project in projects:
        if project.get("status") not in REPORTING:
            continue
        project_id = str(project["id"])
        start = date.fromisoformat(str(project["start_date"]))
        end = date.fromisoformat(str(project["end_date"]))
        for kpi in kpis.get(project_id, []):
            code = str(kpi["indicator_code"])
            for period in periods_of(start, end, str(kpi.get("frequency", "quarterly"))):
                ended = period_end(period)
                if ended >= today or (project_id, code, period) in reported:
                    continue
                due_on = ended + timedelta(days=due_after_days)
                found.append(
                    Missing(
                        project_id=project_id,
                        project_code=str(project["code"]),
                        project_name=str(project["name"]),
                        indicator_code=code,
                        indicator=names.indicator(code),
                        period=period,
                        due_on=due_on,
                        state="due" if today <= due_on else "overdue",
                    )
                )
    return sorted(found, key=lambda m: (m.period, m.project_code, m.indicator))


def quarter_of(period: str) -> str:
    """The quarter a period is listed under: a year's report under its Q4."""
    return period if "-Q" in period else f"{period}-Q4"


def by_quarter(missing: Iterable[Missing]) -> dict[str, list[Missing]]:
    out: dict[str, list[Missing]] = {}
    for m in missing:
        out.setdefault(quarter_of(m.period), []).append(m)
    return dict(sorted(out.items(), reverse=True))
