"""Co-financing rules: ceilings, programme settings, priority rates."""

import uuid
from datetime import date

from services.funding.domain.funds import (
    EU_FUNDS,
    CeilingRule,
    FundSource,
    PriorityRate,
    Rate,
    RateBasis,
    RegionCategory,
    applicable_rate,
    ceiling_in_force,
)
from services.funding.models import (
    CeilingRuleRow,
    PriorityRateRow,
    ProgrammeFunding,
    ProjectReplica,
)
from services.funding.schemas import (
    CeilingRuleIn,
    CeilingRulePublic,
    PriorityRateIn,
    PriorityRatePublic,
    ProgrammeFundingIn,
    ProgrammeFundingPublic,
)
from services.funding.services.common import RULES_LOCK, UnknownError, require_programme
from services.funding.uow import FundingUnitOfWork
from shared.auth import StaffUser
from shared.contracts import funding as events
from shared.errors import ConflictError, InvalidInputError


async def list_ceilings(uow: FundingUnitOfWork) -> list[CeilingRulePublic]:
    async with uow:
        return [CeilingRulePublic.model_validate(r) for r in await uow.rules.ceilings()]


async def set_ceiling(
    uow: FundingUnitOfWork, data: CeilingRuleIn, user: StaffUser
) -> CeilingRulePublic:
    """A ceiling from a date on; the same fund, category and date again replaces it."""
    if data.fund not in EU_FUNDS:
        raise InvalidInputError.single(("fund",), "only EU funds (efro, jtf) have a ceiling")
    async with uow:
        await uow.lock(RULES_LOCK)  # one row per fund, category and date
        row = await uow.rules.ceiling(data.fund, data.region_category, data.effective_from)
        if row is None:
            row = CeilingRuleRow(
                fund=data.fund,
                region_category=data.region_category,
                effective_from=data.effective_from,
                rate=data.rate,
                basis=data.basis,
                created_by=user.username,
            )
        row.rate, row.basis, row.source = data.rate, data.basis, data.source
        row.created_by = user.username
        uow.rules.add(row)
        uow.publish(
            events.CeilingRuleSet(
                fund=data.fund,
                region_category=data.region_category,
                programme_id=None,
                goal_id=None,
                rate=data.rate,
                basis=data.basis,
                effective_from=data.effective_from,
                actor=user.username,
            )
        )
        await uow.commit()
        return CeilingRulePublic.model_validate(row)


async def get_programme_funding(
    uow: FundingUnitOfWork, programme_id: uuid.UUID
) -> ProgrammeFundingPublic:
    async with uow:
        config = await uow.rules.programme(programme_id)
        if config is None:
            raise UnknownError(f"programme {programme_id} has no funding settings")
        return ProgrammeFundingPublic.model_validate(config)


async def set_programme_funding(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, data: ProgrammeFundingIn, user: StaffUser
) -> ProgrammeFundingPublic:
    async with uow:
        await uow.lock(RULES_LOCK)  # one row per programme
        await require_programme(uow, programme_id)
        config = await uow.rules.programme(programme_id) or ProgrammeFunding(
            programme_id=programme_id,
            region_category=data.region_category,
            updated_by=user.username,
        )
        config.region_category = data.region_category
        config.jtf_territory = sorted(set(data.jtf_territory))
        config.updated_by = user.username
        uow.rules.add(config)
        await uow.commit()
        return ProgrammeFundingPublic.model_validate(config)


async def list_priority_rates(
    uow: FundingUnitOfWork, programme_id: uuid.UUID
) -> list[PriorityRatePublic]:
    async with uow:
        return [
            PriorityRatePublic.model_validate(r)
            for r in await uow.rules.priority_rates(programme_id)
        ]


async def set_priority_rate(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, data: PriorityRateIn, user: StaffUser
) -> PriorityRatePublic:
    """The rate approved for a priority; never above the ceiling in force on its date."""
    async with uow:
        await uow.lock(RULES_LOCK)  # one row per priority, fund and date
        config = await _programme_config(uow, programme_id)
        goal = await uow.replica.goal(data.goal_id)
        if goal is None or goal.programme_id != programme_id:
            raise InvalidInputError.single(("goal_id",), "not a goal node of this programme")
        ceiling = ceiling_in_force(
            await _ceilings(uow),
            data.fund,
            RegionCategory(config.region_category),
            data.effective_from,
        )
        if data.fund not in EU_FUNDS or ceiling is None:
            raise InvalidInputError.single(
                ("fund",), f"no ceiling for {data.fund.value} is in force"
            )
        if data.rate > ceiling.rate:
            raise InvalidInputError.single(
                ("rate",), f"{data.rate} is above the ceiling: {ceiling.describe()}"
            )
        row = await uow.rules.priority_rate(
            programme_id, data.goal_id, data.fund, data.effective_from
        ) or PriorityRateRow(
            programme_id=programme_id,
            goal_id=data.goal_id,
            fund=data.fund,
            effective_from=data.effective_from,
            rate=data.rate,
            basis=data.basis,
            set_by=user.username,
        )
        row.rate, row.basis, row.set_by = data.rate, data.basis, user.username
        uow.rules.add(row)
        uow.publish(
            events.CeilingRuleSet(
                fund=data.fund,
                region_category=config.region_category,
                programme_id=programme_id,
                goal_id=data.goal_id,
                rate=data.rate,
                basis=data.basis,
                effective_from=data.effective_from,
                actor=user.username,
            )
        )
        await uow.commit()
        return PriorityRatePublic.model_validate(row)


async def _ceilings(uow: FundingUnitOfWork) -> list[CeilingRule]:
    return [
        CeilingRule(
            FundSource(r.fund),
            RegionCategory(r.region_category),
            r.rate,
            RateBasis(r.basis),
            r.effective_from,
        )
        for r in await uow.rules.ceilings()
    ]


async def _programme_config(uow: FundingUnitOfWork, programme_id: uuid.UUID) -> ProgrammeFunding:
    await require_programme(uow, programme_id)
    config = await uow.rules.programme(programme_id)
    if config is None:
        raise ConflictError(
            "set the programme's category of region first", programme_id=str(programme_id)
        )
    return config


async def rates_for(
    uow: FundingUnitOfWork, project: ProjectReplica, on: date
) -> dict[FundSource, Rate | None]:
    """The rate of each EU fund for a project: its programme's priority rate or the ceiling."""
    config = await uow.rules.programme(project.programme_id)
    if config is None:
        return dict.fromkeys(EU_FUNDS)
    ceilings = await _ceilings(uow)
    goals = {g.id: g for g in await uow.replica.goals(project.programme_id)}
    priorities: set[uuid.UUID] = set()
    for goal_id in (await uow.replica.goal_ids([project.id])).get(project.id, []):
        cursor: uuid.UUID | None = goal_id
        while cursor is not None and cursor not in priorities:
            priorities.add(cursor)
            cursor = goals[cursor].parent_id if cursor in goals else None
    priority_rates = [
        PriorityRate(
            r.goal_id,
            goals[r.goal_id].code if r.goal_id in goals else "?",
            FundSource(r.fund),
            r.rate,
            RateBasis(r.basis),
            r.effective_from,
        )
        for r in await uow.rules.priority_rates(project.programme_id)
    ]
    category = RegionCategory(config.region_category)
    return {
        fund: applicable_rate(
            ceiling_in_force(ceilings, fund, category, on), priority_rates, fund, priorities, on
        )
        for fund in EU_FUNDS
    }
