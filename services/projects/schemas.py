"""The registry's HTTP contract: XCreate / XUpdate in, XPublic out."""

import uuid
from datetime import date, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.projects.domain import GoalKind, MemberRole, OrganisationKind, ProjectStatus
from shared.inputs import IsoDate, Omittable

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
    name: Omittable[Name] = None
    kind: Omittable[OrganisationKind] = None
    kvk_number: KvkNumber | None = Field(default=None, description="null: no number on record")


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
    name: Omittable[Name] = None
    period_start: Omittable[Year] = None
    period_end: Omittable[Year] = None
    region: Omittable[Name] = None
    owner_organisation_id: uuid.UUID | None = Field(default=None, description="null: no owner")


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
    code: Omittable[Code] = None
    name: Omittable[Name] = None
    description: Omittable[Text] = None
    parent_id: uuid.UUID | None = Field(
        default=None, description="Move the node; null makes it a root; omit to keep its place"
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
    start_date: IsoDate
    end_date: IsoDate
    municipality: Name | None = None


class ProjectUpdate(Input):
    name: Omittable[Name] = None
    description: Omittable[Text] = None
    lead_organisation_id: Omittable[uuid.UUID] = None
    partners: Omittable[Annotated[list[PartnerIn], Field(max_length=200)]] = None
    goal_ids: Omittable[Annotated[list[uuid.UUID], Field(max_length=100)]] = None
    start_date: Omittable[IsoDate] = None
    end_date: Omittable[IsoDate] = None
    municipality: Name | None = Field(default=None, description="null: none on record")


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
