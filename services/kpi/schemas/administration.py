"""Partner API keys and period locks."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from services.kpi.schemas.common import Input, Name, PeriodText, Reason


class ApiKeyIn(Input):
    organisation_id: uuid.UUID
    name: Name


class ApiKeyPublic(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyPublic):
    key: str = Field(description="shown once; store it now")


class PeriodLockIn(Input):
    programme_id: uuid.UUID
    period: PeriodText


class LockExceptionIn(Input):
    project_id: uuid.UUID
    period: PeriodText
    reason: Reason


class PeriodLockPublic(BaseModel):
    """A locked period of a programme: no reports or revisions for it unless excepted."""

    programme_id: uuid.UUID
    programme_name: str
    period: str
    locked_by: str
    locked_at: datetime


class LockExceptionPublic(BaseModel):
    """A project still allowed to report a (locked) period, and why."""

    project_id: uuid.UUID
    project_code: str
    project_name: str
    period: str
    reason: str
    granted_by: str
    granted_at: datetime


class ProgrammeLocksPublic(BaseModel):
    """What a programme has locked and which of its projects may still report a period."""

    programme_id: uuid.UUID
    programme_name: str
    period_start: int
    period_end: int
    locks: list[PeriodLockPublic]
    exceptions: list[LockExceptionPublic]
