"""The registry's tables. Its own SQLModel registry keeps them out of other services' databases."""

import uuid
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import utcnow


class RegistryBase(SQLModel, registry=registry()):
    pass


class Organisation(RegistryBase, table=True):
    __tablename__ = "organisations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40)
    kvk_number: str | None = Field(default=None, max_length=8, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Programme(RegistryBase, table=True):
    __tablename__ = "programmes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    period_start: int
    period_end: int
    region: str = Field(max_length=200)
    owner_organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisations.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class GoalNode(RegistryBase, table=True):
    __tablename__ = "goal_nodes"
    __table_args__ = (
        UniqueConstraint("programme_id", "code", name="uq_goal_nodes_programme_code"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    programme_id: uuid.UUID = Field(foreign_key="programmes.id", index=True)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="goal_nodes.id")
    kind: str = Field(max_length=40)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Project(RegistryBase, table=True):
    __tablename__ = "projects"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    programme_id: uuid.UUID = Field(foreign_key="programmes.id", index=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    lead_organisation_id: uuid.UUID = Field(foreign_key="organisations.id", index=True)
    start_date: date
    end_date: date
    municipality: str | None = Field(default=None, max_length=100)
    status: str = Field(max_length=20, index=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProjectMember(RegistryBase, table=True):
    __tablename__ = "project_members"

    project_id: uuid.UUID = Field(foreign_key="projects.id", primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisations.id", primary_key=True, index=True)
    role: str = Field(max_length=40)


class ProjectGoal(RegistryBase, table=True):
    __tablename__ = "project_goals"

    project_id: uuid.UUID = Field(foreign_key="projects.id", primary_key=True)
    goal_id: uuid.UUID = Field(foreign_key="goal_nodes.id", primary_key=True, index=True)


class ProjectStatusChange(RegistryBase, table=True):
    """Who moved a project along its lifecycle, when, and why."""

    __tablename__ = "project_status_changes"

    id: int | None = Field(default=None, primary_key=True)
    project_id: uuid.UUID = Field(foreign_key="projects.id", index=True)
    from_status: str = Field(max_length=20)
    to_status: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=2000)
    actor: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow)
