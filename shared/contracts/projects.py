"""Events of the project registry, on `projects.events.v1`.

They carry the full state of what changed (event-carried state transfer), so a
consumer keeps its replica of programmes, goals, organisations and projects from
these alone, without ever calling the registry.
"""

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.contracts import topics
from shared.contracts.base import Event, register


class ProgrammeEvent(Event):
    topic: ClassVar[str] = topics.PROJECTS
    key_field: ClassVar[str] = "programme_id"

    programme_id: UUID
    name: str
    period_start: int
    period_end: int
    region: str
    owner_organisation_id: UUID | None
    actor: str


class ProgrammeCreated(ProgrammeEvent):
    type: ClassVar[str] = "projects.programme.created.v1"


class ProgrammeUpdated(ProgrammeEvent):
    type: ClassVar[str] = "projects.programme.updated.v1"


class GoalNodeEvent(Event):
    """A node of a programme's goal tree; keyed by programme so a tree arrives in order."""

    topic: ClassVar[str] = topics.PROJECTS
    key_field: ClassVar[str] = "programme_id"

    goal_id: UUID
    programme_id: UUID
    parent_id: UUID | None
    kind: str
    code: str
    name: str
    description: str
    actor: str


class GoalNodeAdded(GoalNodeEvent):
    type: ClassVar[str] = "projects.goal.added.v1"


class GoalNodeUpdated(GoalNodeEvent):
    type: ClassVar[str] = "projects.goal.updated.v1"


class OrganisationEvent(Event):
    topic: ClassVar[str] = topics.PROJECTS
    key_field: ClassVar[str] = "organisation_id"

    organisation_id: UUID
    name: str
    kind: str
    kvk_number: str | None
    actor: str


class OrganisationRegistered(OrganisationEvent):
    type: ClassVar[str] = "projects.organisation.registered.v1"


class OrganisationUpdated(OrganisationEvent):
    type: ClassVar[str] = "projects.organisation.updated.v1"


class ProjectMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    organisation_id: UUID
    role: str


class ProjectEvent(Event):
    """A project's whole registry record after the change; `version` counts the changes."""

    topic: ClassVar[str] = topics.PROJECTS
    key_field: ClassVar[str] = "project_id"

    project_id: UUID
    programme_id: UUID
    code: str
    name: str
    description: str
    lead_organisation_id: UUID
    members: tuple[ProjectMember, ...]
    goal_ids: tuple[UUID, ...]
    start_date: date
    end_date: date
    municipality: str | None
    status: str
    version: int
    actor: str


class ProjectRegistered(ProjectEvent):
    type: ClassVar[str] = "projects.project.registered.v1"


class ProjectUpdated(ProjectEvent):
    type: ClassVar[str] = "projects.project.updated.v1"


class ProjectStatusChanged(ProjectEvent):
    """The status moved along its lifecycle; carries the state too, and where it came from."""

    type: ClassVar[str] = "projects.project.status_changed.v1"

    previous_status: str
    reason: str | None = None


register(
    ProgrammeCreated,
    ProgrammeUpdated,
    GoalNodeAdded,
    GoalNodeUpdated,
    OrganisationRegistered,
    OrganisationUpdated,
    ProjectRegistered,
    ProjectUpdated,
    ProjectStatusChanged,
)
