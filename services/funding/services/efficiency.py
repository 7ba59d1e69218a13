"""Cost per output and leverage: the programme, each goal node, each project."""

import uuid
from decimal import Decimal

from services.funding.domain import allocation
from services.funding.schemas import (
    EfficiencyPublic,
    OutputCostPublic,
)
from services.funding.services.budgets import money_of
from services.funding.services.common import require_programme
from services.funding.uow import FundingUnitOfWork


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
        money = await money_of(uow, projects)
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
