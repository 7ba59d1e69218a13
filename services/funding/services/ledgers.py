"""Reads of the money ledger: what is committed and paid per project and fund."""

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from services.funding.domain.funds import (
    FundSource,
)
from services.funding.domain.ledger import (
    Decision,
    Ledger,
    Movement,
    PaymentKind,
    build_ledgers,
)
from services.funding.uow import FundingUnitOfWork


async def committed(uow: FundingUnitOfWork, project_id: uuid.UUID) -> dict[FundSource, Decimal]:
    """What the project's grants commit now, per fund (the settled amount once settled)."""
    return {
        FundSource(fund): ledger.committed
        for (_, fund), ledger in (await ledgers_of(uow, [project_id])).items()
    }


async def ledger_of(uow: FundingUnitOfWork, project_id: uuid.UUID, fund: str) -> Ledger:
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
