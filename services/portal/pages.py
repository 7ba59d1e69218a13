"""Each page's data, gathered from the services as the signed-in user and shaped by the
view models in `domain`. The services compute every figure; this module only asks, in
parallel where it can, and puts the answers side by side."""

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from services.portal.clients import ServiceError, Services
from services.portal.domain import completeness, views
from services.portal.domain import review as queue
from services.portal.domain.catalogue import Names, flatten
from services.portal.domain.charts import Chart, Series, line_chart
from services.portal.domain.formatting import AMSTERDAM, number
from services.portal.i18n import translate

T = TypeVar("T")
MAX_QUEUE = 5000  # reports read for the review queue (500 a call)


async def optional(call: Awaitable[T], default: T) -> T:
    """A part of a page that may be missing (a service down or not yet knowing the thing)."""
    try:
        return await call
    except ServiceError:
        return default


def today() -> date:
    return datetime.now(AMSTERDAM).date()


# --- names ----------------------------------------------------------------------------------


async def programmes(api: Services) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await api.get("projects", "/v1/programmes")
    return sorted(found, key=lambda p: (p["period_start"], p["name"]))


async def all_projects(api: Services) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await api.get("projects", "/v1/projects", limit=500))["data"]
    return sorted(found, key=lambda p: p["code"])


async def names(
    api: Services,
    language: str,
    *,
    projects: Sequence[Mapping[str, Any]] = (),
    organisations: bool = False,
    trees_of: Sequence[Mapping[str, Any]] = (),
) -> Names:
    """The names a page needs: the indicator catalogue always; organisations and goal trees
    when asked."""
    indicators, orgs, trees = await asyncio.gather(
        optional(api.get("kpi", "/v1/indicators"), []),
        optional(api.get("projects", "/v1/organisations", limit=500), {"data": []})
        if organisations
        else _nothing({"data": []}),
        asyncio.gather(*(api.get("projects", f"/v1/programmes/{p['id']}/goals") for p in trees_of)),
    )
    return Names.of(
        language, indicators, projects, orgs["data"], [node for tree in trees for node in tree]
    )


async def _nothing(value: T) -> T:
    return value


# --- the overview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What the overview and goal pages show: a period range, a line, a fund, approved only."""

    period_from: str = ""
    period_to: str = ""
    line: str = ""
    fund: str = ""
    approved_only: bool = False

    def params(self) -> dict[str, str]:
        out = {"from": self.period_from, "to": self.period_to}
        return {k: v for k, v in out.items() if v}

    def query(self) -> str:
        parts = {
            "from": self.period_from,
            "to": self.period_to,
            "line": self.line,
            "fund": self.fund,
            "approved": "1" if self.approved_only else "",
        }
        return "&".join(f"{k}={v}" for k, v in parts.items() if v)


@dataclass
class LineView:
    goal: dict[str, Any]
    money: list[dict[str, Any]]
    outputs: list[views.OutputRow]
    chart: Chart | None
    children: list[dict[str, Any]] = field(default_factory=list)


def clip(periods: list[str], scope: Scope) -> list[str]:
    """The programme's quarters within the chosen range (a year means its four quarters)."""
    first = scope.period_from if "-Q" in scope.period_from else f"{scope.period_from}-Q1"
    last = scope.period_to if "-Q" in scope.period_to else f"{scope.period_to}-Q4"
    return [
        p
        for p in periods
        if (not scope.period_from or p >= first) and (not scope.period_to or p <= last)
    ]


async def overview(api: Services, programme_id: str, language: str, scope: Scope) -> dict[str, Any]:
    """Per programme line (or the one chosen): money by fund, outputs against targets with
    each project's own progress, a chart of the headline output."""
    programme, tree, budgets, freshness, indicators = await asyncio.gather(
        api.get("projects", f"/v1/programmes/{programme_id}"),
        api.get("projects", f"/v1/programmes/{programme_id}/goals"),
        optional(api.get("funding", f"/v1/programmes/{programme_id}/budgets"), []),
        optional(api.get("kpi", "/v1/freshness"), {}),
        optional(api.get("kpi", "/v1/indicators"), []),
    )
    known = Names.of(language, indicators, trees=tree)
    periods = views.quarters(programme["period_start"], programme["period_end"])
    shown = [node for node in tree if not scope.line or node["id"] == scope.line]
    lines = await asyncio.gather(
        *(_line(api, node, budgets, periods, known, scope) for node in shown)
    )
    return {
        "programme": programme,
        "tree": tree,
        "lines": lines,
        "freshness": freshness,
        "periods": periods,
        "funds": sorted({b["fund"] for b in budgets}),
        "scope": scope,
    }


