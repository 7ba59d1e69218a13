"""The logic model of a goal (which outputs contribute to which outcomes), its periodic
reviews, and the money per goal that the funding service announces."""

import uuid

from services.kpi.chain.common import known_goal
from services.kpi.domain import outcomes
from services.kpi.models import ContributionLink, GoalInput, GoalReview
from services.kpi.schemas import ContributionPublic, GoalReviewIn, GoalReviewPublic, LinkIn
from services.kpi.uow import KpiUnitOfWork
from shared.auth import StaffUser
from shared.contracts import funding
from shared.contracts import kpi as events
from shared.errors import FieldProblem, InvalidInputError


async def link(
    uow: KpiUnitOfWork, goal_id: uuid.UUID, data: LinkIn, user: StaffUser
) -> ContributionPublic:
    """Declare that an output indicator contributes to one of the goal's outcomes."""
    async with uow:
        goal = await known_goal(uow, goal_id)
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
        goal = await known_goal(uow, goal_id)
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
