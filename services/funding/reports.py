"""The EU report per fund (a read use case) and its CSV and XLSX renderings."""

import csv
import io
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from services.funding.domain.efficiency import COUNTABLE_KINDS
from services.funding.domain.eu_report import is_cutoff
from services.funding.domain.funds import EU_FUNDS, FundSource
from services.funding.schemas import EuIndicatorTotal, EuProjectLine, EuReportPublic
from services.funding.services import ledgers_of, require_programme
from services.funding.uow import FundingUnitOfWork
from shared.errors import InvalidInputError
from shared.spreadsheet import safe_cell, xlsx_cell

ZERO = Decimal(0)


async def eu_report(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, fund: FundSource, as_of: date
) -> EuReportPublic:
    """Projects with money from `fund`: eligible cost, EU money planned, committed and paid
    by `as_of`, and the totals of the EU common indicators they had reported by then.

    Eligible cost and the planned EU share come from each project's current plan; money
    counts by its decision and payment dates; an indicator counts with the value reported
    up to the last period that ended on or before `as_of`.
    """
    if fund not in EU_FUNDS:
        raise InvalidInputError.single(("fund",), "EU reports exist for efro and jtf only")
    async with uow:
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
        indicators = await _indicator_totals(uow, {line.project_id for line in lines}, as_of)
        return EuReportPublic(
            programme_id=programme_id,
            fund=fund,
            as_of=as_of,
            is_cutoff=is_cutoff(as_of),
            projects=lines,
            eligible_costs=sum((line.eligible_costs for line in lines), ZERO),
            eu_committed=sum((line.eu_committed for line in lines), ZERO),
            eu_paid=sum((line.eu_paid for line in lines), ZERO),
            indicators=indicators,
        )


async def _indicator_totals(
    uow: FundingUnitOfWork, project_ids: set[uuid.UUID], as_of: date
) -> list[EuIndicatorTotal]:
    if not project_ids:
        return []
    known = {
        (o.project_id, o.indicator_code): o
        for o in await uow.outputs.realised(project_ids)
        if o.eu_code and o.indicator_kind in COUNTABLE_KINDS
    }
    latest: dict[tuple[uuid.UUID, str], tuple[date, Decimal]] = {}
    for h in await uow.outputs.history(project_ids, as_of):
        key = (h.project_id, h.indicator_code)
        if key not in known or h.realised is None:
            continue
        if key not in latest or h.as_of > latest[key][0]:
            latest[key] = (h.as_of, h.realised)
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    units: dict[str, str | None] = {}
    for key, (_, value) in latest.items():
        output = known[key]
        code = output.eu_code or ""
        totals[code][0] += value
        totals[code][1] += 1
        units[code] = output.unit
    return [
        EuIndicatorTotal(eu_code=code, unit=units[code], value=value, projects=int(count))
        for code, (value, count) in sorted(totals.items())
    ]


PROJECT_COLUMNS = ["code", "name", "eligible_costs", "eu_planned", "eu_committed", "eu_paid"]
INDICATOR_COLUMNS = ["eu_code", "unit", "value", "projects"]


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
    rows.append(["total", "", report.eligible_costs, "", report.eu_committed, report.eu_paid])
    return rows


def render_csv(report: EuReportPublic) -> str:
    """One file, two tables (projects, indicators) under a short header; `.` decimals."""
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
    ]
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return out.getvalue()


def render_xlsx(report: EuReportPublic) -> bytes:
    """A workbook with a Projects and an Indicators sheet; amounts as numbers, not text."""
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
        indicators.append([xlsx_cell(v) for v in (i.eu_code, i.unit, i.value, i.projects)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
