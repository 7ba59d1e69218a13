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
