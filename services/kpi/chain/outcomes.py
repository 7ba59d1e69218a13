"""Use cases of the results chain: outcome indicators, statistics, the logic model, reviews,
and the chain view per goal (input, outputs, outcomes, contributions).

HTTP routes and event handlers call these; the rules are in `domain.outcomes`.
"""

import contextlib
import csv
import io
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError

from services.kpi import queries
from services.kpi.domain import outcomes, ranges
from services.kpi.domain.indicators import IndicatorKind
from services.kpi.domain.outcomes import LinkKind, OutcomeKind, Revision
from services.kpi.domain.series import Measure
from services.kpi.models import (
    ContributionLink,
    GoalInput,
    GoalReplica,
    GoalReview,
    OutcomeIndicator,
    OutcomeMeasurement,
)
from services.kpi.projection import APPROVED
from services.kpi.replica import subtree
from services.kpi.schemas import (
    ContributionPublic,
    GoalReviewIn,
    GoalReviewPublic,
    LinkIn,
    MeasurementIn,
    MeasurementPublic,
    MoneyPublic,
    OutcomeIndicatorIn,
    OutcomePublic,
    PendingOutputPublic,
    ProjectProgressLine,
    ResultsChainPublic,
)
from services.kpi.uow import KpiUnitOfWork
from shared.auth import StaffUser
from shared.contracts import funding
from shared.contracts import kpi as events
from shared.errors import FieldProblem, InvalidInputError, NotFoundError

IMPORT_COLUMNS = ("outcome", "period", "value", "source", "published_on")


class UnknownGoalError(NotFoundError):
    pass


async def _goal(uow: KpiUnitOfWork, goal_id: uuid.UUID) -> GoalReplica:
    goal = await uow.replica.goal(goal_id)
    if goal is None:
        raise UnknownGoalError(f"goal {goal_id} is not known (yet) to the KPI service")
    return goal


# --- outcome indicators and their measurements -----------------------------------------------


async def define_outcome(
    uow: KpiUnitOfWork, goal_id: uuid.UUID, data: OutcomeIndicatorIn, user: StaffUser
) -> OutcomePublic:
    """Define (or redefine, by code) a programme-level outcome indicator of a goal."""
    problems = outcomes.definition_problems(data.baseline_date, data.target_date)
    if problems:
        raise InvalidInputError(problems)
    async with uow:
        goal = await _goal(uow, goal_id)
        row = await uow.chain.outcome_by_code(goal.programme_id, data.code)
        if row is not None and row.goal_id != goal_id:
            raise InvalidInputError.single(
                ("body", "code"), "this code belongs to an outcome of another goal"
            )
        row = row or OutcomeIndicator(
            programme_id=goal.programme_id,
            goal_id=goal_id,
            created_by=user.username,
            **_fields(data),
        )
        for name, value in _fields(data).items():
            setattr(row, name, value)
        uow.chain.add(row)
        uow.publish(
            events.OutcomeIndicatorDefined(
                goal_id=goal_id,
                programme_id=goal.programme_id,
                actor=user.username,
                outcome_id=row.id,
                **_fields(data),
            )
        )
        await uow.commit()
        return _outcome_public(row, [])


def _fields(data: OutcomeIndicatorIn) -> dict[str, Any]:
    return data.model_dump(mode="python")


def _outcome_public(row: OutcomeIndicator, measured: list[OutcomeMeasurement]) -> OutcomePublic:
    revisions = [_measurement_public(m) for m in measured]
    current = outcomes.current_values(_revision(m) for m in measured)
    latest_by_period: dict[str, OutcomeMeasurement] = {}
    for m in measured:
        held = latest_by_period.get(m.period)
        if held is None or (m.published_on, m.revision) > (held.published_on, held.revision):
            latest_by_period[m.period] = m
    trend = [_measurement_public(latest_by_period[p]) for p in sorted(latest_by_period)]
    latest_year = max(current) if current else None
    return OutcomePublic(
        id=row.id,
        goal_id=row.goal_id,
        code=row.code,
        name=row.name,
        unit=row.unit,
        level=row.level,
        kind=row.kind,
        direction=row.direction,
        baseline_value=row.baseline_value,
        baseline_date=row.baseline_date,
        target_value=row.target_value,
        target_date=row.target_date,
        latest_period=str(latest_year) if latest_year else None,
        latest_value=current[latest_year] if latest_year else None,
        trend=trend,
        revisions=revisions,
    )


