"""The EU report per fund (a read use case) and its CSV and XLSX renderings."""

import csv
import hashlib
import io
import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from services.funding.domain import transmissions as rules
from services.funding.domain.efficiency import COUNTABLE_KINDS
from services.funding.domain.eu_report import IdentifiedValue, counted_once, is_cutoff
from services.funding.domain.funds import EU_FUNDS, FundSource
from services.funding.models import RealisedHistory, RealisedOutput
from services.funding.schemas import (
    DefinitionLine,
    EuIndicatorTotal,
    EuPendingLine,
    EuProjectLine,
    EuReportPublic,
    VersionLine,
)
from services.funding.services import ledgers_of, require_programme
from services.funding.uow import FundingUnitOfWork
from shared.errors import InvalidInputError
from shared.kinds import facts_of
from shared.spreadsheet import safe_cell, xlsx_cell

ZERO = Decimal(0)


async def eu_report(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, fund: FundSource, as_of: date
) -> EuReportPublic:
    """Projects with money from `fund`: eligible cost, EU money planned, committed and paid
    by `as_of`, and the totals of the EU common indicators they had reported by then.

    Eligible cost and the planned EU share come from each project's current plan; money
    counts by its decision and payment dates; an indicator counts with the value reported
    up to the last period that ended on or before `as_of`, approved values only; an
    enterprise that several projects listed counts once (ADR 29).
    """
    if fund not in EU_FUNDS:
        raise InvalidInputError.single(("fund",), "EU reports exist for efro and jtf only")
    async with uow:
        return await draw_eu_report(uow, programme_id, fund, as_of)


async def draw_eu_report(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, fund: FundSource, as_of: date
) -> EuReportPublic:
    """`eu_report` within a unit of work already open (a transmission seals what it draws)."""
    await require_programme(uow, programme_id)
    projects = await uow.replica.projects_of(programme_id)
    plans = await uow.plans.latest(p.id for p in projects)
    ledgers = await ledgers_of(uow, [p.id for p in projects], until=as_of)
    lines = []
    for p in projects:
        plan = plans.get(p.id)
        planned = Decimal(plan.contributions.get(fund, ZERO)) if plan else ZERO
        ledger = ledgers.get((p.id, fund))
        if not planned and ledger is None:
            continue
        lines.append(
            EuProjectLine(
                project_id=p.id,
                code=p.code,
                name=p.name,
                eligible_costs=plan.plan.eligible_costs if plan else ZERO,
                eu_planned=planned,
                eu_committed=ledger.committed if ledger else ZERO,
                eu_paid=ledger.paid if ledger else ZERO,
            )
        )
    indicators, pending = await _indicator_totals(
        uow, {line.project_id: line.code for line in lines}, as_of
    )
    return EuReportPublic(
        programme_id=programme_id,
        fund=fund,
        as_of=as_of,
        is_cutoff=is_cutoff(as_of),
        projects=lines,
        eligible_costs=sum((line.eligible_costs for line in lines), ZERO),
        eu_planned=sum((line.eu_planned for line in lines), ZERO),
        eu_committed=sum((line.eu_committed for line in lines), ZERO),
        eu_paid=sum((line.eu_paid for line in lines), ZERO),
        indicators=indicators,
        pending=pending,
    )


OutputKey = tuple[uuid.UUID, str]  # project, indicator


async def counted_outputs(
    uow: FundingUnitOfWork, project_ids: Iterable[uuid.UUID], as_of: date
) -> tuple[dict[OutputKey, RealisedOutput], dict[OutputKey, RealisedHistory]]:
    """The outputs an EU report counts (EU-coded, of a countable kind) and, for those with
    a value by then, the value as it stood with the reports up to `as_of`."""
    ids = set(project_ids)
    known = {
        (o.project_id, o.indicator_code): o
        for o in await uow.outputs.realised(ids)
        if o.eu_code and o.indicator_kind in COUNTABLE_KINDS
    }
    latest: dict[OutputKey, RealisedHistory] = {}
    for h in await uow.outputs.history(ids, as_of):
        key = (h.project_id, h.indicator_code)
        if key in known and (key not in latest or h.as_of > latest[key].as_of):
            latest[key] = h
    return known, latest


