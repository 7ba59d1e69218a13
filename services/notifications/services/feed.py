"""The in-app feed of the signed-in user: their notifications, the unread count, marking
read."""

import uuid

from services.notifications.schemas import FeedItem, UnreadCount
from services.notifications.services.subscribers import staff_subscriber, subscriber_for_reading
from services.notifications.uow import NotificationsUnitOfWork
from shared.auth import StaffUser
from shared.db import utcnow
from shared.errors import NotFoundError


async def feed(
    uow: NotificationsUnitOfWork,
    user: StaffUser,
    language: str,
    unread_only: bool,
    limit: int,
    offset: int,
) -> list[FeedItem]:
    subscriber = await subscriber_for_reading(uow, user)
    async with uow:
        deliveries = await uow.notifications.feed(subscriber.id, unread_only, limit, offset)
        notes = await uow.notifications.notifications(d.notification_id for d in deliveries)
    return [
        FeedItem(
            id=d.id,
            notification_id=d.notification_id,
            rule=notes[d.notification_id].rule,
            project_id=notes[d.notification_id].project_id,
            title=_in(notes[d.notification_id].title, language),
            body=_in(notes[d.notification_id].body, language),
            data=notes[d.notification_id].data,
            created_at=d.created_at,
            read_at=d.read_at,
        )
        for d in deliveries
    ]


def _in(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


async def unread_count(uow: NotificationsUnitOfWork, user: StaffUser) -> UnreadCount:
    subscriber = await subscriber_for_reading(uow, user)
    async with uow:
        return UnreadCount(unread=await uow.notifications.unread(subscriber.id))


async def mark_read(
    uow: NotificationsUnitOfWork, user: StaffUser, delivery_id: uuid.UUID | None
) -> UnreadCount:
    """One item (or, without an id, all of them) read."""
    async with uow:
        subscriber = await staff_subscriber(uow, user)
        now = utcnow()
        if delivery_id is None:
            await uow.notifications.mark_all_read(subscriber.id, now)
        else:
            delivery = await uow.notifications.delivery(delivery_id)
            if delivery is None or delivery.subscriber_id != subscriber.id:
                raise NotFoundError(f"no notification {delivery_id} in your feed")
            delivery.read_at = delivery.read_at or now
            uow.notifications.add(delivery)
        await uow.commit()
        return UnreadCount(unread=await uow.notifications.unread(subscriber.id))
