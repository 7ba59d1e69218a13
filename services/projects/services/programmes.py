"""Programmes and their goal trees: create and update a programme (name unique, a valid
period, an owner that exists), add and move goals (placement rules, no cycles, codes unique
within the programme), read the tree."""

import uuid

from services.projects import domain
from services.projects.domain import GoalKind
from services.projects.models import GoalNode, Programme
from services.projects.schemas import (
    GoalNodeCreate,
    GoalNodePublic,
    GoalNodeUpdate,
    GoalTreeNode,
    ProgrammeCreate,
    ProgrammePublic,
    ProgrammeUpdate,
)
from services.projects.services.locks import (
    PROGRAMME_NAMES,
    commit,
    goal_tree_lock,
)
from services.projects.uow import RegistryUnitOfWork
from shared.auth import StaffUser
from shared.contracts import projects as events
from shared.db import utcnow


def _programme_event(
    cls: type[events.ProgrammeEvent], p: Programme, actor: str
) -> events.ProgrammeEvent:
    return cls(
        programme_id=p.id,
        name=p.name,
        period_start=p.period_start,
        period_end=p.period_end,
        region=p.region,
        owner_organisation_id=p.owner_organisation_id,
        actor=actor,
    )


async def _check_owner(uow: RegistryUnitOfWork, owner_id: uuid.UUID | None) -> None:
    if owner_id and not await uow.organisations.get(owner_id):
        raise domain.InvalidRegistryInputError.single(
            ("body", "owner_organisation_id"), f"organisation {owner_id} does not exist"
        )


async def create_programme(
    uow: RegistryUnitOfWork, data: ProgrammeCreate, user: StaffUser
) -> ProgrammePublic:
    domain.check_programme_period(data.period_start, data.period_end)
    async with uow:
        await uow.lock(PROGRAMME_NAMES)
        if await uow.programmes.by_name(data.name):
            raise domain.DuplicateError("programme", "name", data.name)
        await _check_owner(uow, data.owner_organisation_id)
        programme = Programme(**data.model_dump())
        uow.programmes.add(programme)
        uow.publish(_programme_event(events.ProgrammeCreated, programme, user.username))
        await commit(uow, "programme")
        return ProgrammePublic.model_validate(programme, from_attributes=True)


async def update_programme(
    uow: RegistryUnitOfWork, programme_id: uuid.UUID, data: ProgrammeUpdate, user: StaffUser
) -> ProgrammePublic:
    async with uow:
        await uow.lock(PROGRAMME_NAMES)
        programme = await _programme(uow, programme_id)
        changes = data.model_dump(exclude_unset=True)
        other = await uow.programmes.by_name(changes["name"]) if "name" in changes else None
        if other and other.id != programme.id:
            raise domain.DuplicateError("programme", "name", changes["name"])
        await _check_owner(uow, changes.get("owner_organisation_id"))
        for field, value in changes.items():
            setattr(programme, field, value)
        domain.check_programme_period(programme.period_start, programme.period_end)
        programme.updated_at = utcnow()
        uow.programmes.add(programme)
        uow.publish(_programme_event(events.ProgrammeUpdated, programme, user.username))
        await commit(uow, "programme")
        return ProgrammePublic.model_validate(programme, from_attributes=True)


async def get_programme(uow: RegistryUnitOfWork, programme_id: uuid.UUID) -> ProgrammePublic:
    async with uow:
        return ProgrammePublic.model_validate(
            await _programme(uow, programme_id), from_attributes=True
        )


async def list_programmes(uow: RegistryUnitOfWork) -> list[ProgrammePublic]:
    async with uow:
        return [
            ProgrammePublic.model_validate(p, from_attributes=True)
            for p in await uow.programmes.all()
        ]


async def _programme(uow: RegistryUnitOfWork, programme_id: uuid.UUID) -> Programme:
    programme = await uow.programmes.get(programme_id)
    if programme is None:
        raise domain.UnknownRecordError("programme", programme_id)
    return programme


def _goal_event(cls: type[events.GoalNodeEvent], g: GoalNode, actor: str) -> events.GoalNodeEvent:
    return cls(
        goal_id=g.id,
        programme_id=g.programme_id,
        parent_id=g.parent_id,
        kind=g.kind,
        code=g.code,
        name=g.name,
        description=g.description,
        actor=actor,
    )


async def _parent_kind(
    uow: RegistryUnitOfWork, programme_id: uuid.UUID, parent_id: uuid.UUID | None
) -> GoalKind | None:
    if parent_id is None:
        return None
    parent = await uow.programmes.get_goal(parent_id)
    if parent is None or parent.programme_id != programme_id:
        raise domain.InvalidRegistryInputError.single(
            ("body", "parent_id"), f"goal {parent_id} does not exist in this programme"
        )
    return GoalKind(parent.kind)


async def add_goal(
    uow: RegistryUnitOfWork, programme_id: uuid.UUID, data: GoalNodeCreate, user: StaffUser
) -> GoalNodePublic:
    async with uow:
        await uow.lock(goal_tree_lock(programme_id))
        await _programme(uow, programme_id)
        domain.check_placement(data.kind, await _parent_kind(uow, programme_id, data.parent_id))
        if await uow.programmes.goal_by_code(programme_id, data.code):
            raise domain.DuplicateError("goal in this programme", "code", data.code)
        goal = GoalNode(
            programme_id=programme_id,
            position=await uow.programmes.next_position(programme_id, data.parent_id),
            **data.model_dump(),
        )
        uow.programmes.add(goal)
        uow.publish(_goal_event(events.GoalNodeAdded, goal, user.username))
        await commit(uow, "goal")
        return GoalNodePublic.model_validate(goal, from_attributes=True)


async def update_goal(
    uow: RegistryUnitOfWork,
    programme_id: uuid.UUID,
    goal_id: uuid.UUID,
    data: GoalNodeUpdate,
    user: StaffUser,
) -> GoalNodePublic:
    async with uow:
        await uow.lock(goal_tree_lock(programme_id))
        goal = await uow.programmes.get_goal(goal_id)
        if goal is None or goal.programme_id != programme_id:
            raise domain.UnknownRecordError("goal", goal_id)
        changes = data.model_dump(exclude_unset=True)
        if (
            "code" in changes
            and (other := await uow.programmes.goal_by_code(programme_id, changes["code"]))
            and other.id != goal.id
        ):
            raise domain.DuplicateError("goal in this programme", "code", changes["code"])
        if "parent_id" in changes:
            await _move_goal(uow, goal, changes["parent_id"])
        for field, value in changes.items():
            setattr(goal, field, value)
        goal.updated_at = utcnow()
        uow.programmes.add(goal)
        uow.publish(_goal_event(events.GoalNodeUpdated, goal, user.username))
        await commit(uow, "goal")
        return GoalNodePublic.model_validate(goal, from_attributes=True)


async def _move_goal(
    uow: RegistryUnitOfWork, goal: GoalNode, new_parent_id: uuid.UUID | None
) -> None:
    domain.check_placement(
        GoalKind(goal.kind), await _parent_kind(uow, goal.programme_id, new_parent_id)
    )
    tree = await uow.programmes.goals(goal.programme_id)
    domain.check_no_cycle(goal.id, new_parent_id, {g.id: g.parent_id for g in tree})


async def goal_tree(uow: RegistryUnitOfWork, programme_id: uuid.UUID) -> list[GoalTreeNode]:
    async with uow:
        await _programme(uow, programme_id)
        nodes = {
            g.id: GoalTreeNode.model_validate(g, from_attributes=True)
            for g in await uow.programmes.goals(programme_id)
        }
    roots: list[GoalTreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots
