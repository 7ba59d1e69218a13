"""The programme overview and a goal's page: money, outputs against targets and the
headline chart per programme line or goal, within the chosen period range, line and fund."""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.portal.clients import Services
from services.portal.domain import views
from services.portal.domain.catalogue import Names, flatten
from services.portal.domain.charts import Chart, Series, line_chart
from services.portal.domain.formatting import number
from services.portal.i18n import translate
from services.portal.pages.common import optional, programmes


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


def counted(
    current: Sequence[Mapping[str, Any]], approved: Sequence[Mapping[str, Any]], scope: Scope
) -> Sequence[Mapping[str, Any]]:
    """The figures an output's realised value and its % of target are read from: with
    "approved only" the approved ones (a share of the target nobody approved is no share);
    an output with nothing approved yet stays listed, without a figure."""
    if not scope.approved_only:
        return current
    by_code = {a["indicator_code"]: a for a in approved}
    return [by_code.get(a["indicator_code"], {**a, "total": {}, "series": []}) for a in current]


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
    rows = views.output_rows(
        counted(current, approved, scope), approved, chain["progress"], known.indicator
    )
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
    rows = views.output_rows(
        counted(current, approved, scope), approved, chain["progress"], known.indicator
    )
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