async def _line(
    api: Services,
    node: dict[str, Any],
    budgets: list[dict[str, Any]],
    periods: list[str],
    known: Names,
    scope: Scope,
) -> LineView:
    chain, current, approved = await asyncio.gather(
        api.get("kpi", f"/v1/goals/{node['id']}/results-chain"),
        api.get("kpi", "/v1/aggregates", goal=node["id"], **scope.params()),
        api.get("kpi", "/v1/aggregates", goal=node["id"], approved_only="true", **scope.params()),
    )
    rows = views.output_rows(current, approved, chain["progress"], known.indicator)
    return LineView(
        goal=node,
        money=[
            b
            for b in budgets
            if b["goal_id"] == node["id"] and (not scope.fund or b["fund"] == scope.fund)
        ],
        outputs=rows,
        chart=goal_chart(current, approved, views.headline(rows), periods, known, scope),
        children=node.get("children", []),
    )


def goal_chart(
    current: Sequence[Mapping[str, Any]],
    approved: Sequence[Mapping[str, Any]],
    row: views.OutputRow | None,
    periods: list[str],
    known: Names,
    scope: Scope,
) -> Chart | None:
    """The headline output per quarter: submitted (all current values) and approved to
    date, against the straight trajectory to the summed project targets."""
    if row is None:
        return None
    language = known.language
    shown = clip(periods, scope) or periods
    series = []
    for aggregates, css, word in (
        ((), "", ""),
        (current, "realised", "submitted_value"),
        (approved, "approved", "approved"),
    ):
        if not css or (scope.approved_only and css == "realised"):
            continue
        aggregate = next((a for a in aggregates if a["indicator_code"] == row.indicator), None)
        values = views.quarterly(aggregate) if aggregate else {}
        points = dict(views.cumulative(values, periods, row.kind))
        series.append(Series(translate(word, language), [(p, points.get(p)) for p in shown], css))
    if row.target:
        path = dict(views.trajectory(periods, row.target))
        label = translate("target_trajectory", language)
        series.append(Series(label, [(p, path[p]) for p in shown], "target"))
    return line_chart(
        row.name or row.indicator,
        shown,
        series,
        lambda v: number(v, language),
        x_label=translate("quarter", language),
        y_label=known.unit(row.indicator),
    )


# --- a goal ---------------------------------------------------------------------------------


async def goal_page(api: Services, goal_id: str, language: str, scope: Scope) -> dict[str, Any]:
    years = _years(scope)
    chain, current, approved, projects, indicators = await asyncio.gather(
        api.get("kpi", f"/v1/goals/{goal_id}/results-chain", **years),
        api.get("kpi", "/v1/aggregates", goal=goal_id, **scope.params()),
        api.get("kpi", "/v1/aggregates", goal=goal_id, approved_only="true", **scope.params()),
        api.get("projects", "/v1/projects", goal=goal_id, limit=500),
        optional(api.get("kpi", "/v1/indicators"), []),
    )
    projects = projects["data"]
    programme: dict[str, Any] | None = None
    tree: list[dict[str, Any]] = []
    programme_id = (
        str(projects[0]["programme_id"]) if projects else await _programme_of(api, goal_id)
    )
    if programme_id:
        programme, tree = await asyncio.gather(
            api.get("projects", f"/v1/programmes/{programme_id}"),
            api.get("projects", f"/v1/programmes/{programme_id}/goals"),
        )
    known = Names.of(language, indicators, projects, trees=tree)
    rows = views.output_rows(current, approved, chain["progress"], known.indicator)
    chart = None
    if programme is not None:
        periods = views.quarters(programme["period_start"], programme["period_end"])
        chart = goal_chart(current, approved, views.headline(rows), periods, known, scope)
    by_code = {p["code"]: p for p in projects}
    outcome_names = {o["code"]: o["name"] for o in chain["outcomes"]}
    return {
        "chain": chain,
        "outputs": rows,
        "projects": projects,
        "project_by_code": by_code,
        "chart": chart,
        "programme": programme,
        "path": known.goal_path(goal_id),
        "outcome_names": outcome_names,
        "scope": scope,
        "input": [m for m in chain["input"] if not scope.fund or m["fund"] == scope.fund],
        "funds": sorted({m["fund"] for m in chain["input"]}),
        "names": known,
    }


