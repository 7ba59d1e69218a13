"""Budgets and the programme's money along its goal tree."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from services.funding.domain import allocation
from services.funding.domain.allocation import ProjectMoney, Usage
from services.funding.domain.efficiency import COUNTABLE_KINDS
from services.funding.domain.funds import (
    FundSource,
)
from services.funding.domain.ledger import Ledger
from services.funding.domain.plans import (
    PlanFigures,
    goal_shares,
)
from services.funding.models import Budget, ProjectReplica, RealisedOutput
from services.funding.repository import PlanVersion
from services.funding.schemas import (
    BudgetIn,
    BudgetLinePublic,
)
from services.funding.services.common import require_programme
from services.funding.services.ledgers import ledgers_of
from services.funding.uow import FundingUnitOfWork
from shared.auth import StaffUser
from shared.contracts import funding as events
from shared.errors import InvalidInputError


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


async def money_of(
    uow: FundingUnitOfWork, projects: list[ProjectReplica], until: date | None = None
) -> list[ProjectMoney]:
    """Each project's money per fund, its goal shares and its realised outputs."""
    ids = [p.id for p in projects]
    plans = await uow.plans.latest(ids)
    links = await uow.replica.goal_ids(ids)
    ledgers = await ledgers_of(uow, ids, until)
    outputs = _outputs_by_project(await uow.outputs.realised(ids))
    return [
        _project_money(
            p, plans.get(p.id), links.get(p.id, []), ledgers, outputs.get(p.id, ProjectOutputs())
        )
        for p in projects
    ]


@dataclass
class ProjectOutputs:
    """A project's countable outputs as the KPI service announced them, per indicator:
    the approved value (reviewed figures only, ADR 8), the reports awaiting review with
    their value, and the unit."""

    approved: dict[str, Decimal] = field(default_factory=dict)
    pending: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    units: dict[str, str | None] = field(default_factory=dict)


def _outputs_by_project(rows: Iterable[RealisedOutput]) -> dict[uuid.UUID, ProjectOutputs]:
    found: dict[uuid.UUID, ProjectOutputs] = defaultdict(ProjectOutputs)
    for o in rows:
        if o.indicator_kind not in COUNTABLE_KINDS:
            continue
        mine = found[o.project_id]
        mine.units[o.indicator_code] = o.unit
        if o.approved is not None:
            mine.approved[o.indicator_code] = o.approved
        if o.pending_reports:
            mine.pending[o.indicator_code] = (o.pending_reports, o.pending_value or Decimal(0))
    return found


def _project_money(
    project: ProjectReplica,
    plan: PlanVersion | None,
    goal_ids: list[uuid.UUID],
    ledgers: Mapping[tuple[object, str], Ledger],
    outputs: ProjectOutputs,
) -> ProjectMoney:
    """The project's money: committed and paid from its ledgers; public and private money
    from its latest plan; goal shares from the plan, else split evenly over its goals."""
    shares = plan.goal_shares if plan and plan.goal_shares else goal_shares(goal_ids, None)[0]
    figures = PlanFigures(
        Decimal(0),
        Decimal(0),
        Decimal(0),
        {FundSource(s): a for s, a in (plan.contributions if plan else {}).items()},
    )
    own = {fund: ledger for (pid, fund), ledger in ledgers.items() if pid == project.id}
    return ProjectMoney(
        project_id=project.id,
        committed={f: lg.committed for f, lg in own.items()},
        paid={f: lg.paid for f, lg in own.items()},
        public=figures.public_contribution,
        private=figures.private_contribution,
        shares=shares,
        realised=dict(outputs.approved),
        units=outputs.units,
        pending=outputs.pending,
    )


async def _usage(uow: FundingUnitOfWork, programme_id: uuid.UUID) -> list[Usage]:
    goals = await uow.replica.goals(programme_id)
    tree = allocation.subtrees({g.id: g.parent_id for g in goals})
    budgets = {(b.goal_id, b.fund): b.amount for b in await uow.budgets.of_programme(programme_id)}
    money = await money_of(uow, await uow.replica.projects_of(programme_id))
    return allocation.budget_usage(tree, budgets, money)


async def announce_budget_usage(uow: FundingUnitOfWork, project: ProjectReplica) -> None:
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
