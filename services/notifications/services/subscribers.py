"""The notification service's use cases: raising notifications once, subscribers and their
subscriptions, the in-app feed, rule settings and the delivery log.

Event handlers, the scheduler and HTTP routes call these; rules live in `domain`.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.notifications.domain.recipients import (
    STAFF,
    default_subscriptions,
    may_receive,
    webhook_url_problem,
)
from services.notifications.domain.rules import (
    REPORT_DUE,
    REPORT_OVERDUE,
    RULES,
    Channel,
    Occurrence,
)
from services.notifications.models import (
    Delivery,
    Notification,
    OccurrenceRow,
    RuleSetting,
    Subscriber,
)
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
from shared.auth import StaffUser
from shared.contracts import notifications as events
from shared.db import utcnow
from shared.errors import FieldProblem, InvalidInputError, NotFoundError
from shared.metrics import DELIVERIES
from shared.telemetry import current_traceparent

SYSTEM = "system"

# Named locks (ADR 24): on PostgreSQL each rule below reads, then writes, under its lock; on
# SQLite a writing unit of work holds the one write lock from its first read.
RULE_SETTINGS = "notifications.rule-settings"  # one settings row per rule


def occurrence_lock(occurrence: Occurrence) -> str:
    """An occurrence is raised once, by whichever tick or event gets here first."""
    return f"notifications.occurrence:{occurrence.rule}:{occurrence.key}"


def username_lock(username: str) -> str:
    """One subscriber per username (a staff user's first requests may arrive together)."""
    return f"notifications.username:{username}"


def subscriber_lock(subscriber_id: uuid.UUID) -> str:
    """A subscriber's subscriptions are replaced whole, and its digest sent once a day."""
    return f"notifications.subscriber:{subscriber_id}"


# --- rules ----------------------------------------------------------------------------------


async def ensure_rule_settings(uow: NotificationsUnitOfWork) -> None:
    """Every rule gets a settings row with its defaults; existing settings stay as they are."""
    async with uow:
        await uow.lock(RULE_SETTINGS)  # two workers starting together
        existing = await uow.rules.all()
        for name, spec in RULES.items():
            if name not in existing:
                uow.rules.add(RuleSetting(rule=name, params=dict(spec.defaults), updated_by=SYSTEM))
            else:
                missing = {k: v for k, v in spec.defaults.items() if k not in existing[name].params}
                if missing:
                    existing[name].params = {**existing[name].params, **missing}
                    uow.rules.add(existing[name])
        await uow.commit()


async def rule_params(uow: NotificationsUnitOfWork, rule: str) -> dict[str, Any] | None:
    """The rule's thresholds, or None when it is switched off (within an open unit of work)."""
    setting = await uow.rules.get(rule)
    if setting is None:
        return dict(RULES[rule].defaults)
    return dict(setting.params) if setting.enabled else None


async def list_rules(uow: NotificationsUnitOfWork) -> list[RulePublic]:
    async with uow:
        settings = await uow.rules.all()
    return [_rule_public(name, settings.get(name)) for name in RULES]


def _rule_public(name: str, setting: RuleSetting | None) -> RulePublic:
    spec = RULES[name]
    return RulePublic(
        rule=name,
        description=spec.description,
        audiences=[a.value for a in spec.audiences],
        enabled=setting.enabled if setting else True,
        params=setting.params if setting else dict(spec.defaults),
    )


async def update_rule(
    uow: NotificationsUnitOfWork, rule: str, data: RuleUpdate, user: StaffUser
) -> RulePublic:
    if rule not in RULES:
        raise NotFoundError(f"no rule {rule!r}")
    unknown = sorted(set(data.params or {}) - set(RULES[rule].defaults))
    if unknown:
        raise InvalidInputError(
            [FieldProblem(("body", "params", k), f"{rule} has no parameter {k}") for k in unknown]
        )
    async with uow:
        await uow.lock(RULE_SETTINGS)  # parameters merged into the current ones, none lost
        setting = await uow.rules.get(rule) or RuleSetting(
            rule=rule, params=dict(RULES[rule].defaults), updated_by=user.username
        )
        if data.enabled is not None:
            setting.enabled = data.enabled
        if data.params:
            setting.params = {**setting.params, **data.params}
        setting.updated_by, setting.updated_at = user.username, utcnow()
        uow.rules.add(setting)
        await uow.commit()
        return _rule_public(rule, setting)


# --- raising a notification -----------------------------------------------------------------


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


# --- subscribers ----------------------------------------------------------------------------


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
        pairs = {(s.rule, s.channel.value) for s in wanted}
        await uow.subscribers.replace_subscriptions(subscriber_id, pairs)
        await uow.commit()
        return _subscriber_public(subscriber, pairs)


async def own_subscriber(uow: NotificationsUnitOfWork, user: StaffUser) -> SubscriberPublic:
    """The signed-in user's own subscriber (made with their roles' defaults when first seen)."""
    subscriber = await _reader(uow, user)
    async with uow:
        found = await uow.subscribers.subscriptions([subscriber.id])
    return _subscriber_public(subscriber, {(s.rule, s.channel) for s in found})


async def set_own_subscriptions(
    uow: NotificationsUnitOfWork, user: StaffUser, wanted: list[SubscriptionIn]
) -> SubscriberPublic:
    """A staff user chooses which rules reach them, on which channels."""
    subscriber = await _reader(uow, user)
    return await set_subscriptions(uow, subscriber.id, wanted)


# --- reminders ------------------------------------------------------------------------------


async def send_reminders(
    uow: NotificationsUnitOfWork, data: RemindersIn, user: StaffUser
) -> RemindersPublic:
    """A programme manager chases missing reports: each becomes a notification of the due
    (or, past its date, the overdue) rule, to whoever that rule reaches for the project —
    its partners by default. Once a day per report: a second click the same day sends
    nothing new."""
    today = utcnow().date()
    async with uow:
        occurrences = []
        for item in data.reminders:
            project = await uow.replica.project(item.project_id)
            code = project.code if project is not None else str(item.project_id)
            what = f"{code} {item.indicator} {item.period}"
            late = item.due_on is not None and item.due_on < today
            due = f" ({item.due_on})" if item.due_on else ""
            occurrences.append(
                Occurrence(
                    REPORT_OVERDUE if late else REPORT_DUE,
                    f"reminder:{item.project_id}:{item.indicator}:{item.period}:{today}",
                    {"en": f"Reminder: report {what}", "nl": f"Herinnering: rapportage {what}"},
                    {
                        "en": f"Programme staff ({user.username}) ask you to report {what}{due}.",
                        "nl": f"De programmastaf ({user.username}) vraagt u de rapportage over "
                        f"{what} aan te leveren{due}.",
                    },
                    item.project_id,
                    {"period": item.period, "indicator": item.indicator, "reminder": True},
                )
            )
        sent = await raise_notifications(uow, occurrences)
        await uow.commit()
    return RemindersPublic(sent=sent, already=len(occurrences) - sent)


# --- the in-app feed ------------------------------------------------------------------------


async def _staff_subscriber(uow: NotificationsUnitOfWork, user: StaffUser) -> Subscriber:
    """The user's subscriber, within a writing unit of work; first seen, they get the
    defaults of their roles, once however many of their first requests arrive together."""
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
    return subscriber


async def _reader(uow: NotificationsUnitOfWork, user: StaffUser) -> Subscriber:
    """`_staff_subscriber` for a read (a GET): found in `uow`, which writes nothing; a user
    seen for the first time is subscribed by a writing unit of work of its own first."""
    async with uow:
        subscriber = await uow.subscribers.by_username(user.username)
    if subscriber is not None:
        return subscriber
    async with uow.writer() as writer:
        subscriber = await _staff_subscriber(writer, user)
        await writer.commit()
        return subscriber


async def feed(
    uow: NotificationsUnitOfWork,
    user: StaffUser,
    language: str,
    unread_only: bool,
    limit: int,
    offset: int,
) -> list[FeedItem]:
    subscriber = await _reader(uow, user)
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
    subscriber = await _reader(uow, user)
    async with uow:
        return UnreadCount(unread=await uow.notifications.unread(subscriber.id))


async def mark_read(
    uow: NotificationsUnitOfWork, user: StaffUser, delivery_id: uuid.UUID | None
) -> UnreadCount:
    """One item (or, without an id, all of them) read."""
    async with uow:
        subscriber = await _staff_subscriber(uow, user)
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


# --- the delivery log -----------------------------------------------------------------------


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
