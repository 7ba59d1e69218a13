"""What the notification API accepts and returns. Secrets go in, never out."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from services.notifications.domain.rules import Channel
from shared.inputs import IsoDate, Omittable

Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RulePublic(BaseModel):
    rule: str
    description: str
    audiences: list[str]
    enabled: bool
    params: dict[str, Any]


class RuleUpdate(Input):
    enabled: Omittable[bool] = None
    params: Omittable[dict[str, Any]] = Field(default=None, description="thresholds to change")


class SubscriptionIn(Input):
    rule: str
    channel: Channel


class SubscriberIn(Input):
    kind: Literal["staff", "organisation"]
    name: Name
    username: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    organisation_id: uuid.UUID | None = None
    roles: list[Literal["viewer", "programme_manager", "finance_officer", "admin"]] = []
    email: Email | None = None
    language: Literal["nl", "en"] = "nl"
    webhook_url: Annotated[str, Field(max_length=2000)] | None = None
    webhook_secret: SecretStr | None = Field(
        default=None, min_length=16, description="signs webhook bodies; never returned"
    )
    digest: bool = Field(default=False, description="e-mails once a day instead of at once")
    subscriptions: list[SubscriptionIn] | None = Field(
        default=None, description="leave out for the defaults of the subscriber's role"
    )


class SubscriberPublic(BaseModel):
    id: uuid.UUID
    kind: str
    name: str
    username: str | None
    organisation_id: uuid.UUID | None
    roles: list[str]
    email: str | None
    language: str
    webhook_url: str | None
    has_webhook_secret: bool
    digest: bool
    subscriptions: list[SubscriptionIn]


class FeedItem(BaseModel):
    id: uuid.UUID  # the delivery
    notification_id: uuid.UUID
    rule: str
    project_id: uuid.UUID | None
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    notification_id: uuid.UUID
    subscriber_id: uuid.UUID
    channel: str
    target: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AttemptPublic(BaseModel):
    channel: str
    target: str
    status: str
    error: str | None
    at: datetime


class ReminderIn(Input):
    """A report a programme manager chases: the project, the KPI and the period missing."""

    project_id: uuid.UUID
    indicator: Annotated[str, Field(min_length=1, max_length=60)]
    period: Annotated[str, Field(pattern=r"^\d{4}(-Q[1-4])?$", max_length=7)]
    due_on: IsoDate | None = Field(default=None, description="when it is (was) due, as shown")


class RemindersIn(Input):
    reminders: list[ReminderIn] = Field(min_length=1, max_length=200)


class RemindersPublic(BaseModel):
    sent: int = Field(description="reminders raised now")
    already: int = Field(description="reminded today already (sent once a day per report)")
