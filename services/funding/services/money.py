"""Grants, de-commitments, payments, settlements and a project's ledger."""

import uuid
from datetime import date
from decimal import Decimal

from services.funding.domain.ledger import (
    Ledger,
    PaymentKind,
    decommitment_problems,
    payment_problems,
    settlement,
    settlement_problems,
)
from services.funding.models import (
    GrantDecision,
    GrantDecommitment,
    Payment,
    ProjectReplica,
    Settlement,
)
from services.funding.schemas import (
    DecommitmentIn,
    DecommitmentPublic,
    GrantDecisionIn,
    GrantDecisionPublic,
    LedgerPublic,
    PaymentIn,
    PaymentPublic,
    ProjectMoneyPublic,
    SettlementIn,
    SettlementPublic,
)
from services.funding.services.budgets import announce_budget_usage
from services.funding.services.common import known_project, money_lock, reference_lock
from services.funding.services.ledgers import ledger_of, ledgers_of
from services.funding.services.plans import plan_public
from services.funding.services.rules import rates_for
from services.funding.uow import FundingUnitOfWork
from shared.auth import StaffUser
from shared.contracts import funding as events
from shared.errors import ConflictError, InvalidInputError


async def _decided_project(
    uow: FundingUnitOfWork, project_id: uuid.UUID, reference: str
) -> ProjectReplica:
    """The project a decision is for, under its money lock and its reference's lock; a
    reference is used once across projects (409)."""
    await uow.lock(money_lock(project_id), reference_lock(reference))
    project = await known_project(uow, project_id)
    if await uow.money.reference_taken(reference):
        raise ConflictError("a decision with this reference exists", reference=reference)
    return project


async def _announce_and_commit(uow: FundingUnitOfWork, project: ProjectReplica) -> None:
    """The money moved: every goal node's usage is announced with it, in one commit."""
    await uow.session.flush()
    await announce_budget_usage(uow, project)
    await uow.commit()


async def decide_grant(
    uow: FundingUnitOfWork, project_id: uuid.UUID, data: GrantDecisionIn, user: StaffUser
) -> GrantDecisionPublic:
    """A grant decision commits money of one fund, up to what the plan foresees from it."""
    async with uow:
        project = await _decided_project(uow, project_id, data.reference)
        plan = (await uow.plans.latest([project_id])).get(project_id)
        planned = Decimal(plan.contributions.get(data.fund, 0)) if plan else Decimal(0)
        ledger = await ledger_of(uow, project_id, data.fund)
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
        await _announce_and_commit(uow, project)
        return GrantDecisionPublic.model_validate(grant)


async def decommit(
    uow: FundingUnitOfWork, project_id: uuid.UUID, data: DecommitmentIn, user: StaffUser
) -> DecommitmentPublic:
    """Amend a fund's grants down (a de-commitment): never below what has been paid, never
    once settled. The way to lower the plan below what is committed: this first, then the
    plan amendment."""
    async with uow:
        project = await _decided_project(uow, project_id, data.reference)
        ledger = await ledger_of(uow, project_id, data.fund)
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
        await _announce_and_commit(uow, project)
        return DecommitmentPublic.model_validate(row)


async def pay(
    uow: FundingUnitOfWork, project_id: uuid.UUID, data: PaymentIn, user: StaffUser
) -> PaymentPublic:
    """An advance, interim payment or recovery; never more than remains committed."""
    if data.kind is PaymentKind.FINAL:
        raise InvalidInputError.single(("kind",), "a final payment follows from a settlement")
    async with uow:
        await uow.lock(money_lock(project_id))
        project = await known_project(uow, project_id)
        ledger = await ledger_of(uow, project_id, data.fund)
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
        await _announce_and_commit(uow, project)
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
        project = await known_project(uow, project_id)
        ledger = await ledger_of(uow, project_id, data.fund)
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
        await _announce_and_commit(uow, project)
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
        project = await known_project(uow, project_id)
        plan = (await uow.plans.latest([project_id])).get(project_id)
        rates = await rates_for(uow, project, date.today()) if plan else None
        ledgers = await ledgers_of(uow, [project_id])
        return ProjectMoneyPublic(
            project_id=project.id,
            code=project.code,
            name=project.name,
            plan=plan_public(plan, rates) if plan else None,
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
