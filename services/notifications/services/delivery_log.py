"""The delivery log: every delivery and each attempt at it, for an admin to check."""

import uuid

from services.notifications.schemas import AttemptPublic, DeliveryPublic
from services.notifications.uow import NotificationsUnitOfWork
from shared.errors import NotFoundError


async def deliveries(
    uow: NotificationsUnitOfWork, status: str | None, channel: str | None, limit: int, offset: int
) -> list[DeliveryPublic]:
    async with uow:
        rows = await uow.notifications.deliveries(status, channel, limit, offset)
    return [DeliveryPublic.model_validate(d, from_attributes=True) for d in rows]


async def attempts(uow: NotificationsUnitOfWork, delivery_id: uuid.UUID) -> list[AttemptPublic]:
    async with uow:
        if await uow.notifications.delivery(delivery_id) is None:
            raise NotFoundError(f"no delivery {delivery_id}")
        rows = await uow.notifications.attempts(delivery_id)
    return [AttemptPublic.model_validate(a, from_attributes=True) for a in rows]
