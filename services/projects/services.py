"""The registry's use cases. HTTP routes, the seed and the CLI all come through here.

Every change is validated by the domain rules, written with its event in one
unit of work, and committed once; a failure anywhere leaves nothing behind.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from services.projects import domain
from services.projects.domain import GoalKind, MemberRole, ProjectStatus
from services.projects.models import GoalNode, Organisation, Programme, Project, ProjectStatusChange
from services.projects.repository import ProjectFilter
from services.projects.schemas import (
    GoalNodeCreate,
    GoalNodePublic,
    GoalNodeUpdate,
    GoalTreeNode,
    MemberPublic,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
    Page,
    ProgrammeCreate,
    ProgrammePublic,
    ProgrammeUpdate,
    ProjectCreate,
    ProjectPublic,
    ProjectStatusChangeIn,
    ProjectUpdate,
    StatusChangePublic,
)
from services.projects.uow import RegistryUnitOfWork
from shared.auth import StaffUser
from shared.contracts import projects as events
from shared.db import utcnow
from shared.errors import FieldProblem

# --- locks (ADR 24) ---------------------------------------------------------------------------
# Each rule that reads, then writes takes its lock before the read, held to commit: an
# advisory lock on PostgreSQL; on SQLite the writing unit of work holds the write lock already.

ORGANISATION_NAMES = "registry.organisation-names"  # names (any case) and KvK numbers unique
PROGRAMME_NAMES = "registry.programme-names"
PROJECT_CODES = "registry.project-codes"


def goal_tree_lock(programme_id: uuid.UUID) -> str:
    """A programme's goal tree: placements, no cycles, codes unique within the programme."""
    return f"registry.goal-tree:{programme_id}"


def project_lock(project_id: uuid.UUID) -> str:
    """One project's lifecycle and version: each change starts from the state the last left."""
    return f"registry.project:{project_id}"


async def _commit(uow: RegistryUnitOfWork, what: str) -> None:
    """Commit; a unique constraint that a concurrent request won is a 409, not a 500."""
    try:
        await uow.commit()
    except IntegrityError as exc:
        await uow.rollback()
        raise domain.ConcurrentChangeError(what) from exc


# --- organisations -----------------------------------------------------------------


def _organisation_event(
    cls: type[events.OrganisationEvent], org: Organisation, actor: str
) -> events.OrganisationEvent:
    return cls(
        organisation_id=org.id, name=org.name, kind=org.kind, kvk_number=org.kvk_number, actor=actor
    )


async def _check_organisation_unique(
    uow: RegistryUnitOfWork, name: str | None, kvk: str | None, current: uuid.UUID | None = None
) -> None:
    if name and (other := await uow.organisations.by_name(name)) and other.id != current:
        raise domain.DuplicateError("organisation", "name", name)
    if kvk and (other := await uow.organisations.by_kvk(kvk)) and other.id != current:
        raise domain.DuplicateError("organisation", "kvk_number", kvk)


async def register_organisation(
    uow: RegistryUnitOfWork, data: OrganisationCreate, user: StaffUser
) -> OrganisationPublic:
    async with uow:
        await uow.lock(ORGANISATION_NAMES)
        await _check_organisation_unique(uow, data.name, data.kvk_number)
        org = Organisation(name=data.name, kind=data.kind, kvk_number=data.kvk_number)
        uow.organisations.add(org)
        uow.publish(_organisation_event(events.OrganisationRegistered, org, user.username))
        await _commit(uow, "organisation")
        return OrganisationPublic.model_validate(org, from_attributes=True)


async def update_organisation(
    uow: RegistryUnitOfWork, organisation_id: uuid.UUID, data: OrganisationUpdate, user: StaffUser
) -> OrganisationPublic:
    async with uow:
        await uow.lock(ORGANISATION_NAMES)
        org = await _organisation(uow, organisation_id)
        changes = data.model_dump(exclude_unset=True)
        await _check_organisation_unique(
            uow, changes.get("name"), changes.get("kvk_number"), org.id
        )
        for field, value in changes.items():
            setattr(org, field, value)
        org.updated_at = utcnow()
        uow.organisations.add(org)
        uow.publish(_organisation_event(events.OrganisationUpdated, org, user.username))
        await _commit(uow, "organisation")
        return OrganisationPublic.model_validate(org, from_attributes=True)


async def get_organisation(
    uow: RegistryUnitOfWork, organisation_id: uuid.UUID
) -> OrganisationPublic:
    async with uow:
        return OrganisationPublic.model_validate(
            await _organisation(uow, organisation_id), from_attributes=True
        )


