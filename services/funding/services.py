"""The funding service's use cases: rules, plans, grants, payments, budgets and the views.

HTTP routes and event handlers call these and nothing else; each checks the domain
rules, writes with its events in one unit of work and commits once. A refused request
changes nothing.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from services.funding.domain import allocation
from services.funding.domain.allocation import ProjectMoney, Usage
from services.funding.domain.efficiency import COUNTABLE_KINDS, leverage
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
from services.funding.domain.ledger import (
    Decision,
    Ledger,
    Movement,
    PaymentKind,
    build_ledgers,
    decommitment_problems,
    payment_problems,
    settlement,
    settlement_problems,
)
from services.funding.domain.plans import (
    PlanContext,
    PlanFigures,
    commitment_problems,
    goal_shares,
    plan_problems,
)
from services.funding.models import (
    Budget,
    CeilingRuleRow,
    FinancingPlan,
    GrantDecision,
    GrantDecommitment,
    Payment,
    PriorityRateRow,
    ProgrammeFunding,
    ProjectReplica,
    Settlement,
)
from services.funding.repository import PlanVersion
from services.funding.schemas import (
    BudgetIn,
    BudgetLinePublic,
    CeilingRuleIn,
    CeilingRulePublic,
    DecommitmentIn,
    DecommitmentPublic,
    EfficiencyPublic,
    FinancingPlanIn,
    FinancingPlanPublic,
    GrantDecisionIn,
    GrantDecisionPublic,
    LedgerPublic,
    OutputCostPublic,
    PaymentIn,
    PaymentPublic,
    PriorityRateIn,
    PriorityRatePublic,
    ProgrammeFundingIn,
    ProgrammeFundingPublic,
    ProjectMoneyPublic,
    RatePublic,
    SettlementIn,
    SettlementPublic,
)
from services.funding.uow import FundingUnitOfWork
from shared.auth import StaffUser
from shared.contracts import funding as events
from shared.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError


class UnknownError(NotFoundError):
    pass


class PlanMovedOnError(ConflictError):
    """An amendment drawn up from a version that another amendment has since replaced: saving
    it would silently undo the other one's changes."""

    def __init__(self, based_on: int, current: int) -> None:
        super().__init__(
            f"the plan is at version {current}, not {based_on}: another amendment came first; "
            f"draw this one up from version {current}",
            current_version=current,
        )


# --- locks (ADR 24) ---------------------------------------------------------------------------
# Taken before the state a rule checks is read; held to commit. On SQLite a writing unit of
# work already holds the database's write lock, so these cost nothing there.

RULES_LOCK = "funding.rules"  # ceilings, priority rates, programme settings


def money_lock(project_id: uuid.UUID) -> str:
    """A project's plan, grants, de-commitments, payments and settlements: every money rule of
    one project (payments <= committed - paid, grants <= plan, plan >= committed, plan
    versions, settlement once, recoveries <= paid) reads and writes under it."""
    return f"funding.project-money:{project_id}"


def reference_lock(reference: str) -> str:
    """A decision's reference (kenmerk) is unique across projects."""
    return f"funding.decision-reference:{reference}"


# --- rules ----------------------------------------------------------------------------------


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


async def require_programme(uow: FundingUnitOfWork, programme_id: uuid.UUID) -> None:
    if await uow.replica.programme(programme_id) is None:
        raise UnknownError(f"programme {programme_id} is not known (yet) to the funding service")


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


# --- financing plans ------------------------------------------------------------------------


async def _project(uow: FundingUnitOfWork, project_id: uuid.UUID) -> ProjectReplica:
    project = await uow.replica.project(project_id)
    if project is None:
        raise UnknownError(f"project {project_id} is not known (yet) to the funding service")
    return project


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
        project = await _project(uow, project_id)
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
        problems += commitment_problems(figures, await _committed(uow, project_id))
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
        await _announce_budget_usage(uow, project)
        await uow.commit()
        return _plan_public(PlanVersion(plan, contributions, shares), context.rates)


