"""The rules the clock drives: quarterly reports due soon and overdue, and the coming EU
cut-off with reports still unapproved. The scheduler ticks them (`scheduler.tick`); each
occurrence is raised once, however often it ticks.
"""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.notifications.domain.rules import (
    EU_CUTOFF_APPROACHING,
    REPORT_DUE,
    REPORT_OVERDUE,
    Occurrence,
)


@dataclass(frozen=True)
class ReportingKpi:
    project_id: uuid.UUID
    project_code: str
    indicator_code: str
    start: date
    end: date


def quarter_end(year: int, quarter: int) -> date:
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def quarters_between(start: date, end: date) -> list[tuple[int, int]]:
    """Every quarter from the one holding `start` to the one holding `end`."""
    out, year, quarter = [], start.year, (start.month - 1) // 3 + 1
    last = (end.year, (end.month - 1) // 3 + 1)
    while (year, quarter) <= last:
        out.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def period_of(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def due_reminders(
    kpis: Iterable[ReportingKpi],
    reported: set[tuple[uuid.UUID, str, str]],
    today: date,
    due_params: Mapping[str, Any],
    overdue_params: Mapping[str, Any],
) -> list[Occurrence]:
    """Quarters whose report falls due soon, and per KPI the quarters overdue; a quarter
    reported in any version is not missing.

    Overdue is judged against the KPI's own reporting period (its project's start to end),
    not a look-back from today: a programme still being closed years after its end shows
    every report it never received."""
    found: list[Occurrence] = []
    overdue_after = timedelta(days=int(overdue_params["due_after_days"]))
    for kpi in kpis:
        quarters = quarters_between(kpi.start, kpi.end)
        missing = [
            q
            for q in quarters
            if (kpi.project_id, kpi.indicator_code, period_of(*q)) not in reported
        ]
        fallen_due = [q for q in quarters if quarter_end(*q) + overdue_after < today]
        past = set(fallen_due)
        found += _due_soon(kpi, [q for q in missing if q not in past], today, due_params)
        late = [q for q in missing if q in past]
        if late:
            found.append(_overdue(kpi, late, fallen_due[-1], overdue_after))
    return found


def _due_soon(
    kpi: ReportingKpi, missing: list[tuple[int, int]], today: date, params: Mapping[str, Any]
) -> list[Occurrence]:
    """One reminder per quarter over whose report is due within `days_before` days."""
    due_after = timedelta(days=int(params["due_after_days"]))
    days_before = timedelta(days=int(params["days_before"]))
    found = []
    for year, quarter in missing:
        period, due = period_of(year, quarter), quarter_end(year, quarter) + due_after
        if quarter_end(year, quarter) < today and due - days_before <= today <= due:
            what = f"{kpi.project_code} {kpi.indicator_code} {period}"
            found.append(
                Occurrence(
                    REPORT_DUE,
                    f"{kpi.project_id}:{kpi.indicator_code}:{period}",
                    {"en": f"Report due: {what}", "nl": f"Rapportage verwacht: {what}"},
                    {
                        "en": f"Please report {what} by {due}.",
                        "nl": f"Lever de rapportage over {what} uiterlijk {due} aan.",
                    },
                    kpi.project_id,
                    {"period": period, "indicator": kpi.indicator_code, "due": str(due)},
                )
            )
    return found


def _overdue(
    kpi: ReportingKpi,
    late: list[tuple[int, int]],
    as_of: tuple[int, int],
    overdue_after: timedelta,
) -> Occurrence:
    """The KPI's overdue quarters in one notification, raised once per quarter that falls
    due (`as_of`, the latest): a new quarter missed is news again, old ones are repeated in
    it rather than each a notification of its own."""
    latest = late[-1]
    due = quarter_end(*latest) + overdue_after
    what = f"{kpi.project_code} {kpi.indicator_code}"
    listed = {"en": quarter_ranges(late, "to"), "nl": quarter_ranges(late, "t/m")}
    if len(late) == 1:
        title = {
            "en": f"Report overdue: {what} {listed['en']}",
            "nl": f"Rapportage te laat: {what} {listed['nl']}",
        }
    else:
        title = {
            "en": f"Reports overdue: {what}, {len(late)} quarters",
            "nl": f"Rapportages te laat: {what}, {len(late)} kwartalen",
        }
    return Occurrence(
        REPORT_OVERDUE,
        f"{kpi.project_id}:{kpi.indicator_code}:{period_of(*as_of)}",
        title,
        {
            "en": f"No report yet for {what} {listed['en']}; the latest was due on {due}.",
            "nl": f"Nog geen rapportage over {what} {listed['nl']}; de laatste moest uiterlijk "
            f"{due} binnen zijn.",
        },
        kpi.project_id,
        {
            "period": period_of(*latest),
            "periods": [period_of(*q) for q in late],
            "indicator": kpi.indicator_code,
            "due": str(due),
        },
    )


def quarter_ranges(quarters: list[tuple[int, int]], to: str) -> str:
    """Quarters in order, consecutive ones as a range: "2016-Q1 to 2017-Q2, 2018-Q4" (the
    word between them given: "to", "t/m")."""
    runs: list[list[tuple[int, int]]] = []
    for q in quarters:
        if runs and _next_quarter(runs[-1][-1]) == q:
            runs[-1].append(q)
        else:
            runs.append([q])
    return ", ".join(
        period_of(*run[0]) if len(run) == 1 else f"{period_of(*run[0])} {to} {period_of(*run[-1])}"
        for run in runs
    )


def _next_quarter(q: tuple[int, int]) -> tuple[int, int]:
    year, quarter = q
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


CUTOFFS = ((1, 31), (7, 31))


def next_cutoff(today: date) -> date:
    candidates = [date(y, m, d) for y in (today.year, today.year + 1) for m, d in CUTOFFS]
    return min(c for c in candidates if c >= today)


def cutoff_warnings(
    unapproved: Mapping[uuid.UUID, tuple[str, list[str]]], today: date, params: Mapping[str, Any]
) -> list[Occurrence]:
    """Projects with unapproved reports for periods ending before the coming cut-off."""
    cutoff = next_cutoff(today)
    if (cutoff - today).days > int(params["days_before"]):
        return []
    found = []
    for project_id, (code, periods) in sorted(unapproved.items(), key=lambda i: i[1][0]):
        listed = ", ".join(sorted(periods))
        found.append(
            Occurrence(
                EU_CUTOFF_APPROACHING,
                f"{project_id}:{cutoff}",
                {
                    "en": f"EU cut-off {cutoff}: {code} has unapproved reports",
                    "nl": f"EU-peildatum {cutoff}: {code} heeft niet-goedgekeurde rapportages",
                },
                {
                    "en": f"Approve or return the reports of {code} for {listed} before {cutoff}.",
                    "nl": f"Keur de rapportages van {code} over {listed} goed of stuur ze "
                    f"terug vóór {cutoff}.",
                },
                project_id,
                {"cutoff": str(cutoff), "periods": sorted(periods)},
            )
        )
    return found