async def _indicator_totals(
    uow: FundingUnitOfWork, codes: Mapping[uuid.UUID, str], as_of: date
) -> tuple[list[EuIndicatorTotal], list[EuPendingLine]]:
    """Per EU code, the approved values as they stood at `as_of` (reports still awaiting
    review are not counted: they are listed, with their plausibility flags, beside). An EU
    code one of whose indicators counts reports on both sides of a break in series or a
    change of unit has no value, and a note naming the indicator, the change and its date:
    the rule that refuses to transmit such a total (ADR 32)."""
    if not codes:
        return [], []
    known, latest = await counted_outputs(uow, codes, as_of)
    identified = await identified_values(uow, known, latest, as_of)
    totals: dict[str, EuIndicatorTotal] = {}
    values: dict[str, Decimal] = {}
    pending: list[EuPendingLine] = []
    for key, h in sorted(latest.items(), key=lambda kv: (codes[kv[0][0]], kv[0][1])):
        output = known[key]
        eu_code = output.eu_code or ""
        total = totals.setdefault(
            eu_code, EuIndicatorTotal(eu_code=eu_code, unit=output.unit, value=ZERO, projects=0)
        )
        if h.approved is not None:
            values[eu_code] = values.get(eu_code, ZERO) + h.approved
            total.value = values[eu_code]
            total.projects += 1
        if h.pending_reports:
            total.pending_reports += h.pending_reports
            total.pending_value += h.pending_value or ZERO
            pending.append(
                EuPendingLine(
                    project_id=key[0],
                    code=codes[key[0]],
                    indicator_code=key[1],
                    eu_code=eu_code,
                    unit=output.unit,
                    pending_reports=h.pending_reports,
                    pending_value=h.pending_value or ZERO,
                    flagged_reports=h.flagged_reports,
                )
            )
    for eu_code, (planned, unit) in (await planned_values(uow, codes, known, as_of)).items():
        total = totals.setdefault(
            eu_code, EuIndicatorTotal(eu_code=eu_code, unit=unit, value=ZERO, projects=0)
        )
        total.planned = planned
    _count_once(totals, values, identified)
    _no_total_across_breaks(totals, known, await totals_across_breaks(uow, known, latest, as_of))
    return [totals[code] for code in sorted(totals)], pending


def _count_once(
    totals: dict[str, EuIndicatorTotal],
    values: Mapping[str, Decimal],
    identified: Mapping[str, list[IdentifiedValue]],
) -> None:
    """Enterprises (and participants) counted once across projects (ADR 29)."""
    for eu_code, cells in identified.items():
        once = counted_once(values.get(eu_code, ZERO), cells)
        totals[eu_code].value = once.value
        totals[eu_code].reported_value = once.reported
        totals[eu_code].more_than_one_project = once.more_than_one_project


def _no_total_across_breaks(
    totals: dict[str, EuIndicatorTotal],
    known: Mapping[OutputKey, RealisedOutput],
    breaks: Iterable[rules.TotalAcross],
) -> None:
    """An EU code one of whose indicators counts across a break or a unit change: no value,
    and the note why (ADR 32)."""
    for across in breaks:
        for eu_code in sorted(
            {o.eu_code or "" for k, o in known.items() if k[1] == across.indicator_code}
        ):
            if eu_code in totals:
                total = totals[eu_code]
                total.value = total.reported_value = total.more_than_one_project = None
                total.note = "; ".join(filter(None, [total.note, across.note]))


async def planned_values(
    uow: FundingUnitOfWork,
    project_ids: Iterable[uuid.UUID],
    known: Mapping[OutputKey, RealisedOutput],
    as_of: date,
) -> dict[str, tuple[Decimal, str | None]]:
    """Per EU code, the planned value and its unit: the end targets the projects declared
    for the indicators mapped to it (their KPI declarations, as the KPI service announced
    them last), added up as declared. An enterprise several projects plan to support counts
    in each: a target lists no enterprises, so the EU's "planned" adds the operations'
    targets. An indicator maps to the EU code of its definition in force at `as_of` (that
    of its outputs when no definition was announced); one mapped to none plans nothing."""
    targets = [
        t
        for t in await uow.outputs.targets(project_ids)
        if t.target_value is not None and t.indicator_kind in COUNTABLE_KINDS
    ]
    if not targets:
        return {}
    announced = await uow.transmissions.definitions({t.indicator_code for t in targets})
    of_outputs = {k[1]: o for k, o in known.items()}
    out: dict[str, tuple[Decimal, str | None]] = {}
    for t in targets:
        found = rules.in_force(announced.get(t.indicator_code, []), as_of)
        output = of_outputs.get(t.indicator_code)
        eu_code = found.eu_code if found else output.eu_code if output else None
        unit = found.unit if found else output.unit if output else None
        if eu_code and t.target_value is not None:
            out[eu_code] = (out.get(eu_code, (ZERO, unit))[0] + t.target_value, unit)
    return out