async def list_organisations(
    uow: RegistryUnitOfWork, limit: int, offset: int, kind: str | None, name_contains: str | None
) -> Page[OrganisationPublic]:
    async with uow:
        rows, total = await uow.organisations.page(limit, offset, kind, name_contains)
        data = [OrganisationPublic.model_validate(r, from_attributes=True) for r in rows]
        return Page(data=data, count=total, limit=limit, offset=offset)


async def _organisation(uow: RegistryUnitOfWork, organisation_id: uuid.UUID) -> Organisation:
    org = await uow.organisations.get(organisation_id)
    if org is None:
        raise domain.UnknownRecordError("organisation", organisation_id)
    return org


# --- programmes and their goal trees -------------------------------------------------


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
        await _commit(uow, "programme")
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
        await _commit(uow, "programme")
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
        await _commit(uow, "goal")
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
        await _commit(uow, "goal")
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


# --- projects ------------------------------------------------------------------------


async def _project_view(uow: RegistryUnitOfWork, project: Project) -> ProjectPublic:
    return (await _project_views(uow, [project]))[0]


async def _project_views(
    uow: RegistryUnitOfWork, projects: Sequence[Project]
) -> list[ProjectPublic]:
    ids = [p.id for p in projects]
    members = await uow.projects.members(ids)
    goals = await uow.projects.goal_ids(ids)
    views = []
    for p in projects:
        status = ProjectStatus(p.status)
        ordered = sorted(
            members.get(p.id, []), key=lambda m: (m.role != MemberRole.LEAD, str(m.organisation_id))
        )
        views.append(
            ProjectPublic(
                id=p.id,
                code=p.code,
                name=p.name,
                description=p.description,
                programme_id=p.programme_id,
                lead_organisation_id=p.lead_organisation_id,
                members=[
                    MemberPublic(organisation_id=m.organisation_id, role=MemberRole(m.role))
                    for m in ordered
                ],
                goal_ids=sorted(goals.get(p.id, []), key=str),
                start_date=p.start_date,
                end_date=p.end_date,
                municipality=p.municipality,
                status=status,
                allowed_transitions=sorted(domain.TRANSITIONS[status]),
                version=p.version,
                created_at=p.created_at,
                updated_at=p.updated_at,
            )
        )
    return views


def _project_event(
    cls: type[events.ProjectEvent], view: ProjectPublic, actor: str, **extra: object
) -> events.ProjectEvent:
    return cls(
        project_id=view.id,
        programme_id=view.programme_id,
        code=view.code,
        name=view.name,
        description=view.description,
        lead_organisation_id=view.lead_organisation_id,
        members=tuple(
            events.ProjectMember(organisation_id=m.organisation_id, role=m.role)
            for m in view.members
        ),
        goal_ids=tuple(view.goal_ids),
        start_date=view.start_date,
        end_date=view.end_date,
        municipality=view.municipality,
        status=view.status,
        version=view.version,
        actor=actor,
        **extra,
    )


async def _check_references(
    uow: RegistryUnitOfWork,
    programme_id: uuid.UUID,
    members: dict[uuid.UUID, MemberRole],
    lead_organisation_id: uuid.UUID,
    partner_ids: Sequence[uuid.UUID],
    goal_ids: Sequence[uuid.UUID],
) -> None:
    """Every referenced organisation and goal must exist (goals in the project's programme)."""
    problems: list[FieldProblem] = []
    existing = await uow.organisations.existing_ids(members)
    if lead_organisation_id not in existing:
        problems.append(
            FieldProblem(
                ("body", "lead_organisation_id"),
                f"organisation {lead_organisation_id} does not exist",
            )
        )
    for i, org_id in enumerate(partner_ids):
        if org_id not in existing:
            problems.append(
                FieldProblem(
                    ("body", "partners", i, "organisation_id"),
                    f"organisation {org_id} does not exist",
                )
            )
    tree = {g.id for g in await uow.programmes.goals(programme_id)}
    for i, goal_id in enumerate(goal_ids):
        if goal_id not in tree:
            problems.append(
                FieldProblem(
                    ("body", "goal_ids", i), f"goal {goal_id} is not in the project's programme"
                )
            )
    if problems:
        raise domain.InvalidRegistryInputError(problems)


