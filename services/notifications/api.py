"""The notification service's REST API: parse, call the service layer, return. Nothing else."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status

from services.notifications import services
from services.notifications.schemas import (
    AttemptPublic,
    DeliveryPublic,
    FeedItem,
    RemindersIn,
    RemindersPublic,
    RulePublic,
    RuleUpdate,
    SubscriberIn,
    SubscriberPublic,
    SubscriptionIn,
    UnreadCount,
)
from services.notifications.uow import NotificationsUnitOfWork
from shared.auth import Role, StaffUser, Viewer, require_roles
from shared.http import writes


def get_uow(request: Request) -> NotificationsUnitOfWork:
    runtime = request.app.state.runtime
    return NotificationsUnitOfWork(
        runtime.sessions, source=runtime.settings.service_name, write=writes(request)
    )


def allow_http_webhooks(request: Request) -> bool:
    allowed: bool = request.app.state.runtime.settings.allow_http_webhooks
    return allowed


Uow = Annotated[NotificationsUnitOfWork, Depends(get_uow)]
Admin = Annotated[StaffUser, Depends(require_roles(Role.ADMIN))]
Manager = Annotated[StaffUser, Depends(require_roles(Role.PROGRAMME_MANAGER))]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Language = Annotated[Literal["nl", "en"], Query()]

router = APIRouter(prefix="/v1")


@router.get("/rules", tags=["rules"])
async def list_rules(uow: Uow, _: Viewer) -> list[RulePublic]:
    return await services.list_rules(uow)


@router.patch("/rules/{rule}", tags=["rules"])
async def update_rule(rule: str, data: RuleUpdate, uow: Uow, user: Admin) -> RulePublic:
    return await services.update_rule(uow, rule, data, user)


@router.post("/subscribers", status_code=status.HTTP_201_CREATED, tags=["subscriptions"])
async def create_subscriber(
    data: SubscriberIn,
    uow: Uow,
    _: Admin,
    allow_http: Annotated[bool, Depends(allow_http_webhooks)],
) -> SubscriberPublic:
    return await services.create_subscriber(uow, data, allow_http)


@router.get("/subscribers", tags=["subscriptions"])
async def list_subscribers(uow: Uow, _: Admin) -> list[SubscriberPublic]:
    return await services.list_subscribers(uow)


@router.get("/subscribers/me", tags=["subscriptions"])
async def my_subscriptions(uow: Uow, user: Viewer) -> SubscriberPublic:
    """The signed-in staff user's own subscriber and subscriptions."""
    return await services.own_subscriber(uow, user)


@router.put("/subscribers/me/subscriptions", tags=["subscriptions"])
async def set_my_subscriptions(
    data: list[SubscriptionIn], uow: Uow, user: Viewer
) -> SubscriberPublic:
    """Which rules reach the signed-in staff user, on which channels (replaces them all)."""
    return await services.set_own_subscriptions(uow, user, data)


@router.put("/subscribers/{subscriber_id}/subscriptions", tags=["subscriptions"])
async def set_subscriptions(
    subscriber_id: uuid.UUID, data: list[SubscriptionIn], uow: Uow, _: Admin
) -> SubscriberPublic:
    return await services.set_subscriptions(uow, subscriber_id, data)


@router.get("/feed", tags=["feed"])
async def feed(
    uow: Uow,
    user: Viewer,
    language: Language = "nl",
    unread_only: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[FeedItem]:
    """The signed-in user's in-app notifications, newest first."""
    return await services.feed(uow, user, language, unread_only, limit, offset)


@router.get("/feed/unread-count", tags=["feed"])
async def unread_count(uow: Uow, user: Viewer) -> UnreadCount:
    return await services.unread_count(uow, user)


@router.post("/feed/{delivery_id}/read", tags=["feed"])
async def mark_read(delivery_id: uuid.UUID, uow: Uow, user: Viewer) -> UnreadCount:
    return await services.mark_read(uow, user, delivery_id)


@router.post("/feed/read-all", tags=["feed"])
async def mark_all_read(uow: Uow, user: Viewer) -> UnreadCount:
    return await services.mark_read(uow, user, None)


@router.get("/deliveries", tags=["deliveries"])
async def deliveries(
    uow: Uow,
    _: Admin,
    status: Literal["pending", "digest", "delivered", "failed"] | None = None,
    channel: Literal["in_app", "email", "webhook"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[DeliveryPublic]:
    return await services.deliveries(uow, status, channel, limit, offset)


@router.get("/deliveries/{delivery_id}/attempts", tags=["deliveries"])
async def attempts(delivery_id: uuid.UUID, uow: Uow, _: Admin) -> list[AttemptPublic]:
    return await services.attempts(uow, delivery_id)


@router.post("/reminders", status_code=status.HTTP_201_CREATED, tags=["reminders"])
async def send_reminders(data: RemindersIn, uow: Uow, user: Manager) -> RemindersPublic:
    """Chase missing reports: a reminder to whoever the due/overdue rule reaches for each
    project (its partners by default), at most once a day per report."""
    return await services.send_reminders(uow, data, user)
