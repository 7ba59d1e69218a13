"""Financing plans and their versions."""

import uuid
from collections.abc import Mapping
from datetime import date

from services.funding.domain.efficiency import leverage
from services.funding.domain.funds import (
    FundSource,
    Rate,
)
from services.funding.domain.plans import (
    PlanContext,
    PlanFigures,
    commitment_problems,
    goal_shares,
    plan_problems,
)
from services.funding.models import (
    FinancingPlan,
)
from services.funding.repository import PlanVersion
from services.funding.schemas import (
    FinancingPlanIn,
    FinancingPlanPublic,
    RatePublic,
)
from services.funding.services.budgets import announce_budget_usage
from services.funding.services.common import PlanMovedOnError, known_project, money_lock
from services.funding.services.ledgers import committed
from services.funding.services.rules import rates_for
from services.funding.uow import FundingUnitOfWork
from shared.auth import StaffUser
from shared.contracts import funding as events
from shared.errors import FieldProblem, InvalidInputError


def _figures(data: FinancingPlanIn) -> PlanFigures:
    return PlanFigures(
        data.total_costs,
        data.eligible_costs,
        data.ineligible_costs,
        {FundSource(s): a for s, a in data.contributions.items()},
    )


async def set_plan(
    uow: FundingUnitOfWork,
    project_id: uuid.UUID,
    data: FinancingPlanIn,
    user: StaffUser,
    today: date,
) -> FinancingPlanPublic:
    """A project's first plan, or an amendment (a new version, with a reason): never below
    what the fund's grants commit, and never over an amendment its author did not see."""
    async with uow:
        await uow.lock(money_lock(project_id))
        project = await known_project(uow, project_id)
        current = await uow.plans.latest_version(project_id)
        if data.based_on is not None and data.based_on != current:
            raise PlanMovedOnError(data.based_on, current)
        version = current + 1
        problems: list[FieldProblem] = []
        if version > 1 and not (data.reason and data.reason.strip()):
            problems.append(FieldProblem(("reason",), "an amendment needs a reason"))
        goal_ids = (await uow.replica.goal_ids([project_id])).get(project_id, [])
        shares, share_problems = goal_shares(goal_ids, data.goal_shares)
        config = await uow.rules.programme(project.programme_id)
        figures = _figures(data)
        context = PlanContext(
            rates=await rates_for(uow, project, today),
            municipality=project.municipality,
            jtf_territory=frozenset(config.jtf_territory if config else ()),
        )
        problems += plan_problems(figures, context) + share_problems
        problems += commitment_problems(figures, await committed(uow, project_id))
        if problems:
            raise InvalidInputError(problems)
        plan = FinancingPlan(
            project_id=project_id,
            version=version,
            total_costs=data.total_costs,
            eligible_costs=data.eligible_costs,
            ineligible_costs=data.ineligible_costs,
            reason=data.reason,
            created_by=user.username,
        )
        contributions = {s.value: a for s, a in figures.contributions.items() if a}
        uow.plans.add(plan, contributions, shares)
        uow.publish(
            events.FinancingPlanSet(
                project_id=project_id,
                programme_id=project.programme_id,
                actor=user.username,
                version=version,
                total_costs=data.total_costs,
                eligible_costs=data.eligible_costs,
                ineligible_costs=data.ineligible_costs,
                contributions=contributions,
                goal_shares={str(g): s for g, s in shares.items()},
                reason=data.reason,
            )
        )
        await announce_budget_usage(uow, project)
        await uow.commit()
        return plan_public(PlanVersion(plan, contributions, shares), context.rates)


def plan_public(
    version: PlanVersion, rates: Mapping[FundSource, Rate | None] | None = None
) -> FinancingPlanPublic:
    plan = version.plan
    figures = PlanFigures(
        plan.total_costs,
        plan.eligible_costs,
        plan.ineligible_costs,
        {FundSource(s): a for s, a in version.contributions.items()},
    )
    return FinancingPlanPublic(
        project_id=plan.project_id,
        version=plan.version,
        total_costs=plan.total_costs,
        eligible_costs=plan.eligible_costs,
        ineligible_costs=plan.ineligible_costs,
        contributions=dict(version.contributions),
        goal_shares=dict(version.goal_shares),
        public_contribution=figures.public_contribution,
        private_contribution=figures.private_contribution,
        leverage=leverage(figures.private_contribution, figures.public_contribution),
        eu_rates=[
            RatePublic(
                fund=r.fund,
                rate=r.rate,
                basis=r.basis,
                effective_from=r.effective_from,
                origin=r.origin,
            )
            for f, r in sorted((rates or {}).items())
            if r is not None and f in figures.contributions
        ],
        reason=plan.reason,
        created_by=plan.created_by,
        created_at=plan.created_at,
    )


async def plan_history(uow: FundingUnitOfWork, project_id: uuid.UUID) -> list[FinancingPlanPublic]:
    async with uow:
        await known_project(uow, project_id)
        versions = (await uow.plans.versions([project_id])).get(project_id, [])
        return [plan_public(v) for v in versions]
