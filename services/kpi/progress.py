"""A project's progress per KPI, as the API shows it: the projection's progress rows, read
under the indicator's definitions (ADR 32).

The projection keeps each progress row in the units values were reported in. For an
indicator whose definition changed, this read gives what the definitions say instead: after
a conversion, the figures to date in the current unit (a target or baseline declared before
the conversion converted too: it counts in the unit in force when it was declared); across
a break in series, no figure to date at all — old and new definitions do not add up — with a
note saying why, as `/v1/aggregates` does for goal and programme totals.
"""

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from services.kpi.access import Principal
from services.kpi.domain import definitions
from services.kpi.domain.definitions import Definition
from services.kpi.domain.indicators import Direction
from services.kpi.domain.kinds import Kind, kind_of
from services.kpi.domain.periods import Period
from services.kpi.domain.plausibility import Thresholds, above_target
from services.kpi.domain.progress import Target, Tolerances, progress
from services.kpi.domain.ranges import Span
from services.kpi.domain.series import ALL, Measure
from services.kpi.models import Indicator as IndicatorModel
from services.kpi.models import ProgressState, ProjectKpi
from services.kpi.projection import APPROVED, CURRENT, chosen_versions
from services.kpi.projection.views import SIX_PLACES
from services.kpi.queries import measure_public
from services.kpi.reference import indicator_of
from services.kpi.repository import VersionRow
from services.kpi.schemas import ProgressPublic
from services.kpi.services import check_readable, definition_of
from services.kpi.uow import KpiUnitOfWork
from shared.kinds import IndicatorKind, Reported

Rows = dict[str, tuple[Measure, int]]


async def project_progress(
    uow: KpiUnitOfWork,
    principal: Principal,
    project: uuid.UUID | str,
    thresholds: Thresholds = Thresholds(),
    tolerances: Tolerances = Tolerances(),
) -> list[ProgressPublic]:
    async with uow:
        project_id = await check_readable(uow, principal, project)
        kpis = await uow.kpis.of_project(project_id)
        indicators = await uow.catalogue.many(k.indicator_code for k in kpis)
        states = await uow.totals.progress(project_id)
        rows = _rows(await uow.totals.project_totals(project_id, CURRENT))
        versions = await uow.projection.versions((project_id, k.indicator_code) for k in kpis)
        redefined = {
            k.indicator_code: [definition_of(d) for d in history]
            for k in kpis
            if indicators[k.indicator_code].definition_version > 1
            and (history := await uow.catalogue.definitions(k.indicator_code))
        }
        approved = _rows(await uow.totals.project_totals(project_id, APPROVED)) if redefined else {}
        start = (await uow.reference()).projects_by_id[project_id].start_date
    out = []
    for kpi in kpis:
        code = kpi.indicator_code
        public = _progress_public(
            kpi,
            indicators[code],
            states.get(code),
            rows[code],
            versions.get((project_id, code), []),
            thresholds,
        )
        if code in redefined:
            reads = _Reads(
                rows[code],
                approved.get(code, {}),
                versions.get((project_id, code), []),
                Direction(indicators[code].direction),
            )
            public = _under_definitions(public, kpi, redefined[code], reads, start, tolerances)
        out.append(public)
    return out


def _rows(totals: Any) -> defaultdict[str, Rows]:
    rows: defaultdict[str, Rows] = defaultdict(dict)
    for t in totals:
        rows[t.indicator_code][t.period_key] = (
            Measure(t.value, t.numerator, t.denominator),
            t.projects,
        )
    return rows


def _progress_public(
    kpi: ProjectKpi,
    indicator: IndicatorModel,
    state: ProgressState | None,
    rows: Rows,
    versions: list[VersionRow],
    thresholds: Thresholds,
) -> ProgressPublic:
    kind = kind_of(indicator.kind)
    texts = [
        f"{v.period}: {v.comment}"
        for (_, _), v in sorted(chosen_versions(versions, CURRENT).items())
        if kind.facts.reported is Reported.TEXT and v.comment
    ]
    realised = state.realised if state else None
    return ProgressPublic(
        indicator_code=kpi.indicator_code,
        indicator_name=indicator.name_en,
        unit=indicator.unit,
        kind=IndicatorKind(indicator.kind),
        baseline_value=kpi.baseline_value,
        baseline_year=kpi.baseline_year,
        target_value=kpi.target_value,
        target_date=kpi.target_date,
        realised=realised,
        expected=state.expected if state else None,
        percent_of_target=state.percent_of_target if state else None,
        status=state.status if state else None,
        as_of=state.as_of if state else None,
        approved=state.approved if state else None,
        pending_reports=state.pending_reports if state else 0,
        pending_value=state.pending_value if state else None,
        flagged_reports=state.flagged_reports if state else 0,
        implausible=above_target(
            realised, kpi.target_value, thresholds.of(indicator_of(indicator))
        ),
        series=[measure_public(str(p), m, kind, 1) for p, m, _ in kind.by_quarter(rows, Span())],
        texts=texts,
    )


