"""Projects: register, update and move through the lifecycle (members, goal links, dates,
status history), read one or a filtered page."""

import uuid
from collections.abc import Sequence

from services.projects import domain
from services.projects.domain import MemberRole, ProjectFilter, ProjectStatus
from services.projects.models import Project, ProjectStatusChange
from services.projects.schemas import (
    MemberPublic,
    Page,
    ProjectCreate,
    ProjectPublic,
    ProjectStatusChangeIn,
    ProjectUpdate,
    StatusChangePublic,
)
from services.projects.services.locks import (
    PROJECT_CODES,
    commit,
    project_lock,
)
from services.projects.uow import RegistryUnitOfWork
from shared.auth import StaffUser
from shared.contracts import projects as events
from shared.db import utcnow
from shared.errors import FieldProblem


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
        await commit(uow, "project")
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
        await commit(uow, "project")
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
        await commit(uow, "project")
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
