"""The registry's REST API: parse, call the service layer, return. Nothing else."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from services.projects import services
from services.projects.domain import OrganisationKind, ProjectFilter, ProjectStatus
from services.projects.schemas import (
    GoalNodeCreate,
    GoalNodePublic,
    GoalNodeUpdate,
    GoalTreeNode,
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
from shared.auth import Role, StaffUser, Viewer, require_roles
from shared.http import writes


def get_uow(request: Request) -> RegistryUnitOfWork:
    runtime = request.app.state.runtime
    return RegistryUnitOfWork(
        runtime.sessions, source=runtime.settings.service_name, write=writes(request)
    )


Uow = Annotated[RegistryUnitOfWork, Depends(get_uow)]
Editor = Annotated[StaffUser, Depends(require_roles(Role.PROGRAMME_MANAGER))]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]

router = APIRouter(prefix="/v1")


@router.post("/organisations", status_code=status.HTTP_201_CREATED, tags=["organisations"])
async def register_organisation(
    data: OrganisationCreate, uow: Uow, user: Editor
) -> OrganisationPublic:
    return await services.register_organisation(uow, data, user)


@router.get("/organisations", tags=["organisations"])
async def list_organisations(
    uow: Uow,
    _: Viewer,
    limit: Limit = 50,
    offset: Offset = 0,
    kind: OrganisationKind | None = None,
    q: Annotated[str | None, Query(max_length=200, description="part of the name")] = None,
) -> Page[OrganisationPublic]:
    return await services.list_organisations(uow, limit, offset, kind, q)


@router.get("/organisations/{organisation_id}", tags=["organisations"])
async def get_organisation(organisation_id: uuid.UUID, uow: Uow, _: Viewer) -> OrganisationPublic:
    return await services.get_organisation(uow, organisation_id)


@router.patch("/organisations/{organisation_id}", tags=["organisations"])
async def update_organisation(
    organisation_id: uuid.UUID, data: OrganisationUpdate, uow: Uow, user: Editor
) -> OrganisationPublic:
    return await services.update_organisation(uow, organisation_id, data, user)


@router.post("/programmes", status_code=status.HTTP_201_CREATED, tags=["programmes"])
async def create_programme(data: ProgrammeCreate, uow: Uow, user: Editor) -> ProgrammePublic:
    return await services.create_programme(uow, data, user)


@router.get("/programmes", tags=["programmes"])
async def list_programmes(uow: Uow, _: Viewer) -> list[ProgrammePublic]:
    return await services.list_programmes(uow)


@router.get("/programmes/{programme_id}", tags=["programmes"])
async def get_programme(programme_id: uuid.UUID, uow: Uow, _: Viewer) -> ProgrammePublic:
    return await services.get_programme(uow, programme_id)


@router.patch("/programmes/{programme_id}", tags=["programmes"])
async def update_programme(
    programme_id: uuid.UUID, data: ProgrammeUpdate, uow: Uow, user: Editor
) -> ProgrammePublic:
    return await services.update_programme(uow, programme_id, data, user)


@router.get("/programmes/{programme_id}/goals", tags=["programmes"])
async def goal_tree(programme_id: uuid.UUID, uow: Uow, _: Viewer) -> list[GoalTreeNode]:
    """The programme's goal tree: lines at the top, goals and sub-goals beneath."""
    return await services.goal_tree(uow, programme_id)


@router.post(
    "/programmes/{programme_id}/goals", status_code=status.HTTP_201_CREATED, tags=["programmes"]
)
async def add_goal(
    programme_id: uuid.UUID, data: GoalNodeCreate, uow: Uow, user: Editor
) -> GoalNodePublic:
    return await services.add_goal(uow, programme_id, data, user)


@router.patch("/programmes/{programme_id}/goals/{goal_id}", tags=["programmes"])
async def update_goal(
    programme_id: uuid.UUID, goal_id: uuid.UUID, data: GoalNodeUpdate, uow: Uow, user: Editor
) -> GoalNodePublic:
    return await services.update_goal(uow, programme_id, goal_id, data, user)


@router.post("/projects", status_code=status.HTTP_201_CREATED, tags=["projects"])
async def register_project(data: ProjectCreate, uow: Uow, user: Editor) -> ProjectPublic:
    return await services.register_project(uow, data, user)


@router.get("/projects", tags=["projects"])
async def list_projects(
    uow: Uow,
    _: Viewer,
    limit: Limit = 50,
    offset: Offset = 0,
    status: ProjectStatus | None = None,
    goal: uuid.UUID | None = None,
    organisation: uuid.UUID | None = None,
    programme: uuid.UUID | None = None,
    code: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[ProjectPublic]:
    where = ProjectFilter(status, goal, organisation, programme, code)
    return await services.list_projects(uow, where, limit, offset)


@router.get("/projects/{project_id}", tags=["projects"])
async def get_project(project_id: uuid.UUID, uow: Uow, _: Viewer) -> ProjectPublic:
    return await services.get_project(uow, project_id)


@router.patch("/projects/{project_id}", tags=["projects"])
async def update_project(
    project_id: uuid.UUID, data: ProjectUpdate, uow: Uow, user: Editor
) -> ProjectPublic:
    return await services.update_project(uow, project_id, data, user)


@router.post("/projects/{project_id}/status", tags=["projects"])
async def change_project_status(
    project_id: uuid.UUID, data: ProjectStatusChangeIn, uow: Uow, user: Editor
) -> ProjectPublic:
    """Move the project along draft → submitted → approved → running → closed.

    Rejected and withdrawn end the lifecycle early; a 409 names the allowed moves.
    """
    return await services.change_project_status(uow, project_id, data, user)


@router.get("/projects/{project_id}/status-history", tags=["projects"])
async def project_status_history(
    project_id: uuid.UUID, uow: Uow, _: Viewer
) -> list[StatusChangePublic]:
    return await services.project_status_history(uow, project_id)
