"""Outcome indicators of a goal and their measurements: published statistics, revised by
publishing again, all or nothing per request."""

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

from services.kpi.chain.common import known_goal
from services.kpi.domain import outcomes
from services.kpi.domain.outcomes import Revision
from services.kpi.models import OutcomeIndicator, OutcomeMeasurement
from services.kpi.schemas import (
    MeasurementIn,
    MeasurementPublic,
    OutcomeIndicatorIn,
    OutcomePublic,
)
from services.kpi.uow import KpiUnitOfWork
from shared.auth import StaffUser
from shared.contracts import kpi as events
from shared.errors import FieldProblem, InvalidInputError, NotFoundError


async def define_outcome(
    uow: KpiUnitOfWork, goal_id: uuid.UUID, data: OutcomeIndicatorIn, user: StaffUser
) -> OutcomePublic:
    """Define (or redefine, by code) a programme-level outcome indicator of a goal."""
    problems = outcomes.definition_problems(data.baseline_date, data.target_date)
    if problems:
        raise InvalidInputError(problems)
    async with uow:
        goal = await known_goal(uow, goal_id)
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
        await known_goal(uow, goal_id)
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
