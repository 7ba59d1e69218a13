"""The registry replica: what the KPI service knows of programmes, goals and projects.

Kept from projects.events.v1 only (the registry's database is never read). A change of
a project's goal links, or of the tree above them, moves the project's totals between
goal nodes; a change of its end date re-runs its stock series (they carry forward to it).
"""

import uuid

from services.kpi.models import GoalReplica, OrganisationReplica, ProgrammeReplica, ProjectReplica
from services.kpi.projection import GOAL_TREE, Options, closures, reattribute, refresh
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import projects as events


async def on_programme(event: events.ProgrammeEvent, uow: KpiUnitOfWork) -> None:
    await uow.replica.put(
        ProgrammeReplica(
            id=event.programme_id,
            name=event.name,
            period_start=event.period_start,
            period_end=event.period_end,
        )
    )


async def on_organisation(event: events.OrganisationEvent, uow: KpiUnitOfWork) -> None:
    await uow.replica.put(OrganisationReplica(id=event.organisation_id, name=event.name))


async def on_goal(event: events.GoalNodeEvent, uow: KpiUnitOfWork) -> None:
    await uow.lock(GOAL_TREE)  # before reading the tree: totals may move (ADR 8)
    existing = await uow.replica.goal(event.goal_id)
    # A goal that moves, or one heard of only now — its event travels on another partition
    # than its projects', so they may have arrived first — changes where totals count.
    moved_or_new = existing is None or existing.parent_id != event.parent_id
    affected: dict[uuid.UUID, set[uuid.UUID]] = {}
    if moved_or_new:
        below = subtree(event.goal_id, await uow.replica.goals(event.programme_id))
        projects = await uow.replica.projects(await uow.replica.projects_on_goals(below))
        affected = await closures(uow, projects)
    await uow.replica.put(
        GoalReplica(
            id=event.goal_id,
            programme_id=event.programme_id,
            parent_id=event.parent_id,
            kind=event.kind,
            code=event.code,
            name=event.name,
        )
    )
    if affected:
        await uow.session.flush()
        projects = await uow.replica.projects(affected)
        after = await closures(uow, projects)
        for project_id, before in affected.items():
            await reattribute(uow, project_id, before, after.get(project_id, set()))


def subtree(root: uuid.UUID, goals: list[GoalReplica]) -> set[uuid.UUID]:
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for g in goals:
        children.setdefault(g.parent_id, []).append(g.id)
    found, frontier = {root}, [root]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


async def on_project(event: events.ProjectEvent, uow: KpiUnitOfWork, options: Options) -> None:
    await uow.lock(GOAL_TREE)  # before reading its links: totals may move (ADR 8)
    existing = await uow.replica.project(event.project_id)
    if existing is not None and existing.version >= event.version:
        return  # an older state than the one we hold
    before = (await closures(uow, {existing.id: existing}))[existing.id] if existing else set()
    project = ProjectReplica(
        id=event.project_id,
        programme_id=event.programme_id,
        code=event.code,
        name=event.name,
        lead_organisation_id=event.lead_organisation_id,
        start_date=event.start_date,
        end_date=event.end_date,
        status=event.status,
        version=event.version,
    )
    await uow.replica.put(project)
    await uow.replica.replace_project_links(
        event.project_id, [(m.organisation_id, m.role) for m in event.members], event.goal_ids
    )
    await uow.session.flush()
    after = (await closures(uow, {project.id: project}))[project.id]
    await reattribute(uow, project.id, before, after)
    # Reports heard of before the project had no dates to measure progress by; changed
    # dates move a stock's horizon and the expected values: either way, measure again.
    dates = (event.end_date, event.start_date)
    if existing is None or (existing.end_date, existing.start_date) != dates:
        keys = await uow.projection.keys_of_projects([project.id])
        if keys:
            await refresh(uow, keys, options)