async def _programme_of(api: Services, goal_id: str) -> str | None:
    """The programme whose goal tree holds the goal (for a goal no project serves yet)."""
    for programme in await programmes(api):
        tree = await api.get("projects", f"/v1/programmes/{programme['id']}/goals")
        if any(str(node["id"]) == goal_id for node in flatten(tree)):
            return str(programme["id"])
    return None


def _years(scope: Scope) -> dict[str, int]:
    """The results chain takes whole years: those of the chosen range."""
    if scope.period_from and scope.period_to:
        return {"first_year": int(scope.period_from[:4]), "last_year": int(scope.period_to[:4])}
    return {}


# --- a project ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodLine:
    """One KPI in one period (Akvo RSR's indicator period): its target, the value reported
    (the current version), the approved one, the total to date, the state, its versions."""

    period: str
    target: Decimal | None
    reported: Decimal | None
    approved: Decimal | None
    cumulative: Decimal | None
    state: str | None
    flags: list[str]
    versions: list[queue.Version]


async def project_page(api: Services, project_id: str, language: str) -> dict[str, Any]:
    project = await api.get("projects", f"/v1/projects/{project_id}")
    (
        progress,
        reports,
        kpis,
        money,
        feed,
        efficiency,
        indicators,
        programme,
        tree,
    ) = await asyncio.gather(
        api.get("kpi", f"/v1/projects/{project_id}/progress"),
        api.get("kpi", f"/v1/projects/{project_id}/reports"),
        api.get("kpi", f"/v1/projects/{project_id}/kpis"),
        optional(api.get("funding", f"/v1/projects/{project_id}/funding"), None),
        optional(api.get("notifications", "/v1/feed", language=language, limit=200), []),
        optional(api.get("funding", f"/v1/programmes/{project['programme_id']}/efficiency"), []),
        optional(api.get("kpi", "/v1/indicators"), []),
        api.get("projects", f"/v1/programmes/{project['programme_id']}"),
        api.get("projects", f"/v1/programmes/{project['programme_id']}/goals"),
    )
    partners = await asyncio.gather(
        *(
            optional(api.get("projects", f"/v1/organisations/{m['organisation_id']}"), {})
            for m in project["members"]
        )
    )
    known = Names.of(language, indicators, [project], trees=tree)
    periods = _project_quarters(project)
    return {
        "project": project,
        "programme": programme,
        "paths": [known.goal_path(g) for g in project["goal_ids"]],
        "partners": [
            {"name": p.get("name", "\u2013"), "kind": p.get("kind"), "role": m["role"]}
            for p, m in zip(partners, project["members"], strict=True)
        ],
        "progress": progress,
        "names": known,
        "charts": {
            k["indicator_code"]: chart
            for k in progress
            if (chart := project_chart(k, reports, periods, known)) is not None
        },
        "periods": {k["indicator_code"]: indicator_periods(k, reports, kpis) for k in progress},
        "reports": sorted(reports, key=lambda r: (r["indicator_code"], r["period"], -r["version"])),
        "money": money,
        "efficiency": next(
            (e for e in efficiency if e["scope"] == "project" and e["id"] == project_id), None
        ),
        "notifications": [n for n in feed if n.get("project_id") == project_id],
    }


def _project_quarters(project: Mapping[str, Any]) -> list[str]:
    start = date.fromisoformat(str(project["start_date"]))
    end = date.fromisoformat(str(project["end_date"]))
    return completeness.periods_of(start, end, "quarterly")


def approved_values(reports: Sequence[Mapping[str, Any]], indicator: str) -> dict[str, Decimal]:
    """Per period, the value of the cell's approved version (the latest one approved), as
    the partner reported it: no sum of the portal's own."""
    out: dict[str, tuple[int, Decimal]] = {}
    for r in reports:
        if (
            r["indicator_code"] == indicator
            and r["state"] == "approved"
            and not r.get("dimension_key")
            and r.get("value") is not None
            and r["version"] > out.get(r["period"], (0, Decimal(0)))[0]
        ):
            out[r["period"]] = (r["version"], Decimal(str(r["value"])))
    return {p: v for p, (_, v) in out.items()}


