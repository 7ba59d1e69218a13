"""The review queue with a basis for each decision: what a row shows next to the submitted
value (target, total to this period with this value, the previous period, the previous
version and its change, the partner's comment, who sent it and when, plausibility flags),
and the queue's filters, sorting and pages. Pure functions over the services' answers.

Nothing here is a total of its own: the total to this period is the KPI service's own
per-quarter series of the project (current values, so with this one) up to the report's
period, read the way `views.cumulative` reads a series for the charts; the flags are the
ones the KPI service put on the report.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from services.portal.domain import views
from services.portal.domain.catalogue import Names

PAGE_SIZE = 25
SORTS = ("oldest", "newest", "project", "indicator", "period", "flagged")


@dataclass(frozen=True)
class Filters:
    line: str = ""
    project: str = ""
    partner: str = ""
    period: str = ""
    indicator: str = ""
    flagged: bool = False
    sort: str = "oldest"
    page: int = 1

    def query(self, **changes: Any) -> str:
        """The filters as a query string (with some changed): links keep the user's place."""
        return "&".join(f"{k}={_quote(v)}" for k, v in self.pairs(**changes))

    def pairs(self, **changes: Any) -> list[tuple[str, str]]:
        """The filters set (not at their defaults), as names and values: also the hidden
        fields of another form on the page that should keep them."""
        values = {**self.__dict__, **changes}
        return [
            (k, "1" if v is True else str(v))
            for k, v in values.items()
            if v not in ("", False, None)
            and not (k == "sort" and v == "oldest")
            and not (k == "page" and v == 1)
        ]


def _quote(value: str) -> str:
    return quote(value, safe="")


@dataclass(frozen=True)
class Version:
    id: str  # the version's report id: its own thread of comments hangs on it
    version: int
    value: Decimal | None
    state: str
    comment: str | None
    revision_reason: str | None
    review_reason: str | None
    submitted_by: str
    submitted_at: str
    reviewed_by: str | None
    reviewed_at: str | None


@dataclass(frozen=True)
class ReviewRow:
    id: str
    project_id: str
    project_code: str
    project_name: str
    line_id: str | None
    partner_id: str | None
    partner: str
    indicator_code: str
    indicator: str
    unit: str
    period: str
    value: Decimal | None
    target: Decimal | None
    target_is_period: bool
    running_total: Decimal | None
    previous_period: Decimal | None
    previous_version: Decimal | None
    change: Decimal | None
    comment: str | None
    submitted_by: str
    submitted_at: str
    flags: list[str] = field(default_factory=list)
    thread: list[Version] = field(default_factory=list)


Cell = tuple[str, str, str]  # indicator, period, dimension key


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def version_of(r: Mapping[str, Any]) -> Version:
    """A report version as the thread and the indicator periods show it."""
    return Version(
        id=str(r.get("id") or ""),
        version=int(r["version"]),
        value=_decimal(r.get("value")),
        state=str(r["state"]),
        comment=r.get("comment"),
        revision_reason=r.get("revision_reason"),
        review_reason=r.get("review_reason"),
        submitted_by=str(r.get("submitted_by") or ""),
        submitted_at=str(r.get("submitted_at") or ""),
        reviewed_by=r.get("reviewed_by"),
        reviewed_at=r.get("reviewed_at"),
    )


def previous_period(period: str) -> str | None:
    """2024-Q1 -> 2023-Q4; 2024 -> 2023; anything else: none."""
    year, _, quarter = period.partition("-Q")
    if not year.isdigit():
        return None
    if not quarter:
        return str(int(year) - 1)
    if not quarter.isdigit() or not 1 <= int(quarter) <= 4:
        return None
    return f"{int(year) - 1}-Q4" if quarter == "1" else f"{year}-Q{int(quarter) - 1}"


def _cell(r: Mapping[str, Any]) -> Cell:
    return (str(r["indicator_code"]), str(r["period"]), str(r.get("dimension_key") or ""))