def _measurement_public(m: OutcomeMeasurement) -> MeasurementPublic:
    return MeasurementPublic(
        period=m.period,
        value=m.value,
        source=m.source,
        published_on=m.published_on,
        revision=m.revision,
        recorded_by=m.recorded_by,
    )


def _revision(m: OutcomeMeasurement) -> Revision:
    return Revision(int(m.period), m.value, m.published_on, m.revision)


async def list_outcomes(uow: KpiUnitOfWork, goal_id: uuid.UUID) -> list[OutcomePublic]:
    async with uow:
        await _goal(uow, goal_id)
        rows = await uow.chain.outcomes_of([goal_id])
        measured = await uow.chain.measurements(r.id for r in rows)
    by_outcome: dict[uuid.UUID, list[OutcomeMeasurement]] = defaultdict(list)
    for m in measured:
        by_outcome[m.outcome_id].append(m)
    return [_outcome_public(r, by_outcome[r.id]) for r in rows]


async def record_measurements(
    uow: KpiUnitOfWork,
    programme_id: uuid.UUID,
    items: list[MeasurementIn],
    user: StaffUser,
    today: date,
    loc: str = "measurements",
) -> list[MeasurementPublic]:
    """Record published statistics, all or nothing; a value again for a period revises it.

    The same value published again on the same day is not a new revision.
    """
    async with uow:
        if await uow.replica.programme(programme_id) is None:
            raise NotFoundError(f"programme {programme_id} is not known (yet) to the KPI service")
        known = await uow.chain.outcomes_by_codes(programme_id, {i.outcome for i in items})
        problems: list[FieldProblem] = []
        for n, item in enumerate(items):
            where: tuple[str | int, ...] = ("body", loc, n)
            if item.outcome not in known:
                problems.append(
                    FieldProblem((*where, "outcome"), "no outcome indicator with this code")
                )
            problems += outcomes.measurement_problems(item.period, item.published_on, today, where)
        if problems:
            raise InvalidInputError(problems)
        existing = await uow.chain.measurements(o.id for o in known.values())
        held = {(m.outcome_id, m.period, m.value, m.published_on) for m in existing}
        revisions = defaultdict(int, {(m.outcome_id, m.period): m.revision for m in existing})
        recorded = []
        for item in items:
            outcome = known[item.outcome]
            period = str(item.period)
            if (outcome.id, period, item.value, item.published_on) in held:
                continue
            held.add((outcome.id, period, item.value, item.published_on))
            revisions[(outcome.id, period)] += 1
            row = OutcomeMeasurement(
                outcome_id=outcome.id,
                period=period,
                value=item.value,
                source=item.source,
                published_on=item.published_on,
                revision=revisions[(outcome.id, period)],
                recorded_by=user.username,
            )
            uow.chain.add(row)
            recorded.append(_measurement_public(row))
            uow.publish(
                events.OutcomeMeasured(
                    goal_id=outcome.goal_id,
                    programme_id=programme_id,
                    actor=user.username,
                    outcome_id=outcome.id,
                    code=outcome.code,
                    period=period,
                    value=item.value,
                    source=item.source,
                    published_on=item.published_on,
                    revision=row.revision,
                )
            )
        await uow.commit()
        return recorded


def parse_statistics(content: bytes, filename: str) -> list[MeasurementIn]:
    """Rows of a CSV or XLSX file (columns outcome, period, value, source, published_on).

    Every bad cell is reported by row (the header is row 1) and column, all at once.
    """
    rows = _xlsx_rows(content) if filename.lower().endswith(".xlsx") else _csv_rows(content)
    if not rows:
        raise InvalidInputError.single(("file",), "the file has no rows")
    header = [str(h or "").strip().lower() for h in rows[0]]
    absent = [c for c in IMPORT_COLUMNS if c not in header]
    if absent:
        raise InvalidInputError.single(("file",), f"missing columns: {', '.join(absent)}")
    items, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        if any(str(c or "").strip() for c in row):
            try:
                items.append(MeasurementIn.model_validate(_cleaned(_cells(header, row))))
            except ValidationError as exc:
                problems += [
                    FieldProblem(("file", number, str(e["loc"][0])), e["msg"]) for e in exc.errors()
                ]
    if problems:
        raise InvalidInputError(problems)
    return items