def project_chart(
    kpi: Mapping[str, Any],
    reports: Sequence[Mapping[str, Any]],
    periods: list[str],
    known: Names,
) -> Chart | None:
    """A KPI over the project's quarters: submitted and approved to date, and the straight
    path to its end target."""
    if kpi["kind"] == "qualitative" or not kpi["series"]:
        return None
    language = known.language
    current = {
        s["period"]: Decimal(str(s["value"]))
        for s in kpi["series"]
        if s.get("value") is not None and "-Q" in s["period"]
    }
    shown = sorted({*periods, *current})
    series = [
        Series(
            translate("submitted_value", language),
            views.cumulative(current, shown, kpi["kind"]),
            "realised",
        ),
        Series(
            translate("approved", language),
            views.cumulative(approved_values(reports, kpi["indicator_code"]), shown, kpi["kind"]),
            "approved",
        ),
    ]
    if kpi.get("target_value") is not None and kpi["kind"] == "flow":
        target = Decimal(str(kpi["target_value"]))
        series.append(
            Series(
                translate("target_trajectory", language),
                views.trajectory(shown, target),
                "target",
            )
        )
    return line_chart(
        known.indicator(kpi["indicator_code"]),
        shown,
        series,
        lambda v: number(v, language),
        x_label=translate("quarter", language),
        y_label=known.unit(kpi["indicator_code"]) or str(kpi.get("unit", "")),
    )


def indicator_periods(
    kpi: Mapping[str, Any],
    reports: Sequence[Mapping[str, Any]],
    kpis: Sequence[Mapping[str, Any]],
) -> list[PeriodLine]:
    """A KPI's periods that have a report or a period target, oldest first."""
    code = kpi["indicator_code"]
    rule = next((k for k in kpis if k["indicator_code"] == code), {})
    targets = {p: Decimal(str(v)) for p, v in (rule.get("period_targets") or {}).items()}
    mine = [r for r in reports if r["indicator_code"] == code and not r.get("dimension_key")]
    periods = sorted({*targets, *(r["period"] for r in mine)})
    current = {
        s["period"]: Decimal(str(s["value"]))
        for s in kpi.get("series", [])
        if s.get("value") is not None
    }
    cumulative = dict(views.cumulative(current, periods, kpi["kind"])) if current else {}
    approved = approved_values(reports, code)
    out = []
    for p in periods:
        versions = sorted((r for r in mine if r["period"] == p), key=lambda r: r["version"])
        latest = versions[-1] if versions else None
        out.append(
            PeriodLine(
                period=p,
                target=targets.get(p),
                reported=Decimal(str(latest["value"]))
                if latest and latest.get("value") is not None
                else None,
                approved=approved.get(p),
                cumulative=cumulative.get(p),
                state=latest["state"] if latest else None,
                flags=list(latest.get("flags") or []) if latest else [],
                versions=[queue._version(v) for v in versions],
            )
        )
    return out


# --- review ---------------------------------------------------------------------------------


async def review_page(api: Services, language: str, filters: queue.Filters) -> dict[str, Any]:
    """The queue with each report's context, filtered, sorted and paged; and what the
    filters and the lock form offer."""
    reports, projects, found = await asyncio.gather(_queue(api), all_projects(api), programmes(api))
    known = await names(api, language, projects=projects, organisations=True, trees_of=found)
    involved = sorted({str(r["project_id"]) for r in reports})
    history, kpis, progress = await asyncio.gather(
        _per_project(api, involved, "/v1/projects/{}/reports"),
        _per_project(api, involved, "/v1/projects/{}/kpis"),
        _per_project(api, involved, "/v1/projects/{}/progress"),
    )
    rows = queue.review_rows(reports, history, kpis, progress, known)
    page = queue.select(rows, filters, known)
    return {
        "page": page,
        "comments": await comments_of(api, [r.id for r in page.rows]),
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
    }


async def comments_of(api: Services, report_ids: Sequence[str]) -> dict[str, list[Any] | None]:
    """Each report's thread between reviewer and partner (returns included), oldest first;
    None where the KPI service keeps no thread (yet), so the page offers none."""
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


async def _per_project(api: Services, ids: Sequence[str], path: str) -> dict[str, Any]:
    answers = await asyncio.gather(*(optional(api.get("kpi", path.format(i)), []) for i in ids))
    return dict(zip(ids, answers, strict=True))


# --- completeness ---------------------------------------------------------------------------


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
        _per_project(api, ids, "/v1/projects/{}/kpis"),
        _per_project(api, ids, "/v1/projects/{}/reports"),
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
