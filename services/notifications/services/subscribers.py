"""Subscribers (staff, partners, webhooks) and their subscriptions per rule and channel;
a staff user is subscribed with their roles' defaults when first seen."""

import uuid
from collections.abc import Iterable

from services.notifications.domain.recipients import (
    STAFF,
    default_subscriptions,
    webhook_url_problem,
)
from services.notifications.domain.rules import RULES, Channel
from services.notifications.models import Subscriber
from services.notifications.schemas import SubscriberIn, SubscriberPublic, SubscriptionIn
from services.notifications.services.common import subscriber_lock, username_lock
from services.notifications.services.raising import catch_up
from services.notifications.uow import NotificationsUnitOfWork
from shared.auth import StaffUser
from shared.errors import FieldProblem, InvalidInputError, NotFoundError


def _check_subscriber(data: SubscriberIn, allow_http: bool) -> list[FieldProblem]:
    problems = []
    if data.kind == "staff" and not data.username:
        problems.append(FieldProblem(("body", "username"), "a staff subscriber needs a username"))
    if data.kind == "organisation" and not data.organisation_id:
        problems.append(
            FieldProblem(("body", "organisation_id"), "a partner subscriber needs its organisation")
        )
    if data.webhook_url:
        problem = webhook_url_problem(data.webhook_url, allow_http)
        if problem:
            problems.append(FieldProblem(("body", "webhook_url"), problem))
        if data.webhook_secret is None:
            problems.append(
                FieldProblem(("body", "webhook_secret"), "a webhook needs a secret to sign with")
            )
    for n, s in enumerate(data.subscriptions or []):
        if s.rule not in RULES:
            problems.append(FieldProblem(("body", "subscriptions", n, "rule"), "no such rule"))
    return problems


async def create_subscriber(
    uow: NotificationsUnitOfWork, data: SubscriberIn, allow_http: bool
) -> SubscriberPublic:
    problems = _check_subscriber(data, allow_http)
    if problems:
        raise InvalidInputError(problems)
    async with uow:
        if data.username:
            await uow.lock(username_lock(data.username))
        if data.username and await uow.subscribers.by_username(data.username):
            raise InvalidInputError.single(("body", "username"), "this user is subscribed already")
        subscriber = Subscriber(
            kind=data.kind,
            name=data.name,
            username=data.username,
            organisation_id=data.organisation_id,
            roles=list(data.roles),
            email=data.email,
            language=data.language,
            webhook_url=data.webhook_url,
            webhook_secret=data.webhook_secret.get_secret_value() if data.webhook_secret else None,
            digest=data.digest,
        )
        uow.subscribers.add(subscriber)
        await uow.session.flush()
        pairs = (
            {(s.rule, s.channel.value) for s in data.subscriptions}
            if data.subscriptions is not None
            else default_subscriptions(
                data.kind, data.roles, bool(data.email), bool(data.webhook_url)
            )
        )
        await uow.subscribers.replace_subscriptions(subscriber.id, pairs)
        await catch_up(uow, subscriber, pairs)
        await uow.commit()
        return _subscriber_public(subscriber, pairs)


def _subscriber_public(s: Subscriber, pairs: Iterable[tuple[str, str]]) -> SubscriberPublic:
    return SubscriberPublic(
        id=s.id,
        kind=s.kind,
        name=s.name,
        username=s.username,
        organisation_id=s.organisation_id,
        roles=s.roles,
        email=s.email,
        language=s.language,
        webhook_url=s.webhook_url,
        has_webhook_secret=bool(s.webhook_secret),
        digest=s.digest,
        subscriptions=[SubscriptionIn(rule=r, channel=Channel(c)) for r, c in sorted(pairs)],
    )


async def list_subscribers(uow: NotificationsUnitOfWork) -> list[SubscriberPublic]:
    async with uow:
        subscribers = await uow.subscribers.all()
        subscriptions = await uow.subscribers.subscriptions(s.id for s in subscribers)
    pairs: dict[uuid.UUID, set[tuple[str, str]]] = {s.id: set() for s in subscribers}
    for sub in subscriptions:
        pairs[sub.subscriber_id].add((sub.rule, sub.channel))
    return [_subscriber_public(s, pairs[s.id]) for s in subscribers]


async def set_subscriptions(
    uow: NotificationsUnitOfWork, subscriber_id: uuid.UUID, wanted: list[SubscriptionIn]
) -> SubscriberPublic:
    problems = [
        FieldProblem(("body", n, "rule"), "no such rule")
        for n, s in enumerate(wanted)
        if s.rule not in RULES
    ]
    if problems:
        raise InvalidInputError(problems)
    async with uow:
        subscriber = await uow.subscribers.get(subscriber_id)
        if subscriber is None:
            raise NotFoundError(f"no subscriber {subscriber_id}")
        await uow.lock(subscriber_lock(subscriber_id))
        before = await uow.subscribers.subscriptions([subscriber_id])
        pairs = {(s.rule, s.channel.value) for s in wanted}
        await uow.subscribers.replace_subscriptions(subscriber_id, pairs)
        await catch_up(uow, subscriber, pairs - {(s.rule, s.channel) for s in before})
        await uow.commit()
        return _subscriber_public(subscriber, pairs)


async def own_subscriber(uow: NotificationsUnitOfWork, user: StaffUser) -> SubscriberPublic:
    """The signed-in user's own subscriber (made with their roles' defaults when first seen)."""
    subscriber = await subscriber_for_reading(uow, user)
    async with uow:
        found = await uow.subscribers.subscriptions([subscriber.id])
    return _subscriber_public(subscriber, {(s.rule, s.channel) for s in found})


async def set_own_subscriptions(
    uow: NotificationsUnitOfWork, user: StaffUser, wanted: list[SubscriptionIn]
) -> SubscriberPublic:
    """A staff user chooses which rules reach them, on which channels."""
    subscriber = await subscriber_for_reading(uow, user)
    return await set_subscriptions(uow, subscriber.id, wanted)


async def staff_subscriber(uow: NotificationsUnitOfWork, user: StaffUser) -> Subscriber:
    """The user's subscriber, within a writing unit of work; first seen, they get the
    defaults of their roles (and those rules' recent notifications in their feed), once
    however many of their first requests arrive together."""
    subscriber = await uow.subscribers.by_username(user.username)
    if subscriber is not None:
        return subscriber
    await uow.lock(username_lock(user.username))
    subscriber = await uow.subscribers.by_username(user.username)  # as it is under the lock
    if subscriber is None:
        roles = sorted(r.value for r in user.roles)
        subscriber = Subscriber(kind=STAFF, name=user.username, username=user.username, roles=roles)
        uow.subscribers.add(subscriber)
        await uow.session.flush()
        pairs = default_subscriptions(STAFF, roles, has_email=False, has_webhook=False)
        await uow.subscribers.replace_subscriptions(subscriber.id, pairs)
        await catch_up(uow, subscriber, pairs)
    return subscriber


async def subscriber_for_reading(uow: NotificationsUnitOfWork, user: StaffUser) -> Subscriber:
    """`staff_subscriber` for a read (a GET): found in `uow`, which writes nothing; a user
    seen for the first time is subscribed by a writing unit of work of its own first."""
    async with uow:
        subscriber = await uow.subscribers.by_username(user.username)
    if subscriber is not None:
        return subscriber
    async with uow.writer() as writer:
        subscriber = await staff_subscriber(writer, user)
        await writer.commit()
        return subscriber