def _cells(header: list[str], row: list[Any]) -> dict[str, Any]:
    """A row's import columns by name (a short row: the missing ones empty)."""
    return {
        name: row[header.index(name)] if header.index(name) < len(row) else None
        for name in IMPORT_COLUMNS
    }


def _cleaned(cells: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in cells.items()}
    if isinstance(out["published_on"], date):
        out["published_on"] = out["published_on"].isoformat()[:10]
    if isinstance(out["value"], float):
        out["value"] = str(out["value"])
    if isinstance(out["value"], str):
        with contextlib.suppress(InvalidOperation):  # pydantic then names the bad value
            out["value"] = Decimal(out["value"].replace(",", "."))
    return out


def _refuse_nul(text: str) -> None:
    """PostgreSQL cannot store the NUL character in text, and no statistics file means it."""
    if "\x00" in text:
        raise InvalidInputError.single(("file",), "the file contains the NUL character")


def _csv_rows(content: bytes) -> list[list[Any]]:
    text = content.decode("utf-8-sig", errors="replace")
    _refuse_nul(text)
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except (csv.Error, IndexError):  # one column, or nothing: read it as plain CSV
        dialect = csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
    except Exception as exc:
        raise InvalidInputError.single(("file",), f"not a readable XLSX file: {exc}") from exc
    if sheet is None:
        return []
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    _refuse_nul("".join(v for r in rows for v in r if isinstance(v, str)))
    return rows


# --- the logic model and reviews ----------------------------------------------------------


async def link(
    uow: KpiUnitOfWork, goal_id: uuid.UUID, data: LinkIn, user: StaffUser
) -> ContributionPublic:
    """Declare that an output indicator contributes to one of the goal's outcomes."""
    async with uow:
        goal = await _goal(uow, goal_id)
        output = await uow.catalogue.get(data.output_indicator)
        outcome = await uow.chain.outcome_by_code(goal.programme_id, data.outcome)
        problems = []
        if output is None:
            problems.append(FieldProblem(("body", "output_indicator"), "no such indicator"))
        if outcome is None or outcome.goal_id != goal_id:
            problems.append(FieldProblem(("body", "outcome"), "no outcome indicator of this goal"))
        if output is not None and outcome is not None:
            problems += outcomes.link_problems(data.kind, output.unit, outcome.unit, output.kind)
        if problems:
            raise InvalidInputError(problems)
        assert outcome is not None
        row = await uow.chain.link(goal_id, data.output_indicator, outcome.id) or ContributionLink(
            goal_id=goal_id,
            output_indicator=data.output_indicator,
            outcome_id=outcome.id,
            kind=data.kind,
            rationale=data.rationale,
            created_by=user.username,
        )
        row.kind, row.rationale = data.kind, data.rationale
        uow.chain.add(row)
        uow.publish(
            events.ContributionLinked(
                goal_id=goal_id,
                programme_id=goal.programme_id,
                actor=user.username,
                output_indicator=data.output_indicator,
                outcome_id=outcome.id,
                kind=data.kind,
                rationale=data.rationale,
            )
        )
        await uow.commit()
        return ContributionPublic(
            output_indicator=row.output_indicator,
            outcome=outcome.code,
            kind=row.kind,
            rationale=row.rationale,
        )


async def review(
    uow: KpiUnitOfWork, goal_id: uuid.UUID, data: GoalReviewIn, user: StaffUser
) -> GoalReviewPublic:
    """A periodic review of the goal with its partners; earlier ones stay in the history."""
    async with uow:
        goal = await _goal(uow, goal_id)
        row = GoalReview(goal_id=goal_id, reviewed_by=user.username, **data.model_dump())
        uow.chain.add(row)
        uow.publish(
            events.GoalReviewed(
                goal_id=goal_id,
                programme_id=goal.programme_id,
                actor=user.username,
                **data.model_dump(),
            )
        )
        await uow.commit()
        return GoalReviewPublic.model_validate(row, from_attributes=True)


async def on_goal_money(event: funding.BudgetUsage, uow: KpiUnitOfWork) -> None:
    """Money per goal node and fund, as announced by the funding service (absolute values)."""
    await uow.chain.put_input(
        GoalInput(
            goal_id=event.goal_id,
            fund=event.fund,
            allocated=event.allocated,
            committed=event.committed,
            paid=event.paid,
        )
    )


# --- the chain view ---------------------------------------------------------------------------


