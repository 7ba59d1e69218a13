"""The read side: totals, series and progress, straight from the projection's tables.

Nothing here recomputes an aggregate: a total over a period range adds up at most
a few stored period rows (or, for a stock, its changes up to the range's end), by the
indicator kind's rules (`domain.kinds`).
"""

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from services.kpi.access import Principal
from services.kpi.domain import definitions
from services.kpi.domain.distinct import CountedOnceTotal, IdentifiedValue, counted_once
from services.kpi.domain.errors import InvalidKpiInputError
from services.kpi.domain.indicators import Indicator
from services.kpi.domain.kinds import Kind, kind_of
from services.kpi.domain.periods import Frequency, Period, PeriodError, periods_ended
from services.kpi.domain.ranges import Span
from services.kpi.domain.series import Measure
from services.kpi.models import NodeTotal
from services.kpi.projection import APPROVED, CURRENT, chosen_versions
from services.kpi.reference import Reference
from services.kpi.repository import KpiRule, ProjectFacts
from services.kpi.schemas import (
    AggregatePublic,
    DefinitionTotalPublic,
    EuTotalPublic,
    KpiDuePublic,
    MeasurePublic,
    ProjectDirectoryPublic,
)
from services.kpi.services import definition_of
from services.kpi.uow import KpiUnitOfWork
from shared.errors import NotFoundError


def measure_public(period: str, m: Measure, kind: Kind, projects: int | None) -> MeasurePublic:
    value, numerator, denominator, share = kind.public(m)
    return MeasurePublic(
        period=period,
        value=value,
        numerator=numerator,
        denominator=denominator,
        share_percent=share,
        projects=projects,
    )


def _span(period_from: str | None, period_to: str | None) -> Span:
    try:
        first = Period.parse(period_from) if period_from else None
        last = Period.parse(period_to) if period_to else None
    except PeriodError as exc:
        raise InvalidKpiInputError.single(
            ("query", "from" if period_from else "to"), str(exc)
        ) from exc
    if first and last and last.end < first.start:
        raise InvalidKpiInputError.single(("query", "to"), "the range ends before it starts")
    return Span.of(first, last)


def _label(span: Span) -> str:
    return "all" if span.unbounded else f"{span.first or ''}..{span.last or ''}"


async def aggregates(
    uow: KpiUnitOfWork,
    node_id: uuid.UUID,
    indicator_code: str | None,
    period_from: str | None,
    period_to: str | None,
    approved_only: bool,
) -> list[AggregatePublic]:
    span = _span(period_from, period_to)
    view = APPROVED if approved_only else CURRENT
    async with uow:
        if not await uow.replica.node_exists(node_id):
            raise NotFoundError(f"no programme or goal {node_id}")
        rows = await uow.totals.node_totals(node_id, view, indicator_code)
        reference = await uow.reference()  # the catalogue, cached per process
        indicators = reference.indicators
        by_indicator: dict[str, dict[str, tuple[Measure, int]]] = defaultdict(dict)
        for r in rows:
            if r.projects or r.value or r.numerator or r.denominator:
                by_indicator[r.indicator_code][r.period_key] = (
                    Measure(r.value, r.numerator, r.denominator),
                    r.projects,
                )
        identified = {
            code: await identified_values(uow, reference, node_id, code, view)
            for code in by_indicator
            if counts_once(indicators[code])
        }
        redefined = {
            code: [definition_of(d) for d in await uow.catalogue.definitions(code)]
            for code in by_indicator
            if indicators[code].definition_version > 1
        }
    return [
        _aggregate(
            node_id,
            indicators[code],
            view,
            periods,
            span,
            identified.get(code),
            redefined.get(code),
        )
        for code, periods in sorted(by_indicator.items())
    ]


def counts_once(indicator: Indicator) -> bool:
    """Identifiers are counted once where values add up (a flow's reports, each once)."""
    return indicator.counted_once is not None and kind_of(indicator.kind).facts.adds_up


async def identified_values(
    uow: KpiUnitOfWork, reference: Reference, node_id: uuid.UUID, code: str, view: str
) -> list[tuple[Period, IdentifiedValue]]:
    """The node's counted cells of `code` whose version listed identifiers (domain.distinct)."""
    projects = {
        p.id
        for p in reference.projects_by_id.values()
        if node_id in reference.nodes_of(p.id, p.programme_id)
    }
    listed = await uow.projection.identified(code, projects)
    if not listed:
        return []
    found = []
    for cell, versions in (await uow.projection.cell_versions(listed)).items():
        for v in chosen_versions(versions, view).values():
            hashes = listed[cell].get(v.version)
            if hashes:
                value = IdentifiedValue(cell[0], v.value or Decimal(0), frozenset(hashes))
                found.append((Period.parse(cell[2]), value))
    return found


