"""The Drenthe demo's money: INVENTED figures, for showing the platform, not facts.

The evaluation material gives no project budgets, so every amount below is made up to be
plausible (EFRO at or below the 60% ceiling of a transition region, the province as the
main co-financer, some private money). The programme's category of region (transition)
and the JTF territory (the places named in reference/eu_cofinancing_notes.md §4) are
from the reference notes. The seed waits until the registry's projects have reached
this service's replica, and leaves a project that already has a plan alone.
"""

import uuid
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from services.funding import services
from services.funding.domain.funds import FundSource, RegionCategory
from services.funding.domain.ledger import PaymentKind
from services.funding.models import ProjectReplica
from services.funding.schemas import (
    BudgetIn,
    FinancingPlanIn,
    GrantDecisionIn,
    PaymentIn,
    ProgrammeFundingIn,
    SettlementIn,
)
from services.funding.uow import FundingUnitOfWork
from shared.auth import Role, StaffUser
from shared.seeding import wait_for_projects, wait_until

SEEDER = StaffUser(username="seed", roles=frozenset({Role.ADMIN}))
JTF_TERRITORY = ["Groningen", "Delfzijl", "Eemshaven", "Emmen"]
E = FundSource


class DemoPlan(NamedTuple):
    total: str
    eligible: str
    contributions: dict[FundSource, str]
    paid_share: str  # of each commitment, paid out in an advance and an interim payment
    settle_efro_at: str | None = None


# Invented demo figures (see the module docstring).
PLANS: dict[str, DemoPlan] = {
    "IBDO": DemoPlan(
        "400000", "380000", {E.EFRO: "190000", E.PROVINCE: "170000", E.PRIVATE: "40000"}, "0.7"
    ),
    "SPT": DemoPlan(
        "600000",
        "600000",
        {E.EFRO: "240000", E.PROVINCE: "240000", E.NATIONAL: "60000", E.PRIVATE: "60000"},
        "0.6",
    ),
    "HHR": DemoPlan(
        "1200000",
        "1100000",
        {E.EFRO: "500000", E.MUNICIPALITY: "200000", E.PROVINCE: "300000", E.PRIVATE: "200000"},
        "0.7",
    ),
    "CHEMPORT": DemoPlan(
        "2000000", "1800000", {E.EFRO: "900000", E.PROVINCE: "700000", E.PRIVATE: "400000"}, "0.5"
    ),
    "NICE": DemoPlan(
        "300000",
        "300000",
        {E.EFRO: "150000", E.PROVINCE: "100000", E.PRIVATE: "50000"},
        "0.7",
        "140000",
    ),
}
BUDGET_PER_LINE = {E.EFRO: Decimal("1000000"), E.PROVINCE: Decimal("800000")}


async def seed_demo(uow: FundingUnitOfWork, timeout_s: float = 60) -> int:
    """Set up the demo programme's money; returns how many projects got a plan now."""
    projects = await wait_for_projects(
        uow, lambda code: uow.replica.project_by_code(code), list(PLANS), timeout_s
    )
    if not projects:
        return 0
    programme_id = next(iter(projects.values())).programme_id

    async def programme_and_goals_known() -> bool:
        # Programme, goal and project events travel on different partitions.
        known = {g.id for g in await uow.replica.goals(programme_id)}
        linked = await uow.replica.goal_ids(p.id for p in projects.values())
        wanted = {g for goals in linked.values() for g in goals}
        return await uow.replica.programme(programme_id) is not None and wanted <= known

    if not await wait_until(uow, programme_and_goals_known, timeout_s):
        return 0
    await _programme(uow, programme_id)
    seeded = 0
    for code, demo in PLANS.items():
        project = projects.get(code)
        if project is None:
            continue
        async with uow:
            if await uow.plans.latest_version(project.id):
                continue
        await _project(uow, project, demo)
        seeded += 1
    return seeded


async def _programme(uow: FundingUnitOfWork, programme_id: uuid.UUID) -> None:
    await services.set_programme_funding(
        uow,
        programme_id,
        ProgrammeFundingIn(region_category=RegionCategory.TRANSITION, jtf_territory=JTF_TERRITORY),
        SEEDER,
    )
    async with uow:
        lines = [g for g in await uow.replica.goals(programme_id) if g.parent_id is None]
    for line in lines:
        for fund, amount in BUDGET_PER_LINE.items():
            await services.set_budget(
                uow, programme_id, BudgetIn(goal_id=line.id, fund=fund, amount=amount), SEEDER
            )


async def _project(uow: FundingUnitOfWork, project: ProjectReplica, demo: DemoPlan) -> None:
    contributions = {s: Decimal(a) for s, a in demo.contributions.items()}
    total, eligible = Decimal(demo.total), Decimal(demo.eligible)
    plan = FinancingPlanIn(
        total_costs=total,
        eligible_costs=eligible,
        ineligible_costs=total - eligible,
        contributions=contributions,
    )
    await services.set_plan(uow, project.id, plan, SEEDER, date.today())
    start = date(2016, 4, 1)
    for fund, amount in contributions.items():
        if fund is E.PRIVATE:
            continue
        reference = f"DEMO-{project.code}-{fund.value.upper()}"
        await services.decide_grant(
            uow,
            project.id,
            GrantDecisionIn(fund=fund, amount=amount, decided_on=start, reference=reference),
            SEEDER,
        )
        paid = (amount * Decimal(demo.paid_share)).quantize(Decimal("0.01"))
        advance = (paid / 2).quantize(Decimal("0.01"))
        for kind, part, on in (
            (PaymentKind.ADVANCE, advance, date(2016, 5, 1)),
            (PaymentKind.INTERIM, paid - advance, date(2018, 6, 30)),
        ):
            await services.pay(
                uow, project.id, PaymentIn(fund=fund, kind=kind, amount=part, paid_on=on), SEEDER
            )
    if demo.settle_efro_at:
        await services.settle(
            uow,
            project.id,
            SettlementIn(
                fund=E.EFRO,
                amount=Decimal(demo.settle_efro_at),
                settled_on=date(2020, 3, 31),
                reference=f"DEMO-{project.code}-EFRO-SETTLED",
            ),
            SEEDER,
        )
