"""The notification service's tables: rule settings, subscribers and their subscriptions,
occurrences, notifications and deliveries (its own truth), and the replicas it judges by."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import utcnow


class NotificationsBase(SQLModel, registry=registry()):
    pass


def json_column(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class RuleSetting(NotificationsBase, table=True):
    """A rule's switch and thresholds; created from the defaults, changed by admins."""

    __tablename__ = "rule_settings"

    rule: str = Field(primary_key=True, max_length=60)
    enabled: bool = True
    params: dict[str, Any] = json_column(dict)
    updated_by: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class Subscriber(NotificationsBase, table=True):
    """A staff user (by username) or a partner organisation, with where to reach it."""

    __tablename__ = "subscribers"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=20)  # staff | organisation
    username: str | None = Field(default=None, max_length=200, unique=True)
    organisation_id: uuid.UUID | None = Field(default=None, index=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    language: str = Field(default="nl", max_length=2)
    roles: list[str] = json_column(list)
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, max_length=200)  # never returned
    digest: bool = False
    last_digest_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Subscription(NotificationsBase, table=True):
    __tablename__ = "subscriptions"

    subscriber_id: uuid.UUID = Field(foreign_key="subscribers.id", primary_key=True)
    rule: str = Field(primary_key=True, max_length=60)
    channel: str = Field(primary_key=True, max_length=20)


class OccurrenceRow(NotificationsBase, table=True):
    """That a rule's condition happened once: the guard against notifying twice."""

    __tablename__ = "occurrences"

    rule: str = Field(primary_key=True, max_length=60)
    key: str = Field(primary_key=True, max_length=300)
    notification_id: uuid.UUID
    created_at: datetime = Field(default_factory=utcnow)


class Notification(NotificationsBase, table=True):
    __tablename__ = "notifications"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    rule: str = Field(max_length=60, index=True)
    project_id: uuid.UUID | None = Field(default=None, index=True)
    title: dict[str, str] = json_column(dict)
    body: dict[str, str] = json_column(dict)
    data: dict[str, Any] = json_column(dict)
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(NotificationsBase, table=True):
    """A notification to one subscriber over one channel, and where it stands."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    notification_id: uuid.UUID = Field(foreign_key="notifications.id", index=True)
    subscriber_id: uuid.UUID = Field(foreign_key="subscribers.id", index=True)
    channel: str = Field(max_length=20)
    target: str = Field(max_length=2000)  # username, e-mail address or webhook URL
    status: str = Field(max_length=20)  # pending | delivered | failed
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    next_attempt_at: datetime | None = None
    read_at: datetime | None = None
    traceparent: str | None = Field(default=None, max_length=100)  # the trace that raised it
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class DeliveryAttempt(NotificationsBase, table=True):
    __tablename__ = "delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: uuid.UUID = Field(foreign_key="deliveries.id", index=True)
    channel: str = Field(max_length=20)
    target: str = Field(max_length=2000)
    status: str = Field(max_length=20)  # delivered | failed
    error: str | None = Field(default=None, max_length=2000)
    at: datetime = Field(default_factory=utcnow)


# --- replicas (from projects.events.v1 and kpi.events.v1) ----------------------------------


class ProjectReplica(NotificationsBase, table=True):
    __tablename__ = "replica_projects"

    id: uuid.UUID = Field(primary_key=True)
    programme_id: uuid.UUID
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    start_date: date
    end_date: date
    status: str = Field(max_length=20)
    version: int


class ProjectMemberReplica(NotificationsBase, table=True):
    __tablename__ = "replica_project_members"

    project_id: uuid.UUID = Field(primary_key=True)
    organisation_id: uuid.UUID = Field(primary_key=True, index=True)


class ReportingKpi(NotificationsBase, table=True):
    """A project KPI and how often it is reported (from kpi.target.set.v1)."""

    __tablename__ = "replica_reporting_kpis"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    frequency: str = Field(max_length=20)


class ReportCell(NotificationsBase, table=True):
    """The latest known version of a reported cell and whether any version was approved."""

    __tablename__ = "replica_report_cells"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    period: str = Field(primary_key=True, max_length=7)
    dimension_key: str = Field(primary_key=True, max_length=200)
    version: int
    state: str = Field(max_length=20)  # submitted | approved | returned
    approved_version: int | None = None