def _aggregate(
    node_id: uuid.UUID,
    indicator: Indicator,
    view: str,
    periods: dict[str, tuple[Measure, int]],
    span: Span,
    identified: list[tuple[Period, IdentifiedValue]] | None = None,
    redefined: list[definitions.Definition] | None = None,
) -> AggregatePublic:
    kind = kind_of(indicator.kind)
    if redefined and kind.facts.adds_up:
        periods = definitions.converted(periods, redefined)  # in the current unit
    if redefined and definitions.breaks_within(redefined, span):
        return _per_definition(node_id, indicator, view, periods, span, redefined)
    found = kind.total(periods, span)
    series = [measure_public(str(p), m, kind, n) for p, m, n in kind.by_quarter(periods, span)]
    once = None
    if identified is not None and found is not None:
        once = counted_once(found[0].value, (c for p, c in identified if span.holds(p)))
        found = (Measure(once.value), found[1])
        series = [_once(s, identified) for s in series]
    return AggregatePublic(
        node_id=node_id,
        indicator_code=indicator.code,
        indicator_name=indicator.name_en,
        unit=indicator.unit,
        kind=indicator.kind,
        view="approved" if view == APPROVED else "current",
        total=measure_public(_label(span), found[0], kind, found[1]) if found else None,
        series=series,
        counted_once=indicator.counted_once,
        reported_value=once.reported if once else None,
        more_than_one_project=once.more_than_one_project if once else None,
    )


def _per_definition(
    node_id: uuid.UUID,
    indicator: Indicator,
    view: str,
    periods: dict[str, tuple[Measure, int]],
    span: Span,
    redefined: list[definitions.Definition],
) -> AggregatePublic:
    """A range across a break in series: no total, one per definition (each in its unit)."""
    kind = kind_of(indicator.kind)
    parts = []
    for definition, part in definitions.segments(redefined, span):
        found = kind.total(periods, part)
        parts.append(
            DefinitionTotalPublic(
                version=definition.version,
                unit=definition.unit,
                first=str(part.first) if part.first else None,
                last=str(part.last) if part.last else None,
                total=measure_public(_label(part), found[0], kind, found[1]) if found else None,
            )
        )
    cut = definitions.breaks_within(redefined, span)[0]
    return AggregatePublic(
        node_id=node_id,
        indicator_code=indicator.code,
        indicator_name=indicator.name_en,
        unit=indicator.unit,
        kind=indicator.kind,
        view="approved" if view == APPROVED else "current",
        total=None,
        series=[measure_public(str(p), m, kind, n) for p, m, n in kind.by_quarter(periods, span)],
        per_definition=parts,
        note=f"{indicator.code}'s definition has a break in series on {cut.effective_from}: "
        "no total across it; one per definition (ask for a range on one side for a total)",
    )


def _once(
    quarter: MeasurePublic, identified: list[tuple[Period, IdentifiedValue]]
) -> MeasurePublic:
    """A quarter of a series counted once: its own cells' identifiers, each once."""
    period = Period.parse(quarter.period)
    inside = (c for p, c in identified if p == period)
    value = counted_once(quarter.value or Decimal(0), inside).value
    return quarter.model_copy(update={"value": value})


async def eu_totals(
    uow: KpiUnitOfWork, programme_id: uuid.UUID, approved_only: bool
) -> list[EuTotalPublic]:
    """Per EU code, the programme's totals of the indicators mapped to it; enterprises
    (and participants) counted once across projects and indicators (domain.distinct); a
    redefined indicator as /v1/aggregates counts it: converted, and no total across a break."""
    view = APPROVED if approved_only else CURRENT
    async with uow:
        mapping = await uow.catalogue.by_eu_code()
        rows = await uow.totals.node_all_totals(
            programme_id, view, [c for codes in mapping.values() for c in codes]
        )
        reference = await uow.reference()
        by_code: dict[str, NodeTotal] = {r.indicator_code: r for r in rows}
        out = []
        for eu_code, codes in sorted(mapping.items()):
            present = [
                by_code[c]
                for c in codes
                if c in by_code and (by_code[c].projects or by_code[c].value)
            ]
            if present:
                out.append(await _eu_total(uow, reference, programme_id, view, eu_code, present))
    return out


