"""A project's page: its partners, money, notifications, and per KPI the chart and the
indicator periods (target, reported, approved, to date, state and versions)."""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.portal.clients import Services
from services.portal.domain import completeness, views
from services.portal.domain import review as queue
from services.portal.domain.catalogue import Names
from services.portal.domain.charts import Chart, Series, line_chart
from services.portal.domain.formatting import number
from services.portal.i18n import translate
from services.portal.pages.common import optional
from shared.kinds import facts_of


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
    # the partners by name, for who sent a report over the API (`organisation:<id>`)
    known = Names.of(language, indicators, [project], [p for p in partners if p], tree)
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
        "notifications": [known.notification(n) for n in feed if n.get("project_id") == project_id],
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
    if not facts_of(kpi["kind"]).figure or not kpi["series"]:  # text: nothing to draw
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
    if kpi.get("target_value") is not None and facts_of(kpi["kind"]).adds_up:
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
    targets = _period_targets(kpis, code)
    mine = [r for r in reports if r["indicator_code"] == code and not r.get("dimension_key")]
    periods = sorted({*targets, *(r["period"] for r in mine)})
    cumulative = _cumulative(kpi, periods)
    approved = approved_values(reports, code)
    return [
        _period_line(
            p,
            [r for r in mine if r["period"] == p],
            targets.get(p),
            approved.get(p),
            cumulative.get(p),
        )
        for p in periods
    ]


def _period_targets(kpis: Sequence[Mapping[str, Any]], code: str) -> dict[str, Decimal]:
    rule = next((k for k in kpis if k["indicator_code"] == code), {})
    return {p: Decimal(str(v)) for p, v in (rule.get("period_targets") or {}).items()}


def _cumulative(kpi: Mapping[str, Any], periods: list[str]) -> dict[str, Decimal | None]:
    """The KPI's value to date per period, as the KPI service's series gives it."""
    current = {
        s["period"]: Decimal(str(s["value"]))
        for s in kpi.get("series", [])
        if s.get("value") is not None
    }
    return dict(views.cumulative(current, periods, kpi["kind"])) if current else {}


def _period_line(
    period: str,
    versions: list[Mapping[str, Any]],
    target: Decimal | None,
    approved: Decimal | None,
    cumulative: Decimal | None,
) -> PeriodLine:
    """One period of a KPI: the latest version's value, state and flags beside the figures."""
    versions = sorted(versions, key=lambda r: r["version"])
    latest: Mapping[str, Any] = versions[-1] if versions else {}
    value = latest.get("value")
    return PeriodLine(
        period=period,
        target=target,
        reported=None if value is None else Decimal(str(value)),
        approved=approved,
        cumulative=cumulative,
        state=latest.get("state"),
        flags=list(latest.get("flags") or []),
        versions=[queue.version_of(v) for v in versions],
    )