def _plan_public(
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
        await _project(uow, project_id)
        versions = (await uow.plans.versions([project_id])).get(project_id, [])
        return [_plan_public(v) for v in versions]


# --- grants, payments, settlements ----------------------------------------------------------


async def _committed(uow: FundingUnitOfWork, project_id: uuid.UUID) -> dict[FundSource, Decimal]:
    """What the project's grants commit now, per fund (the settled amount once settled)."""
    return {
        FundSource(fund): ledger.committed
        for (_, fund), ledger in (await ledgers_of(uow, [project_id])).items()
    }


async def _ledger(uow: FundingUnitOfWork, project_id: uuid.UUID, fund: str) -> Ledger:
    ledgers = await ledgers_of(uow, [project_id])
    return ledgers.get((project_id, fund), Ledger(Decimal(0), Decimal(0)))


async def ledgers_of(
    uow: FundingUnitOfWork, project_ids: Iterable[uuid.UUID], until: date | None = None
) -> dict[tuple[object, str], Ledger]:
    ids = list(project_ids)
    return build_ledgers(
        [
            *(
                Decision(g.project_id, g.fund, g.amount, g.decided_on)
                for g in await uow.money.grants(ids)
            ),
            *(
                Decision(d.project_id, d.fund, -d.amount, d.decided_on)
                for d in await uow.money.decommitments(ids)
            ),
        ],
        [
            Movement(p.project_id, p.fund, PaymentKind(p.kind), p.amount, p.paid_on)
            for p in await uow.money.payments(ids)
        ],
        [
            Decision(s.project_id, s.fund, s.amount, s.settled_on)
            for s in await uow.money.settlements(ids)
        ],
        until,
    )


async def decide_grant(
    uow: FundingUnitOfWork, project_id: uuid.UUID, data: GrantDecisionIn, user: StaffUser
) -> GrantDecisionPublic:
    """A grant decision commits money of one fund, up to what the plan foresees from it."""
    async with uow:
        await uow.lock(money_lock(project_id), reference_lock(data.reference))
        project = await _project(uow, project_id)
        if await uow.money.reference_taken(data.reference):
            raise ConflictError("a decision with this reference exists", reference=data.reference)
        plan = (await uow.plans.latest([project_id])).get(project_id)
        planned = Decimal(plan.contributions.get(data.fund, 0)) if plan else Decimal(0)
        ledger = await _ledger(uow, project_id, data.fund)
        if ledger.settled:
            raise InvalidInputError.single(("fund",), "this fund's grant is already settled")
        if ledger.committed + data.amount > planned:
            raise InvalidInputError.single(
                ("amount",),
                f"{data.fund.value} would commit {ledger.committed + data.amount}, more than the "
                f"{planned} the financing plan foresees from it",
            )
        grant = GrantDecision(project_id=project_id, created_by=user.username, **data.model_dump())
        uow.money.add(grant)
        uow.publish(
            events.GrantDecided(
                project_id=project_id,
                programme_id=project.programme_id,
                actor=user.username,
                grant_id=grant.id,
                fund=data.fund,
                amount=data.amount,
                decided_on=data.decided_on,
                reference=data.reference,
                committed_total=ledger.committed + data.amount,
            )
        )
        await uow.session.flush()
        await _announce_budget_usage(uow, project)
        await uow.commit()
        return GrantDecisionPublic.model_validate(grant)


async def decommit(
    uow: FundingUnitOfWork, project_id: uuid.UUID, data: DecommitmentIn, user: StaffUser
) -> DecommitmentPublic:
    """Amend a fund's grants down (a de-commitment): never below what has been paid, never
    once settled. The way to lower the plan below what is committed: this first, then the
    plan amendment."""
    async with uow:
        await uow.lock(money_lock(project_id), reference_lock(data.reference))
        project = await _project(uow, project_id)
        if await uow.money.reference_taken(data.reference):
            raise ConflictError("a decision with this reference exists", reference=data.reference)
        ledger = await _ledger(uow, project_id, data.fund)
        problems = decommitment_problems(ledger, data.amount)
        if problems:
            raise InvalidInputError(problems)
        row = GrantDecommitment(
            project_id=project_id, created_by=user.username, **data.model_dump()
        )
        uow.money.add(row)
        uow.publish(
            events.GrantDecommitted(
                project_id=project_id,
                programme_id=project.programme_id,
                actor=user.username,
                decommitment_id=row.id,
                fund=data.fund,
                amount=data.amount,
                decided_on=data.decided_on,
                reference=data.reference,
                reason=data.reason,
                committed_total=ledger.committed - data.amount,
            )
        )
        await uow.session.flush()
        await _announce_budget_usage(uow, project)
        await uow.commit()
        return DecommitmentPublic.model_validate(row)


async def pay(
    uow: FundingUnitOfWork, project_id: uuid.UUID, data: PaymentIn, user: StaffUser
) -> PaymentPublic:
    """An advance, interim payment or recovery; never more than remains committed."""
    if data.kind is PaymentKind.FINAL:
        raise InvalidInputError.single(("kind",), "a final payment follows from a settlement")
    async with uow:
        await uow.lock(money_lock(project_id))
        project = await _project(uow, project_id)
        ledger = await _ledger(uow, project_id, data.fund)
        problems = payment_problems(ledger, data.kind, data.amount)
        if problems:
            raise InvalidInputError(problems)
        payment = _payment(
            uow,
            project,
            data.fund,
            data.kind,
            data.amount,
            data.paid_on,
            data.reference,
            ledger,
            user,
        )
        await uow.session.flush()
        await _announce_budget_usage(uow, project)
        await uow.commit()
        return PaymentPublic.model_validate(payment)


def _payment(
    uow: FundingUnitOfWork,
    project: ProjectReplica,
    fund: str,
    kind: PaymentKind,
    amount: Decimal,
    paid_on: date,
    reference: str,
    ledger: Ledger,
    user: StaffUser,
) -> Payment:
    payment = Payment(
        project_id=project.id,
        fund=fund,
        kind=kind,
        amount=amount,
        paid_on=paid_on,
        reference=reference,
        created_by=user.username,
    )
    uow.money.add(payment)
    after = ledger.after(kind, amount)
    uow.publish(
        events.PaymentMade(
            project_id=project.id,
            programme_id=project.programme_id,
            actor=user.username,
            payment_id=payment.id,
            fund=fund,
            kind=kind,
            amount=amount,
            paid_on=paid_on,
            committed_total=after.committed,
            paid_total=after.paid,
        )
    )
    return payment


async def settle(
    uow: FundingUnitOfWork, project_id: uuid.UUID, data: SettlementIn, user: StaffUser
) -> SettlementPublic:
    """The final settlement: the balance is paid, or what was paid too much is recovered."""
    async with uow:
        await uow.lock(money_lock(project_id))
        project = await _project(uow, project_id)
        ledger = await _ledger(uow, project_id, data.fund)
        problems = settlement_problems(ledger, data.amount)
        if problems:
            raise InvalidInputError(problems)
        uow.money.add(
            Settlement(
                project_id=project_id,
                fund=data.fund,
                amount=data.amount,
                settled_on=data.settled_on,
                reference=data.reference,
                created_by=user.username,
            )
        )
        settled = Ledger(data.amount, ledger.paid, settled=True)
        caused = settlement(settled, data.amount)
        payment = None
        if caused is not None:
            kind, amount = caused
            payment = _payment(
                uow,
                project,
                data.fund,
                kind,
                amount,
                data.settled_on,
                data.reference,
                settled,
                user,
            )
            settled = settled.after(kind, amount)
        uow.publish(
            events.GrantSettled(
                project_id=project_id,
                programme_id=project.programme_id,
                actor=user.username,
                fund=data.fund,
                settled_amount=data.amount,
                settled_on=data.settled_on,
                reference=data.reference,
            )
        )
        await uow.session.flush()
        await _announce_budget_usage(uow, project)
        await uow.commit()
        return SettlementPublic(
            fund=data.fund,
            amount=data.amount,
            settled_on=data.settled_on,
            reference=data.reference,
            payment=PaymentPublic.model_validate(payment) if payment else None,
            ledger=_ledger_public(data.fund, settled),
        )


def _ledger_public(fund: str, ledger: Ledger) -> LedgerPublic:
    return LedgerPublic(
        fund=fund,
        committed=ledger.committed,
        paid=ledger.paid,
        remaining=ledger.remaining,
        settled=ledger.settled,
    )


async def project_money(uow: FundingUnitOfWork, project_id: uuid.UUID) -> ProjectMoneyPublic:
    async with uow:
        project = await _project(uow, project_id)
        plan = (await uow.plans.latest([project_id])).get(project_id)
        rates = await rates_for(uow, project, date.today()) if plan else None
        ledgers = await ledgers_of(uow, [project_id])
        return ProjectMoneyPublic(
            project_id=project.id,
            code=project.code,
            name=project.name,
            plan=_plan_public(plan, rates) if plan else None,
            grants=[
                GrantDecisionPublic.model_validate(g) for g in await uow.money.grants([project_id])
            ],
            decommitments=[
                DecommitmentPublic.model_validate(d)
                for d in await uow.money.decommitments([project_id])
            ],
            payments=[
                PaymentPublic.model_validate(p) for p in await uow.money.payments([project_id])
            ],
            ledgers=[
                _ledger_public(fund, ledger)
                for (_, fund), ledger in sorted(ledgers.items(), key=lambda i: i[0][1])
            ],
        )


# --- budgets and the programme's money along its goal tree ------------------------------------


async def set_budget(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, data: BudgetIn, user: StaffUser
) -> BudgetLinePublic:
    async with uow:
        await require_programme(uow, programme_id)
        goal = await uow.replica.goal(data.goal_id)
        if goal is None or goal.programme_id != programme_id:
            raise InvalidInputError.single(("goal_id",), "not a goal node of this programme")
        await uow.budgets.put(
            Budget(
                programme_id=programme_id,
                goal_id=data.goal_id,
                fund=data.fund,
                amount=data.amount,
                set_by=user.username,
            )
        )
        usage = await _usage(uow, programme_id)
        line = next(u for u in usage if (u.goal_id, u.fund) == (data.goal_id, data.fund.value))
        _publish_usage(uow, programme_id, [line], {goal.id: goal.code})
        await uow.commit()
        return _line_public(line, {g.id: g for g in await uow.replica.goals(programme_id)})


async def budget_lines(uow: FundingUnitOfWork, programme_id: uuid.UUID) -> list[BudgetLinePublic]:
    async with uow:
        await require_programme(uow, programme_id)
        goals = {g.id: g for g in await uow.replica.goals(programme_id)}
        return [_line_public(u, goals) for u in await _usage(uow, programme_id)]


def _line_public(usage: Usage, goals: Mapping[uuid.UUID, object]) -> BudgetLinePublic:
    goal = goals[usage.goal_id]
    return BudgetLinePublic(
        goal_id=usage.goal_id,
        code=goal.code,  # type: ignore[attr-defined]
        name=goal.name,  # type: ignore[attr-defined]
        kind=goal.kind,  # type: ignore[attr-defined]
        parent_id=goal.parent_id,  # type: ignore[attr-defined]
        fund=usage.fund,
        allocated=usage.allocated,
        committed=usage.committed,
        paid=usage.paid,
        remaining=usage.remaining,
        committed_share=usage.committed_share,
        absorption_rate=usage.absorption_rate,
    )


async def _money_of(
    uow: FundingUnitOfWork, projects: list[ProjectReplica], until: date | None = None
) -> list[ProjectMoney]:
    """Each project's money per fund, its goal shares and its realised outputs."""
    ids = [p.id for p in projects]
    plans = await uow.plans.latest(ids)
    links = await uow.replica.goal_ids(ids)
    ledgers = await ledgers_of(uow, ids, until)
    outputs: dict[uuid.UUID, dict[str, tuple[Decimal, str | None]]] = {}
    pending: dict[uuid.UUID, dict[str, tuple[int, Decimal]]] = {}
    units_of: dict[uuid.UUID, dict[str, str | None]] = {}
    for o in await uow.outputs.realised(ids):
        if o.indicator_kind not in COUNTABLE_KINDS:
            continue
        units_of.setdefault(o.project_id, {})[o.indicator_code] = o.unit
        if o.approved is not None:  # reviewed figures only (ADR 8)
            outputs.setdefault(o.project_id, {})[o.indicator_code] = (o.approved, o.unit)
        if o.pending_reports:
            pending.setdefault(o.project_id, {})[o.indicator_code] = (
                o.pending_reports,
                o.pending_value or Decimal(0),
            )
    found = []
    for p in projects:
        plan = plans.get(p.id)
        shares = (
            plan.goal_shares
            if plan and plan.goal_shares
            else goal_shares(links.get(p.id, []), None)[0]
        )
        figures = PlanFigures(
            Decimal(0),
            Decimal(0),
            Decimal(0),
            {FundSource(s): a for s, a in (plan.contributions if plan else {}).items()},
        )
        own = {fund: ledger for (pid, fund), ledger in ledgers.items() if pid == p.id}
        realised = outputs.get(p.id, {})
        found.append(
            ProjectMoney(
                project_id=p.id,
                committed={f: lg.committed for f, lg in own.items()},
                paid={f: lg.paid for f, lg in own.items()},
                public=figures.public_contribution,
                private=figures.private_contribution,
                shares=shares,
                realised={c: v for c, (v, _) in realised.items()},
                units=units_of.get(p.id, {}),
                pending=pending.get(p.id, {}),
            )
        )
    return found


async def _usage(uow: FundingUnitOfWork, programme_id: uuid.UUID) -> list[Usage]:
    goals = await uow.replica.goals(programme_id)
    tree = allocation.subtrees({g.id: g.parent_id for g in goals})
    budgets = {(b.goal_id, b.fund): b.amount for b in await uow.budgets.of_programme(programme_id)}
    money = await _money_of(uow, await uow.replica.projects_of(programme_id))
    return allocation.budget_usage(tree, budgets, money)


async def _announce_budget_usage(uow: FundingUnitOfWork, project: ProjectReplica) -> None:
    """The project's money moved: say where every goal node stands in each of its funds.

    Every node, not only those above the project's goals now: a new plan may have moved
    money away from a node, whose figures then drop (to zero, which is news too).
    """
    goals = await uow.replica.goals(project.programme_id)
    usage = {(u.goal_id, u.fund): u for u in await _usage(uow, project.programme_id)}
    plan = (await uow.plans.latest([project.id])).get(project.id)
    funds = set(plan.contributions) if plan else set()
    funds |= {fund for (_, fund) in await ledgers_of(uow, [project.id])}
    lines = [
        usage.get((g.id, fund), Usage(g.id, fund, Decimal(0), Decimal(0), Decimal(0)))
        for g in goals
        for fund in sorted(funds)
    ]
    _publish_usage(uow, project.programme_id, lines, {g.id: g.code for g in goals})


def _publish_usage(
    uow: FundingUnitOfWork,
    programme_id: uuid.UUID,
    lines: Iterable[Usage],
    codes: Mapping[uuid.UUID, str],
) -> None:
    for u in lines:
        uow.publish(
            events.BudgetUsage(
                programme_id=programme_id,
                goal_id=u.goal_id,
                goal_code=codes.get(u.goal_id, ""),
                fund=u.fund,
                allocated=u.allocated,
                committed=u.committed,
                paid=u.paid,
                committed_share=u.committed_share,
            )
        )


# --- efficiency -----------------------------------------------------------------------------


def _efficiency_public(
    scope: str, id_: uuid.UUID, code: str, name: str, e: allocation.Efficiency
) -> EfficiencyPublic:
    return EfficiencyPublic(
        scope=scope,
        id=id_,
        code=code,
        name=name,
        committed=e.committed,
        paid=e.paid,
        public_contribution=e.public,
        private_contribution=e.private,
        leverage=e.leverage,
        outputs=[
            OutputCostPublic(
                indicator_code=o.indicator_code,
                unit=o.unit,
                realised=o.realised,
                committed_per_unit=o.committed_per_unit,
                paid_per_unit=o.paid_per_unit,
                pending_reports=o.pending_reports,
                pending_value=o.pending_value,
            )
            for o in e.outputs
        ],
    )


async def efficiency(uow: FundingUnitOfWork, programme_id: uuid.UUID) -> list[EfficiencyPublic]:
    """Cost per output unit and leverage: the programme, each goal node, each project."""
    async with uow:
        await require_programme(uow, programme_id)
        programme = await uow.replica.programme(programme_id)
        assert programme is not None
        goals = await uow.replica.goals(programme_id)
        tree = allocation.subtrees({g.id: g.parent_id for g in goals})
        projects = await uow.replica.projects_of(programme_id)
        money = await _money_of(uow, projects)
        result = [
            _efficiency_public(
                "programme",
                programme_id,
                "",
                programme.name,
                allocation.efficiency((m, Decimal(1)) for m in money),
            )
        ]
        for goal in goals:
            parts = [(m, allocation.node_share(m.shares, tree[goal.id])) for m in money]
            counted = [(m, part) for m, part in parts if part]
            if counted:
                result.append(
                    _efficiency_public(
                        "goal", goal.id, goal.code, goal.name, allocation.efficiency(counted)
                    )
                )
        for project, m in zip(projects, money, strict=True):
            result.append(
                _efficiency_public(
                    "project",
                    project.id,
                    project.code,
                    project.name,
                    allocation.efficiency([(m, Decimal(1))]),
                )
            )
        return result
