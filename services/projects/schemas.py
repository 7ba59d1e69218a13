"""The registry's HTTP contract: XCreate / XUpdate in, XPublic out."""

import uuid
from datetime import date, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.projects.domain import GoalKind, MemberRole, OrganisationKind, ProjectStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    ),
]
Text = Annotated[str, StringConstraints(max_length=4000)]
Year = Annotated[int, Field(ge=1990, le=2100)]
KvkNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]

T = TypeVar("T")


class Input(BaseModel):
    """Inputs refuse unknown fields, so a misspelt field is a 422, not silently lost."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int
    limit: int
    offset: int


class OrganisationCreate(Input):
    name: Name
    kind: OrganisationKind
    kvk_number: KvkNumber | None = Field(
        default=None, description="Chamber of commerce number (8 digits)"
    )


class OrganisationUpdate(Input):
    name: Name | None = None
    kind: OrganisationKind | None = None
    kvk_number: KvkNumber | None = None


class OrganisationPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: OrganisationKind
    kvk_number: str | None
    created_at: datetime
    updated_at: datetime


class ProgrammeCreate(Input):
    name: Name
    period_start: Year
    period_end: Year
    region: Name
    owner_organisation_id: uuid.UUID | None = None


class ProgrammeUpdate(Input):
    name: Name | None = None
    period_start: Year | None = None
    period_end: Year | None = None
    region: Name | None = None
    owner_organisation_id: uuid.UUID | None = None


class ProgrammePublic(BaseModel):
    id: uuid.UUID
    name: str
    period_start: int
    period_end: int
    region: str
    owner_organisation_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class GoalNodeCreate(Input):
    kind: GoalKind
    code: Code
    name: Name
    description: Text = ""
    parent_id: uuid.UUID | None = None


class GoalNodeUpdate(Input):
    code: Code | None = None
    name: Name | None = None
    description: Text | None = None
    parent_id: uuid.UUID | None = Field(
        default=None, description="Move the node; omit to keep its place"
    )


class GoalNodePublic(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    parent_id: uuid.UUID | None
    kind: GoalKind
    code: str
    name: str
    description: str


class GoalTreeNode(GoalNodePublic):
    children: list["GoalTreeNode"] = []


class PartnerIn(Input):
    organisation_id: uuid.UUID
    role: MemberRole = MemberRole.PARTNER


class MemberPublic(BaseModel):
    organisation_id: uuid.UUID
    role: MemberRole


class ProjectCreate(Input):
    code: Code
    name: Name
    description: Text = ""
    programme_id: uuid.UUID
    lead_organisation_id: uuid.UUID
    partners: list[PartnerIn] = Field(default_factory=list, max_length=200)
    goal_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    start_date: date
    end_date: date
    municipality: Name | None = None


class ProjectUpdate(Input):
    name: Name | None = None
    description: Text | None = None
    lead_organisation_id: uuid.UUID | None = None
    partners: list[PartnerIn] | None = Field(default=None, max_length=200)
    goal_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    start_date: date | None = None
    end_date: date | None = None
    municipality: Name | None = None


class ProjectStatusChangeIn(Input):
    status: ProjectStatus
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ProjectPublic(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    description: str
    programme_id: uuid.UUID
    lead_organisation_id: uuid.UUID
    members: list[MemberPublic]
    goal_ids: list[uuid.UUID]
    start_date: date
    end_date: date
    municipality: str | None
    status: ProjectStatus
    allowed_transitions: list[ProjectStatus]
    version: int
    created_at: datetime
    updated_at: datetime


class StatusChangePublic(BaseModel):
    from_status: ProjectStatus
    to_status: ProjectStatus
    reason: str | None
    actor: str
    at: datetime
