"""Events of the notification service, on `notifications.events.v1`."""

from typing import ClassVar
from uuid import UUID

from shared.contracts import topics
from shared.contracts.base import Event, register


class NotificationRaised(Event):
    """A rule's condition occurred (once) and its notification was addressed."""

    topic: ClassVar[str] = topics.NOTIFICATIONS
    key_field: ClassVar[str] = "notification_id"
    type: ClassVar[str] = "notifications.notification.raised.v1"

    notification_id: UUID
    rule: str
    occurrence: str
    project_id: UUID | None
    title: str
    deliveries: int


class DeliveryRecorded(Event):
    """A delivery receipt: delivered, or failed after its last attempt."""

    topic: ClassVar[str] = topics.NOTIFICATIONS
    key_field: ClassVar[str] = "notification_id"
    type: ClassVar[str] = "notifications.delivery.recorded.v1"

    delivery_id: UUID
    notification_id: UUID
    rule: str
    channel: str
    status: str
    attempts: int
    error: str | None


class DeliveryFailed(DeliveryRecorded):
    """A webhook delivery that failed its last attempt, parked on the dead-letter topic."""

    topic: ClassVar[str] = topics.dlq(topics.NOTIFICATIONS)
    type: ClassVar[str] = "notifications.delivery.failed.v1"


register(NotificationRaised, DeliveryRecorded, DeliveryFailed)