async def totals_across_breaks(
    uow: FundingUnitOfWork,
    known: Mapping[OutputKey, RealisedOutput],
    latest: Mapping[OutputKey, RealisedHistory],
    as_of: date,
) -> list[rules.TotalAcross]:
    """The indicators whose counted report versions lie on both sides of a break in series
    or a change of unit (the transmission's rule, `rules.totals_across_breaks`). Only an
    indicator with more than one announced definition can have one, so the versions of the
    others are not read."""
    announced = await uow.transmissions.definitions({k[1] for k in known})
    redefined = {code for code, found in announced.items() if len(found) > 1}
    if not redefined:
        return []
    of_redefined = {k: o for k, o in known.items() if k[1] in redefined}
    versions = await report_versions(uow, of_redefined, as_of, indicators=redefined)
    lines = await definition_lines(uow, of_redefined, latest, versions, as_of)
    return rules.totals_across_breaks(lines)


async def report_versions(
    uow: FundingUnitOfWork,
    known: Mapping[OutputKey, RealisedOutput],
    as_of: date,
    indicators: set[str] | None = None,
) -> list[VersionLine]:
    """The report versions of the counted outputs' cells up to `as_of`, each saying whether
    the approved figures count it (of a cell its latest approved version; ADR 30)."""
    rows = [
        v
        for v in await uow.transmissions.versions(
            {k[0] for k in known}, as_of, indicators=indicators
        )
        if (v.project_id, v.indicator_code) in known
    ]
    counted = {v.report_id for v in rules.counted(rows).values()}
    return [
        VersionLine(
            report_id=v.report_id,
            project_id=v.project_id,
            indicator_code=v.indicator_code,
            period=v.period,
            dimension_key=v.dimension_key,
            version=v.version,
            state=v.state,
            value=v.value,
            counted=v.report_id in counted,
        )
        for v in rows
    ]


async def definition_lines(
    uow: FundingUnitOfWork,
    known: Mapping[OutputKey, RealisedOutput],
    latest: Mapping[OutputKey, RealisedHistory],
    versions: Iterable[VersionLine],
    as_of: date,
) -> list[DefinitionLine]:
    """Per indicator reported, the definition versions in force for the periods its counted
    report versions cover (ADR 32), as the KPI service announced them; an indicator whose
    definitions were not announced yet keeps what its outputs said (version unknown)."""
    outputs = {k[1]: o for k, o in sorted(known.items(), key=lambda kv: str(kv[0]))}
    announced = await uow.transmissions.definitions(outputs)
    lines = []
    for code, output in sorted(outputs.items()):
        periods = [v.period for v in versions if v.indicator_code == code and v.counted]
        runs_to = [h.as_of for k, h in latest.items() if k[1] == code]
        used = rules.definitions_used(announced.get(code, []), periods, max(runs_to, default=as_of))
        if not used:
            lines.append(
                DefinitionLine(
                    indicator_code=code,
                    eu_code=output.eu_code or "",
                    kind=output.indicator_kind,
                    unit=output.unit,
                )
            )
        for d, first, last in used:
            lines.append(
                DefinitionLine(
                    indicator_code=code,
                    eu_code=d.eu_code or "",
                    kind=d.kind,
                    unit=d.unit,
                    version=d.version,
                    effective_from=d.effective_from,
                    name_en=d.name_en,
                    name_nl=d.name_nl,
                    methodology=d.methodology,
                    methodology_sha256=hashlib.sha256(d.methodology.encode()).hexdigest()
                    if d.methodology
                    else None,
                    change=d.change,
                    conversion_factor=d.conversion_factor,
                    first_period=first,
                    last_period=last,
                )
            )
    return lines


