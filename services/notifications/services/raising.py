"""Raising a notification once per occurrence, addressed to its subscribers: in the app at
once, e-mail and webhooks for the delivery loop."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from services.notifications.domain.recipients import STAFF, may_receive
from services.notifications.domain.rules import Channel, Occurrence
from services.notifications.models import Delivery, Notification, OccurrenceRow, Subscriber
from services.notifications.services.common import occurrence_lock
from services.notifications.uow import NotificationsUnitOfWork
from shared.contracts import notifications as events
from shared.db import utcnow
from shared.metrics import DELIVERIES
from shared.telemetry import current_traceparent


async def raise_notification(
    uow: NotificationsUnitOfWork, occurrence: Occurrence, now: datetime | None = None
) -> Notification | None:
    """Address the occurrence's notification to its subscribers, unless it occurred before.

    Runs inside the caller's unit of work (an event's or a tick's), so the occurrence,
    the notification and its deliveries commit with the event's inbox row. Checked under
    the occurrence's lock: a redelivered event handled by two workers at once raises it once.
    """
    await uow.lock(occurrence_lock(occurrence))
    return await _raise_locked(uow, occurrence, now)


async def raise_notifications(uow: NotificationsUnitOfWork, occurrences: list[Occurrence]) -> int:
    """`raise_notification` for each of several occurrences (a tick's); how many were new.

    The locks of those not raised yet are taken together, in name order, so two workers
    ticking at the same moment neither deadlock nor raise one twice."""
    fresh = [o for o in occurrences if not await uow.notifications.occurred(o.rule, o.key)]
    await uow.lock(*(occurrence_lock(o) for o in fresh))
    return sum([await _raise_locked(uow, o) is not None for o in fresh])


async def _raise_locked(
    uow: NotificationsUnitOfWork, occurrence: Occurrence, now: datetime | None = None
) -> Notification | None:
    if await uow.notifications.occurred(occurrence.rule, occurrence.key):
        return None
    now = now or utcnow()
    notification = Notification(
        rule=occurrence.rule,
        project_id=occurrence.project_id,
        title=dict(occurrence.title),
        body=dict(occurrence.body),
        data=dict(occurrence.data),
        created_at=now,
    )
    uow.notifications.add(notification)
    uow.notifications.add(
        OccurrenceRow(rule=occurrence.rule, key=occurrence.key, notification_id=notification.id)
    )
    members = await uow.replica.members(occurrence.project_id) if occurrence.project_id else set()
    count = 0
    for subscriber, channel in await uow.subscribers.subscribed_to(occurrence.rule):
        if not may_receive(
            subscriber.kind, subscriber.organisation_id, occurrence.project_id, members
        ):
            continue
        delivery = _delivery(notification, subscriber, Channel(channel), now)
        if delivery is not None:
            uow.notifications.add(delivery)
            count += 1
            if delivery.status == "delivered":
                DELIVERIES.labels(delivery.channel, "delivered").inc()
    uow.publish(
        events.NotificationRaised(
            notification_id=notification.id,
            rule=occurrence.rule,
            occurrence=occurrence.key,
            project_id=occurrence.project_id,
            title=occurrence.title["en"],
            deliveries=count,
        )
    )
    return notification


def _delivery(
    notification: Notification, subscriber: Subscriber, channel: Channel, now: datetime
) -> Delivery | None:
    """In the app at once; e-mail and webhooks by the delivery loop (e-mail daily if wanted)."""
    target = {
        Channel.IN_APP: subscriber.username,
        Channel.EMAIL: subscriber.email,
        Channel.WEBHOOK: subscriber.webhook_url,
    }[channel]
    if not target:
        return None
    in_app = channel is Channel.IN_APP
    digest = channel is Channel.EMAIL and subscriber.digest
    return Delivery(
        notification_id=notification.id,
        subscriber_id=subscriber.id,
        channel=channel,
        target=target,
        status="delivered" if in_app else "digest" if digest else "pending",
        next_attempt_at=None if in_app or digest else now,
        created_at=now,
        updated_at=now,
        traceparent=current_traceparent(),
    )


# A new in-app subscription looks back this far, for at most this many notifications.
CATCH_UP = timedelta(days=90)
CATCH_UP_LIMIT = 200


async def catch_up(
    uow: NotificationsUnitOfWork,
    subscriber: Subscriber,
    added: Iterable[tuple[str, str]],
    now: datetime | None = None,
) -> int:
    """A new in-app subscription starts with its rule's notifications of the last 90 days
    (the newest 200) that the subscriber may see: whoever subscribes — a programme manager
    signing in for the first time, say — finds what stands (reports overdue, a cut-off
    coming), not only what is raised from then on. Within the caller's unit of work; other
    channels do not look back (nobody wants last quarter's news by e-mail). Returns how
    many were added to the feed."""
    rules = {rule for rule, channel in added if channel == Channel.IN_APP}
    if not rules or not subscriber.username:
        return 0
    found = await uow.notifications.recent(rules, (now or utcnow()) - CATCH_UP, CATCH_UP_LIMIT)
    held = await uow.notifications.delivered(subscriber.id, Channel.IN_APP, (n.id for n in found))
    count = 0
    for notification in found:
        if notification.id in held or not await _may_see(uow, subscriber, notification):
            continue
        delivery = _delivery(notification, subscriber, Channel.IN_APP, notification.created_at)
        if delivery is not None:
            uow.notifications.add(delivery)
            DELIVERIES.labels(delivery.channel, "delivered").inc()
            count += 1
    return count


async def _may_see(
    uow: NotificationsUnitOfWork, subscriber: Subscriber, notification: Notification
) -> bool:
    project_id = notification.project_id
    staff = subscriber.kind == STAFF
    members = await uow.replica.members(project_id) if project_id and not staff else set()
    return may_receive(subscriber.kind, subscriber.organisation_id, project_id, members)