async def register_project(
    uow: RegistryUnitOfWork, data: ProjectCreate, user: StaffUser
) -> ProjectPublic:
    domain.check_project_dates(data.start_date, data.end_date)
    members = domain.project_members(
        data.lead_organisation_id, [(p.organisation_id, p.role) for p in data.partners]
    )
    async with uow:
        await uow.lock(PROJECT_CODES)
        if not await uow.programmes.get(data.programme_id):
            raise domain.InvalidRegistryInputError.single(
                ("body", "programme_id"), f"programme {data.programme_id} does not exist"
            )
        await _check_references(
            uow,
            data.programme_id,
            members,
            data.lead_organisation_id,
            [p.organisation_id for p in data.partners],
            data.goal_ids,
        )
        if await uow.projects.by_code(data.code):
            raise domain.DuplicateError("project", "code", data.code)
        project = Project(
            **data.model_dump(exclude={"partners", "goal_ids"}),
            status=ProjectStatus.DRAFT,
            version=1,
        )
        uow.projects.add(project)
        await uow.session.flush()
        await uow.projects.replace_members(project.id, {k: str(v) for k, v in members.items()})
        await uow.projects.replace_goals(project.id, data.goal_ids)
        await uow.session.flush()
        view = await _project_view(uow, project)
        uow.publish(_project_event(events.ProjectRegistered, view, user.username))
        await _commit(uow, "project")
        return view


async def update_project(
    uow: RegistryUnitOfWork, project_id: uuid.UUID, data: ProjectUpdate, user: StaffUser
) -> ProjectPublic:
    async with uow:
        await uow.lock(project_lock(project_id))
        project = await _project(uow, project_id)
        domain.check_editable(ProjectStatus(project.status))
        changes = data.model_dump(exclude_unset=True, exclude={"partners", "goal_ids"})
        for field, value in changes.items():  # only municipality may be null (the schema)
            setattr(project, field, value)
        domain.check_project_dates(project.start_date, project.end_date)
        current = await _project_view(uow, project)
        partners = (
            [(p.organisation_id, p.role) for p in data.partners]
            if data.partners is not None
            else [(m.organisation_id, m.role) for m in current.members if m.role != MemberRole.LEAD]
        )
        if data.partners is None and "lead_organisation_id" in changes:
            partners = [(o, r) for o, r in partners if o != project.lead_organisation_id]
        members = domain.project_members(project.lead_organisation_id, partners)
        goal_ids = data.goal_ids if data.goal_ids is not None else current.goal_ids
        await _check_references(
            uow,
            project.programme_id,
            members,
            project.lead_organisation_id,
            [o for o, _ in partners],
            goal_ids,
        )
        project.version += 1
        project.updated_at = utcnow()
        uow.projects.add(project)
        await uow.projects.replace_members(project.id, {k: str(v) for k, v in members.items()})
        await uow.projects.replace_goals(project.id, goal_ids)
        await uow.session.flush()
        view = await _project_view(uow, project)
        uow.publish(_project_event(events.ProjectUpdated, view, user.username))
        await _commit(uow, "project")
        return view


async def change_project_status(
    uow: RegistryUnitOfWork, project_id: uuid.UUID, data: ProjectStatusChangeIn, user: StaffUser
) -> ProjectPublic:
    async with uow:
        await uow.lock(project_lock(project_id))
        project = await _project(uow, project_id)
        previous = ProjectStatus(project.status)
        domain.check_transition(previous, data.status)
        project.status = data.status
        project.version += 1
        project.updated_at = utcnow()
        uow.projects.add(project)
        uow.projects.record_status_change(
            ProjectStatusChange(
                project_id=project.id,
                from_status=previous,
                to_status=data.status,
                reason=data.reason,
                actor=user.username,
            )
        )
        view = await _project_view(uow, project)
        uow.publish(
            _project_event(
                events.ProjectStatusChanged,
                view,
                user.username,
                previous_status=str(previous),
                reason=data.reason,
            )
        )
        await _commit(uow, "project")
        return view


async def get_project(uow: RegistryUnitOfWork, project_id: uuid.UUID) -> ProjectPublic:
    async with uow:
        return await _project_view(uow, await _project(uow, project_id))


async def project_status_history(
    uow: RegistryUnitOfWork, project_id: uuid.UUID
) -> list[StatusChangePublic]:
    async with uow:
        await _project(uow, project_id)
        return [
            StatusChangePublic.model_validate(c, from_attributes=True)
            for c in await uow.projects.status_history(project_id)
        ]


async def list_projects(
    uow: RegistryUnitOfWork, where: ProjectFilter, limit: int, offset: int
) -> Page[ProjectPublic]:
    async with uow:
        rows, total = await uow.projects.page(where, limit, offset)
        return Page(data=await _project_views(uow, rows), count=total, limit=limit, offset=offset)


async def _project(uow: RegistryUnitOfWork, project_id: uuid.UUID) -> Project:
    project = await uow.projects.get(project_id)
    if project is None:
        raise domain.UnknownRecordError("project", project_id)
    return project