async def _eu_total(
    uow: KpiUnitOfWork,
    reference: Reference,
    programme_id: uuid.UUID,
    view: str,
    eu_code: str,
    present: list[NodeTotal],
) -> EuTotalPublic:
    """One EU code's value: its indicators' totals added up in their current units, none
    across a break in series (a note says which), enterprises counted once."""
    indicators = sorted(r.indicator_code for r in present)
    projects = sum(r.projects for r in present)
    redefined = await _under_definitions(uow, reference, programme_id, view, present)
    breaks = [a.note for a in redefined.values() if a.total is None and a.note]
    if breaks:  # old and new definitions do not add up: each side's total is per indicator
        note = "; ".join(breaks)
        return EuTotalPublic(
            eu_code=eu_code, indicators=indicators, value=None, projects=projects, note=note
        )
    values = {r.indicator_code: r.value for r in present} | {
        code: a.total.value or Decimal(0) for code, a in redefined.items() if a.total is not None
    }
    once = await _counted_once(uow, reference, programme_id, view, values)
    return EuTotalPublic(
        eu_code=eu_code,
        indicators=indicators,
        value=once.value if once else sum(values.values(), Decimal(0)),
        projects=projects,
        reported_value=once.reported if once else None,
        more_than_one_project=once.more_than_one_project if once else None,
    )


async def _under_definitions(
    uow: KpiUnitOfWork,
    reference: Reference,
    programme_id: uuid.UUID,
    view: str,
    present: list[NodeTotal],
) -> dict[str, AggregatePublic]:
    """The programme's total of each redefined indicator of an EU code, as /v1/aggregates
    gives it (ADR 32): in the current unit, or none across a break (with the note why)."""
    out = {}
    for r in present:
        indicator = reference.indicators[r.indicator_code]
        if indicator.definition_version <= 1:
            continue
        periods = {
            t.period_key: (Measure(t.value, t.numerator, t.denominator), t.projects)
            for t in await uow.totals.node_totals(programme_id, view, r.indicator_code)
            if t.projects or t.value or t.numerator or t.denominator
        }
        redefined = [definition_of(d) for d in await uow.catalogue.definitions(indicator.code)]
        out[indicator.code] = _aggregate(
            programme_id, indicator, view, periods, Span(), None, redefined
        )
    return out


async def _counted_once(
    uow: KpiUnitOfWork,
    reference: Reference,
    programme_id: uuid.UUID,
    view: str,
    values: dict[str, Decimal],
) -> CountedOnceTotal | None:
    codes = [code for code in values if counts_once(reference.indicators[code])]
    if not codes:
        return None
    cells = []
    for code in codes:
        cells += [c for _, c in await identified_values(uow, reference, programme_id, code, view)]
    return counted_once(sum(values.values(), Decimal(0)), cells)


async def project_directory(
    uow: KpiUnitOfWork, principal: Principal, programme: uuid.UUID | None, today: date
) -> list[ProjectDirectoryPublic]:
    """The projects a caller reports for (a partner: its organisation's; staff: every one,
    or a programme's), each with its KPIs and the periods still owed."""
    async with uow:
        reference = await uow.reference()
        if principal.reads_any_project:
            ids = {p.id for p in reference.projects_by_id.values()}
        else:
            ids = {p for p, org in reference.members if org == principal.organisation_id}
        projects = [
            p
            for p in reference.projects_among(ids).values()
            if programme is None or p.programme_id == programme
        ]
        reported = await uow.reports.reported_periods(p.id for p in projects)
    rules_of: dict[uuid.UUID, list[KpiRule]] = defaultdict(list)
    for (project_id, _), rule in sorted(reference.kpis.items(), key=lambda kv: kv[0][1]):
        rules_of[project_id].append(rule)
    return [
        ProjectDirectoryPublic(
            id=p.id,
            code=p.code,
            programme_id=p.programme_id,
            start_date=p.start_date,
            end_date=p.end_date,
            kpis=[
                _kpi_due(p, rule, reference.indicators[rule.indicator_code], reported, today)
                for rule in rules_of[p.id]
                if rule.indicator_code in reference.indicators
            ],
        )
        for p in sorted(projects, key=lambda p: p.code)
    ]


def _kpi_due(
    project: ProjectFacts,
    rule: KpiRule,
    indicator: Indicator,
    reported: set[tuple[uuid.UUID, str, str]],
    today: date,
) -> KpiDuePublic:
    frequency = Frequency(rule.frequency)
    owed = periods_ended(frequency, project.start_date, project.end_date, today)
    return KpiDuePublic(
        indicator_code=rule.indicator_code,
        indicator_name=indicator.name_en,
        unit=indicator.unit,
        kind=indicator.kind,
        frequency=frequency,
        dimensions=list(rule.dimensions),
        target_value=rule.target_value,
        periods_due=[
            str(p) for p in owed if (project.id, rule.indicator_code, str(p)) not in reported
        ],
    )
