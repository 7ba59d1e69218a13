"""The read side: totals, series and progress, straight from the projection's tables.

Nothing here recomputes an aggregate: a total over a period range adds up at most
a few stored period rows (or, for a stock, takes the last one), by the same kind rules.
"""

import uuid
from collections import defaultdict
from decimal import Decimal

from services.kpi.access import Principal
from services.kpi.domain.errors import InvalidKpiInputError
from services.kpi.domain.indicators import Indicator, IndicatorKind
from services.kpi.domain.periods import Period, PeriodError
from services.kpi.domain.series import ALL, Measure
from services.kpi.models import NodeTotal, ProjectTotal
from services.kpi.projection import APPROVED, CURRENT, chosen_versions
from services.kpi.schemas import AggregatePublic, EuTotalPublic, MeasurePublic, ProgressPublic
from services.kpi.services import check_readable
from services.kpi.uow import KpiUnitOfWork


def _measure_public(
    period: str, m: Measure, kind: IndicatorKind, projects: int | None
) -> MeasurePublic:
    ratio = kind is IndicatorKind.RATIO
    return MeasurePublic(
        period=period,
        value=None if ratio else m.value,
        numerator=m.numerator if ratio else None,
        denominator=m.denominator if ratio else None,
        share_percent=m.share_percent.quantize(Decimal("0.01"))
        if ratio and m.share_percent is not None
        else None,
        projects=projects,
    )


def _bounds(period_from: str | None, period_to: str | None) -> tuple[Period | None, Period | None]:
    try:
        return (
            Period.parse(period_from) if period_from else None,
            Period.parse(period_to) if period_to else None,
        )
    except PeriodError as exc:
        raise InvalidKpiInputError.single(
            ("query", "from" if period_from else "to"), str(exc)
        ) from exc


def _in_range(period: Period, first: Period | None, last: Period | None) -> bool:
    return (first is None or first.start <= period.start) and (
        last is None or period.end <= last.end
    )


def _total(
    kind: IndicatorKind,
    rows: dict[str, tuple[Measure, int]],
    first: Period | None,
    last: Period | None,
) -> MeasurePublic | None:
    if first is None and last is None:
        found = rows.get(ALL)
        return _measure_public("all", found[0], kind, found[1]) if found else None
    quarterly = bool((first and first.quarter) or (last and last.quarter))
    picked = sorted(
        (p, rows[k])
        for k in rows
        if k != ALL
        and (p := Period.parse(k)).frequency.value == ("quarterly" if quarterly else "yearly")
        and _in_range(p, first, last)
    )
    if not picked:
        return None
    label = f"{first or picked[0][0]}..{last or picked[-1][0]}"
    if kind is IndicatorKind.STOCK:
        return _measure_public(label, picked[-1][1][0], kind, picked[-1][1][1])
    total = Measure()
    for _, (m, _count) in picked:
        total = total + m
    return _measure_public(label, total, kind, picked[0][1][1] if len(picked) == 1 else None)


async def aggregates(
    uow: KpiUnitOfWork,
    node_id: uuid.UUID,
    indicator_code: str | None,
    period_from: str | None,
    period_to: str | None,
    approved_only: bool,
) -> list[AggregatePublic]:
    first, last = _bounds(period_from, period_to)
    view = APPROVED if approved_only else CURRENT
    async with uow:
        rows = await uow.totals.node_totals(node_id, view, indicator_code)
        indicators = (await uow.reference()).indicators  # the catalogue, cached per process
    by_indicator: dict[str, dict[str, tuple[Measure, int]]] = defaultdict(dict)
    for r in rows:
        if r.projects or r.value or r.numerator or r.denominator:
            by_indicator[r.indicator_code][r.period_key] = (
                Measure(r.value, r.numerator, r.denominator),
                r.projects,
            )
    return [
        _aggregate(node_id, indicators[code], view, periods, first, last)
        for code, periods in sorted(by_indicator.items())
    ]


def _aggregate(
    node_id: uuid.UUID,
    indicator: Indicator,
    view: str,
    periods: dict[str, tuple[Measure, int]],
    first: Period | None,
    last: Period | None,
) -> AggregatePublic:
    kind = IndicatorKind(indicator.kind)
    quarters = sorted(
        (p, v)
        for k, v in periods.items()
        if k != ALL and (p := Period.parse(k)).quarter and _in_range(p, first, last)
    )
    return AggregatePublic(
        node_id=node_id,
        indicator_code=indicator.code,
        indicator_name=indicator.name_en,
        unit=indicator.unit,
        kind=kind,
        view="approved" if view == APPROVED else "current",
        total=_total(kind, periods, first, last),
        series=[_measure_public(str(p), m, kind, n) for p, (m, n) in quarters],
    )


async def eu_totals(
    uow: KpiUnitOfWork, programme_id: uuid.UUID, approved_only: bool
) -> list[EuTotalPublic]:
    view = APPROVED if approved_only else CURRENT
    async with uow:
        mapping = await uow.catalogue.by_eu_code()
        rows = await uow.totals.node_all_totals(
            programme_id, view, [c for codes in mapping.values() for c in codes]
        )
    by_code: dict[str, NodeTotal] = {r.indicator_code: r for r in rows}
    out = []
    for eu_code, codes in sorted(mapping.items()):
        present = [
            by_code[c] for c in codes if c in by_code and (by_code[c].projects or by_code[c].value)
        ]
        if present:
            out.append(
                EuTotalPublic(
                    eu_code=eu_code,
                    indicators=sorted(r.indicator_code for r in present),
                    value=sum((r.value for r in present), Decimal(0)),
                    projects=sum(r.projects for r in present),
                )
            )
    return out


async def project_progress(
    uow: KpiUnitOfWork, principal: Principal, project_id: uuid.UUID
) -> list[ProgressPublic]:
    async with uow:
        await check_readable(uow, principal, project_id)
        kpis = await uow.kpis.of_project(project_id)
        indicators = await uow.catalogue.many(k.indicator_code for k in kpis)
        progress = await uow.totals.progress(project_id)
        totals = await uow.totals.project_totals(project_id, CURRENT)
        versions = await uow.projection.versions((project_id, k.indicator_code) for k in kpis)
    series: dict[str, list[ProjectTotal]] = defaultdict(list)
    for t in totals:
        if "-Q" in t.period_key:
            series[t.indicator_code].append(t)
    out = []
    for kpi in kpis:
        indicator, state = indicators[kpi.indicator_code], progress.get(kpi.indicator_code)
        kind = IndicatorKind(indicator.kind)
        texts = [
            f"{v.period}: {v.comment}"
            for (_, _), v in sorted(
                chosen_versions(versions.get((project_id, kpi.indicator_code), []), CURRENT).items()
            )
            if kind is IndicatorKind.QUALITATIVE and v.comment
        ]
        out.append(
            ProgressPublic(
                indicator_code=kpi.indicator_code,
                indicator_name=indicator.name_en,
                unit=indicator.unit,
                kind=kind,
                baseline_value=kpi.baseline_value,
                baseline_year=kpi.baseline_year,
                target_value=kpi.target_value,
                target_date=kpi.target_date,
                realised=state.realised if state else None,
                expected=state.expected if state else None,
                percent_of_target=state.percent_of_target if state else None,
                status=state.status if state else None,
                as_of=state.as_of if state else None,
                series=[
                    _measure_public(
                        t.period_key, Measure(t.value, t.numerator, t.denominator), kind, 1
                    )
                    for t in sorted(
                        series[kpi.indicator_code],
                        key=lambda t: Period.parse(t.period_key).sort_key,
                    )
                ],
                texts=texts,
            )
        )
    return out