async def results_chain(
    uow: KpiUnitOfWork, goal_id: uuid.UUID, years: tuple[int, int] | None = None
) -> ResultsChainPublic:
    async with uow:
        goal = await _goal(uow, goal_id)
        inputs = await uow.chain.inputs(goal_id)
        links = await uow.chain.links(goal_id)
        reviews = await uow.chain.reviews(goal_id)
        progress = await _progress_lines(uow, goal)
    outcome_list = await list_outcomes(uow, goal_id)
    # reviewed figures: approved values only, what awaits review beside them (ADR 8)
    aggregates = await queries.aggregates(uow, goal_id, None, None, None, True)
    contributions = await _contributions(uow, goal_id, links, outcome_list, years)
    return ResultsChainPublic(
        goal_id=goal.id,
        code=goal.code,
        name=goal.name,
        input=[
            MoneyPublic(fund=i.fund, allocated=i.allocated, committed=i.committed, paid=i.paid)
            for i in inputs
            if i.allocated or i.committed or i.paid
        ],
        outputs=aggregates,
        pending=_pending(progress),
        progress=progress,
        outcomes=outcome_list,
        contributions=contributions,
        reviews=[GoalReviewPublic.model_validate(r, from_attributes=True) for r in reviews],
    )


async def _progress_lines(uow: KpiUnitOfWork, goal: GoalReplica) -> list[ProjectProgressLine]:
    below = subtree(goal.id, await uow.replica.goals(goal.programme_id))
    projects = await uow.replica.projects(await uow.replica.projects_on_goals(below))
    lines = []
    for project in sorted(projects.values(), key=lambda p: p.code):
        kpis = {k.indicator_code: k for k in await uow.kpis.of_project(project.id)}
        for code, state in sorted((await uow.totals.progress(project.id)).items()):
            kpi = kpis.get(code)
            lines.append(
                ProjectProgressLine(
                    project_code=project.code,
                    indicator_code=code,
                    realised=state.realised,
                    target_value=kpi.target_value if kpi else None,
                    percent_of_target=state.percent_of_target,
                    status=state.status,
                    approved=state.approved,
                    pending_reports=state.pending_reports,
                    pending_value=state.pending_value,
                    flagged_reports=state.flagged_reports,
                )
            )
    return lines


def _pending(lines: list[ProjectProgressLine]) -> list[PendingOutputPublic]:
    found: dict[str, PendingOutputPublic] = {}
    for line in lines:
        if not line.pending_reports:
            continue
        total = found.setdefault(
            line.indicator_code,
            PendingOutputPublic(
                indicator_code=line.indicator_code, reports=0, value=None, flagged=0
            ),
        )
        total.reports += line.pending_reports
        total.flagged += line.flagged_reports
        if line.pending_value is not None:
            total.value = (total.value or Decimal(0)) + line.pending_value
    return [found[code] for code in sorted(found)]


async def _contributions(
    uow: KpiUnitOfWork,
    goal_id: uuid.UUID,
    links: list[ContributionLink],
    outcome_list: list[OutcomePublic],
    years: tuple[int, int] | None,
) -> list[ContributionPublic]:
    by_id = {o.id: o for o in outcome_list}
    result = []
    async with uow:
        kinds = {
            c: i.kind
            for c, i in (await uow.catalogue.many({lk.output_indicator for lk in links})).items()
        }
        totals = {code: await uow.totals.node_totals(goal_id, APPROVED, code) for code in kinds}
    for lk in links:
        outcome = by_id[lk.outcome_id]
        base = {
            "output_indicator": lk.output_indicator,
            "outcome": outcome.code,
            "kind": lk.kind,
            "rationale": lk.rationale,
        }
        if lk.kind != LinkKind.QUANTITATIVE:
            result.append(ContributionPublic(**base))
            continue
        measured = {int(m.period): m.value for m in outcome.trend}
        rows = {
            t.period_key: (Measure(t.value, t.numerator, t.denominator), t.projects)
            for t in totals.get(lk.output_indicator, [])
            if t.projects or t.value
        }
        kind = IndicatorKind(kinds[lk.output_indicator])
        per_year = {year: m.value for year, m in ranges.by_year(kind, rows).items()}
        found = outcomes.contribution(
            OutcomeKind(outcome.kind), measured, per_year, kinds[lk.output_indicator], years
        )
        result.append(
            ContributionPublic(
                **base,
                first_year=found.first_year,
                last_year=found.last_year,
                outputs=found.outputs,
                outcome_change=found.outcome_change,
                share=found.share,
                missing=found.missing,
            )
        )
    return result