async def identified_values(
    uow: FundingUnitOfWork,
    known: Mapping[OutputKey, RealisedOutput],
    latest: Mapping[OutputKey, RealisedHistory],
    as_of: date,
) -> dict[str, list[IdentifiedValue]]:
    """Per EU code, the counted cells whose version listed the keyed hashes of the
    enterprises (or participants) it counts (ADR 29): of each cell the latest approved
    version up to the period end the approved figure runs to, as the figure counts it.
    Only kinds that add up over periods (flows) count identifiers; a cell whose counted
    version listed none counts as reported."""
    keys = {
        k: h.as_of
        for k, h in latest.items()
        if h.approved is not None and facts_of(known[k].indicator_kind).adds_up
    }
    if not keys:
        return {}
    versions = await uow.transmissions.versions(
        {k[0] for k in keys}, as_of, indicators={k[1] for k in keys}
    )
    counted = rules.counted(
        v
        for v in versions
        if (v.project_id, v.indicator_code) in keys
        and v.period_end <= keys[(v.project_id, v.indicator_code)]
    )
    out: dict[str, list[IdentifiedValue]] = {}
    for v in counted.values():
        if v.identifiers:
            eu_code = known[(v.project_id, v.indicator_code)].eu_code or ""
            out.setdefault(eu_code, []).append(
                IdentifiedValue(v.project_id, v.value or ZERO, frozenset(v.identifiers))
            )
    return out


PROJECT_COLUMNS = ["code", "name", "eligible_costs", "eu_planned", "eu_committed", "eu_paid"]
INDICATOR_COLUMNS = ["eu_code", "unit", "value", "projects", "pending_reports", "pending_value"]
INDICATOR_COLUMNS += ["reported_value", "more_than_one_project"]  # enterprises counted once
INDICATOR_COLUMNS += ["planned"]  # the projects' declared targets
INDICATOR_COLUMNS += ["note"]  # why there is no value (a break in series, a unit change)
PENDING_COLUMNS = [
    "code",
    "indicator_code",
    "eu_code",
    "unit",
    "pending_reports",
    "pending_value",
    "flagged_reports",
]


def _header(report: EuReportPublic) -> list[list[str]]:
    return [
        ["EU report", report.fund.upper()],
        ["programme", str(report.programme_id)],
        ["as of", report.as_of.isoformat(), "cut-off" if report.is_cutoff else "not a cut-off"],
    ]


def _project_rows(report: EuReportPublic) -> list[list[object]]:
    rows: list[list[object]] = [
        [getattr(line, c) for c in PROJECT_COLUMNS] for line in report.projects
    ]
    rows.append(
        [
            "total",
            "",
            report.eligible_costs,
            report.eu_planned,
            report.eu_committed,
            report.eu_paid,
        ]
    )
    return rows


def render_csv(report: EuReportPublic) -> str:
    """One file, three tables (projects, indicators, pending review) under a short header;
    `.` decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows: list[list[Any]] = [
        *_header(report),
        [],
        PROJECT_COLUMNS,
        *_project_rows(report),
        [],
        INDICATOR_COLUMNS,
        *[[getattr(i, c) for c in INDICATOR_COLUMNS] for i in report.indicators],
        [],
        ["pending review (not counted above)"],
        PENDING_COLUMNS,
        *[[getattr(p, c) for c in PENDING_COLUMNS] for p in report.pending],
    ]
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return out.getvalue()


def render_xlsx(report: EuReportPublic) -> bytes:
    """Projects, Indicators and Pending review sheets; amounts as numbers, not text."""
    buffer = io.BytesIO()
    workbook(report).save(buffer)
    return buffer.getvalue()


def workbook(report: EuReportPublic) -> Workbook:
    """The report's sheets (a transmission adds its own)."""
    book = Workbook()
    projects = book.active
    assert projects is not None
    projects.title = "Projects"
    header: list[list[Any]] = [*_header(report), [], list(PROJECT_COLUMNS)]
    for row in [*header, *_project_rows(report)]:
        projects.append([xlsx_cell(v) for v in row])
    indicators = book.create_sheet("Indicators")
    indicators.append(INDICATOR_COLUMNS)
    for i in report.indicators:
        indicators.append([xlsx_cell(getattr(i, c)) for c in INDICATOR_COLUMNS])
    pending = book.create_sheet("Pending review")
    pending.append(PENDING_COLUMNS)
    for p in report.pending:
        pending.append([xlsx_cell(getattr(p, c)) for c in PENDING_COLUMNS])
    return book