class _Reads:
    """What the projection holds of one project's indicator, in the units reported."""

    def __init__(
        self, current: Rows, approved: Rows, versions: list[VersionRow], direction: Direction
    ) -> None:
        self.current, self.approved, self.versions = current, approved, versions
        self.direction = direction


def _under_definitions(
    public: ProgressPublic,
    kpi: ProjectKpi,
    history: list[Definition],
    reads: _Reads,
    start: date,
    tolerances: Tolerances,
) -> ProgressPublic:
    periods = [Period.parse(key) for key, (m, _) in reads.current.items() if _counted(key, m)]
    cut = definitions.break_across(history, periods)
    if cut is not None:
        return public.model_copy(
            update={
                **dict.fromkeys(("realised", "expected", "percent_of_target", "status"), None),
                **dict.fromkeys(("approved", "pending_value"), None),
                "implausible": False,
                "note": f"{kpi.indicator_code}'s definition has a break in series on "
                f"{cut.effective_from}: no figure to date across it (its totals per "
                "definition are at /v1/aggregates?indicator=)",
            }
        )
    kind = kind_of(public.kind)
    if not kind.facts.adds_up or not any(d.change == definitions.CONVERSION for d in history):
        return public
    return _converted(public, kpi, kind, history, reads, start, tolerances)


def _counted(key: str, m: Measure) -> bool:
    """A stored period row (not a year's or `all`) that holds something."""
    return key != ALL and "-" in key and bool(m.value or m.numerator or m.denominator)


def _converted(
    public: ProgressPublic,
    kpi: ProjectKpi,
    kind: Kind,
    history: list[Definition],
    reads: _Reads,
    start: date,
    tolerances: Tolerances,
) -> ProgressPublic:
    """Figures to date in the current unit after a conversion (ADR 32)."""
    current = definitions.converted(reads.current, history)
    series = {key: m for key, (m, _) in current.items()}
    factor = definitions.factor_since(history, _utc(kpi.updated_at))
    target = None
    if kpi.target_value is not None and kpi.target_date is not None:
        target = Target(
            target_value=kpi.target_value * factor,
            target_date=kpi.target_date,
            baseline_value=(kpi.baseline_value or Decimal(0)) * factor,
            baseline_year=kpi.baseline_year,
            direction=reads.direction,
        )
    result = progress(kind, series, target, public.as_of, start, tolerances)
    approved = definitions.converted(reads.approved, history)
    return public.model_copy(
        update={
            "realised": _rounded(result.realised),
            "expected": _rounded(result.expected),
            "percent_of_target": _rounded(result.percent_of_target),
            "status": result.status.value if result.status else None,
            "approved": _rounded(kind.realised({key: m for key, (m, _) in approved.items()})),
            "pending_value": _rounded(_pending(history, reads.versions))
            if public.pending_reports
            else None,
            "target_value": target.target_value if target else kpi.target_value,
            "baseline_value": target.baseline_value if target else kpi.baseline_value,
            "series": [
                measure_public(str(p), m, kind, 1) for p, m, _ in kind.by_quarter(current, Span())
            ],
        }
    )


def _pending(history: list[Definition], versions: list[VersionRow]) -> Decimal:
    """The values awaiting review, each in the current unit."""
    return sum(
        (
            (v.value or Decimal(0)) * definitions.factor_for(history, Period.parse(v.period))
            for v in chosen_versions(versions, CURRENT).values()
            if v.state == "submitted"
        ),
        Decimal(0),
    )


def _rounded(value: Decimal | None) -> Decimal | None:
    """As the projection stores its progress figures (six decimal places)."""
    return None if value is None else value.quantize(SIX_PLACES)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