def _counted(versions: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The version of a cell that counts now: the latest one not returned."""
    live = [v for v in versions if v["state"] != "returned"]
    return max(live, key=lambda v: v["version"]) if live else None


def running_total(progress: Mapping[str, Any] | None, period: str) -> Decimal | None:
    """The project's value of the indicator to this period, as the KPI service counts it
    per quarter (a flow's quarters added up, a stock's or ratio's value of the period)."""
    if progress is None or "-Q" not in period:
        return None
    series = {
        s["period"]: Decimal(str(s["value"]))
        for s in progress.get("series", [])
        if s.get("value") is not None and "-Q" in s["period"]
    }
    periods = sorted({*series, period})
    upto = [p for p in periods if p <= period]
    if not series:
        return None
    values = dict(views.cumulative(series, upto, str(progress.get("kind", "flow"))))
    return values.get(period)


def review_rows(
    queue: Iterable[Mapping[str, Any]],
    history: Mapping[str, Sequence[Mapping[str, Any]]],  # project id -> every version
    kpis: Mapping[str, Sequence[Mapping[str, Any]]],  # project id -> its KPIs
    progress: Mapping[str, Sequence[Mapping[str, Any]]],  # project id -> its progress
    names: Names,
) -> list[ReviewRow]:
    """Each submitted report with what a reviewer needs beside it."""
    cells_of: dict[str, dict[Cell, list[Mapping[str, Any]]]] = {}
    rows = []
    for r in queue:
        project_id = str(r["project_id"])
        if project_id not in cells_of:  # a project's versions by cell, sorted out once
            cells_of[project_id] = _cells(history.get(project_id, []))
        indicator = str(r["indicator_code"])
        kpi = _of(kpis.get(project_id, []), indicator)
        line = _of(progress.get(project_id, []), indicator)
        rows.append(_row(r, cells_of[project_id], kpi, line, names))
    return rows


def _cells(versions: Iterable[Mapping[str, Any]]) -> dict[Cell, list[Mapping[str, Any]]]:
    cells: dict[Cell, list[Mapping[str, Any]]] = {}
    for v in versions:
        cells.setdefault(_cell(v), []).append(v)
    return cells


def _of(items: Sequence[Mapping[str, Any]], indicator: str) -> Mapping[str, Any] | None:
    """The item (a KPI, a progress line) of the indicator."""
    return next((i for i in items if i["indicator_code"] == indicator), None)


def _row(
    r: Mapping[str, Any],
    cells: Mapping[Cell, list[Mapping[str, Any]]],
    kpi: Mapping[str, Any] | None,
    line: Mapping[str, Any] | None,
    names: Names,
) -> ReviewRow:
    project_id = str(r["project_id"])
    indicator, period, dimension = _cell(r)
    versions = sorted(cells.get((indicator, period, dimension), [r]), key=lambda v: v["version"])
    value, prior = _decimal(r.get("value")), _prior(versions, int(r["version"]))
    target, target_is_period = _target(kpi, period)
    project = names.projects.get(project_id, {})
    partner_id, partner = _partner(r, project, names)
    return ReviewRow(
        id=str(r["id"]),
        project_id=project_id,
        project_code=names.project(project_id),
        project_name=str(project.get("name", "")),
        line_id=_line(project, names),
        partner_id=partner_id,
        partner=partner,
        indicator_code=indicator,
        indicator=names.indicator(indicator),
        unit=names.unit(indicator),
        period=period,
        value=value,
        target=target,
        target_is_period=target_is_period,
        running_total=running_total(line, period),
        previous_period=_previous_period_value(cells, (indicator, period, dimension)),
        previous_version=prior,
        change=_change(value, prior),
        comment=r.get("comment"),
        submitted_by=str(r.get("submitted_by") or ""),
        submitted_at=str(r.get("submitted_at") or ""),
        flags=list(r.get("flags") or []),
        thread=[version_of(v) for v in versions],
    )


def _prior(versions: Sequence[Mapping[str, Any]], version: int) -> Decimal | None:
    """The value of the version before this one (None for a first version)."""
    earlier = [v for v in versions if v["version"] < version]
    return _decimal(earlier[-1].get("value")) if earlier else None


def _change(value: Decimal | None, prior: Decimal | None) -> Decimal | None:
    return value - prior if value is not None and prior is not None else None


def _target(kpi: Mapping[str, Any] | None, period: str) -> tuple[Decimal | None, bool]:
    """The period's own target when the KPI has one, else its end target; and which."""
    period_target = (kpi or {}).get("period_targets", {}).get(period)
    if period_target is not None:
        return _decimal(period_target), True
    return _decimal((kpi or {}).get("target_value")), False


def _partner(
    r: Mapping[str, Any], project: Mapping[str, Any], names: Names
) -> tuple[str | None, str]:
    """Who reported: the organisation of the report, else the project's lead."""
    partner_id = str(r.get("organisation_id") or project.get("lead_organisation_id") or "")
    if not partner_id:
        return None, "\u2013"
    return partner_id, names.organisation(partner_id)


def _previous_period_value(
    cells: Mapping[Cell, list[Mapping[str, Any]]], cell: Cell
) -> Decimal | None:
    """The counted value of the same cell in the period before."""
    indicator, period, dimension = cell
    before = previous_period(period)
    previous = _counted(cells.get((indicator, before, dimension), [])) if before else None
    return _decimal(previous.get("value")) if previous else None


def _line(project: Mapping[str, Any], names: Names) -> str | None:
    for goal_id in project.get("goal_ids", []):
        line = names.line_of(goal_id)
        if line:
            return line
    return None


def lines_of(project: Mapping[str, Any], names: Names) -> set[str]:
    """Every programme line a project serves (through any of its goals)."""
    return {line for g in project.get("goal_ids", []) if (line := names.line_of(g))}


def matches(row: ReviewRow, f: Filters, names: Names) -> bool:
    project = names.projects.get(row.project_id, {})
    return (
        (not f.line or f.line in lines_of(project, names))
        and (not f.project or f.project == row.project_id)
        and (not f.partner or f.partner == row.partner_id)
        and (not f.period or f.period == row.period)
        and (not f.indicator or f.indicator == row.indicator_code)
        and (not f.flagged or bool(row.flags))
    )


def sort_key(sort: str) -> Any:
    keys: dict[str, Any] = {
        "oldest": lambda r: (r.submitted_at, r.project_code),
        "newest": lambda r: (r.submitted_at, r.project_code),  # reversed by `select`
        "project": lambda r: (r.project_code, r.indicator, r.period),
        "indicator": lambda r: (r.indicator, r.project_code, r.period),
        "period": lambda r: (r.period, r.project_code, r.indicator),
        "flagged": lambda r: (not r.flags, r.submitted_at),
    }
    return keys.get(sort, keys["oldest"])


@dataclass(frozen=True)
class QueuePage:
    rows: list[ReviewRow]
    total: int  # after the filters
    page: int
    pages: int


def select(rows: Sequence[ReviewRow], f: Filters, names: Names, size: int = PAGE_SIZE) -> QueuePage:
    """The rows the filters let through, sorted, and the page asked for (the last one when
    it asks past the end: after deciding the last rows of a page, the user stays near)."""
    kept = sorted(
        (r for r in rows if matches(r, f, names)),
        key=sort_key(f.sort),
        reverse=f.sort == "newest",
    )
    pages = max((len(kept) + size - 1) // size, 1)
    page = min(max(f.page, 1), pages)
    return QueuePage(kept[(page - 1) * size : page * size], len(kept), page, pages)
