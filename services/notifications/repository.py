"""Data access for the notification service, one repository per aggregate; no rules here."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications.models import (
    Delivery,
    DeliveryAttempt,
    Notification,
    OccurrenceRow,
    ProjectMemberReplica,
    ProjectReplica,
    ReportCell,
    ReportingKpi,
    RuleSetting,
    Subscriber,
    Subscription,
)
from shared.db import delete_rows, table_of, upsert_replace


class RuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, setting: RuleSetting) -> None:
        self.session.add(setting)

    async def all(self) -> dict[str, RuleSetting]:
        return {r.rule: r for r in (await self.session.exec(select(RuleSetting))).all()}

    async def get(self, rule: str) -> RuleSetting | None:
        return await self.session.get(RuleSetting, rule)


class SubscriberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, item: Subscriber | Subscription) -> None:
        self.session.add(item)

    async def get(self, subscriber_id: uuid.UUID) -> Subscriber | None:
        return await self.session.get(Subscriber, subscriber_id)

    async def by_username(self, username: str) -> Subscriber | None:
        result = await self.session.exec(select(Subscriber).where(Subscriber.username == username))
        return result.first()

    async def all(self) -> list[Subscriber]:
        result = await self.session.exec(select(Subscriber).order_by(col(Subscriber.name)))
        return list(result.all())

    async def subscriptions(self, subscriber_ids: Iterable[uuid.UUID]) -> list[Subscription]:
        result = await self.session.exec(
            select(Subscription).where(col(Subscription.subscriber_id).in_(set(subscriber_ids)))
        )
        return list(result.all())

    async def subscribed_to(self, rule: str) -> list[tuple[Subscriber, str]]:
        """Every (subscriber, channel) subscribed to `rule`."""
        result = await self.session.exec(
            select(Subscriber, Subscription.channel)
            .join(Subscription, col(Subscription.subscriber_id) == col(Subscriber.id))
            .where(Subscription.rule == rule)
        )
        return [(s, c) for s, c in result.all()]

    async def replace_subscriptions(
        self, subscriber_id: uuid.UUID, pairs: Iterable[tuple[str, str]]
    ) -> None:
        await delete_rows(
            self.session, Subscription, col(Subscription.subscriber_id) == subscriber_id
        )
        for rule, channel in set(pairs):
            self.session.add(Subscription(subscriber_id=subscriber_id, rule=rule, channel=channel))


class NotificationRepository:
    """Occurrences, notifications, deliveries and their attempts."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, item: OccurrenceRow | Notification | Delivery | DeliveryAttempt) -> None:
        self.session.add(item)

    async def occurred(self, rule: str, key: str) -> bool:
        return await self.session.get(OccurrenceRow, (rule, key)) is not None

    async def get(self, notification_id: uuid.UUID) -> Notification | None:
        return await self.session.get(Notification, notification_id)

    async def notifications(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Notification]:
        result = await self.session.exec(
            select(Notification).where(col(Notification.id).in_(set(ids)))
        )
        return {n.id: n for n in result.all()}

    async def delivery(self, delivery_id: uuid.UUID) -> Delivery | None:
        return await self.session.get(Delivery, delivery_id)

    async def recent(self, rules: Iterable[str], since: datetime, limit: int) -> list[Notification]:
        """The rules' notifications raised since `since`, newest first."""
        result = await self.session.exec(
            select(Notification)
            .where(col(Notification.rule).in_(set(rules)), col(Notification.created_at) >= since)
            .order_by(col(Notification.created_at).desc())
            .limit(limit)
        )
        return list(result.all())

    async def delivered(
        self, subscriber_id: uuid.UUID, channel: str, notification_ids: Iterable[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of these notifications the subscriber has a delivery of on the channel."""
        result = await self.session.exec(
            select(Delivery.notification_id).where(
                Delivery.subscriber_id == subscriber_id,
                Delivery.channel == channel,
                col(Delivery.notification_id).in_(set(notification_ids)),
            )
        )
        return set(result.all())

    async def feed(
        self, subscriber_id: uuid.UUID, unread_only: bool, limit: int, offset: int
    ) -> list[Delivery]:
        query = select(Delivery).where(
            Delivery.subscriber_id == subscriber_id, Delivery.channel == "in_app"
        )
        if unread_only:
            query = query.where(col(Delivery.read_at).is_(None))
        result = await self.session.exec(
            query.order_by(col(Delivery.created_at).desc()).limit(limit).offset(offset)
        )
        return list(result.all())

    async def unread(self, subscriber_id: uuid.UUID) -> int:
        result = await self.session.exec(
            select(func.count()).where(
                Delivery.subscriber_id == subscriber_id,
                Delivery.channel == "in_app",
                col(Delivery.read_at).is_(None),
            )
        )
        return int(result.one())

    async def mark_all_read(self, subscriber_id: uuid.UUID, at: datetime) -> None:
        await self.session.exec(
            update(Delivery)
            .where(
                col(Delivery.subscriber_id) == subscriber_id,
                col(Delivery.channel) == "in_app",
                col(Delivery.read_at).is_(None),
            )
            .values(read_at=at)
        )

    async def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending e-mail and webhook deliveries whose next attempt is due, oldest first."""
        result = await self.session.exec(
            select(Delivery)
            .where(Delivery.status == "pending", col(Delivery.next_attempt_at) <= now)
            .order_by(col(Delivery.next_attempt_at))
            .limit(limit)
        )
        return list(result.all())

    async def deliveries(
        self, status: str | None, channel: str | None, limit: int, offset: int
    ) -> list[Delivery]:
        query = select(Delivery)
        if status:
            query = query.where(Delivery.status == status)
        if channel:
            query = query.where(Delivery.channel == channel)
        result = await self.session.exec(
            query.order_by(col(Delivery.created_at).desc()).limit(limit).offset(offset)
        )
        return list(result.all())

    async def attempts(self, delivery_id: uuid.UUID) -> list[DeliveryAttempt]:
        result = await self.session.exec(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery_id)
            .order_by(col(DeliveryAttempt.at), col(DeliveryAttempt.id))
        )
        return list(result.all())


class ReplicaRepository:
    """Projects, their members, reporting KPIs and report cells, as the events told."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, row: ProjectReplica | ReportingKpi | ReportCell, keys: list[str]) -> None:
        await upsert_replace(self.session, table_of(type(row)), [row.model_dump()], keys)

    async def project(self, project_id: uuid.UUID) -> ProjectReplica | None:
        return await self.session.get(ProjectReplica, project_id)

    async def projects(
        self, ids: Iterable[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, ProjectReplica]:
        query = select(ProjectReplica)
        if ids is not None:
            query = query.where(col(ProjectReplica.id).in_(set(ids)))
        return {p.id: p for p in (await self.session.exec(query)).all()}

    async def replace_members(
        self, project_id: uuid.UUID, organisation_ids: Iterable[uuid.UUID]
    ) -> None:
        await self.session.exec(
            delete(ProjectMemberReplica).where(col(ProjectMemberReplica.project_id) == project_id)
        )
        for organisation_id in set(organisation_ids):
            self.session.add(
                ProjectMemberReplica(project_id=project_id, organisation_id=organisation_id)
            )

    async def members(self, project_id: uuid.UUID) -> set[uuid.UUID]:
        result = await self.session.exec(
            select(ProjectMemberReplica.organisation_id).where(
                ProjectMemberReplica.project_id == project_id
            )
        )
        return set(result.all())

    async def cell(
        self, project_id: uuid.UUID, indicator: str, period: str, dimension_key: str
    ) -> ReportCell | None:
        return await self.session.get(ReportCell, (project_id, indicator, period, dimension_key))

    async def quarterly_kpis(self) -> list[ReportingKpi]:
        result = await self.session.exec(
            select(ReportingKpi).where(ReportingKpi.frequency == "quarterly")
        )
        return list(result.all())

    async def reported(self) -> set[tuple[uuid.UUID, str, str]]:
        result = await self.session.exec(
            select(ReportCell.project_id, ReportCell.indicator_code, ReportCell.period).distinct()
        )
        return {(p, i, period) for p, i, period in result.all()}

    async def unapproved(self) -> list[Any]:
        result = await self.session.exec(
            select(ReportCell.project_id, ReportCell.period).where(ReportCell.state == "submitted")
        )
        return list(result.all())
