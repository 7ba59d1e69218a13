"""The channels (e-mail over SMTP, signed webhooks) and the worker's delivery loop.

A due delivery is first claimed (its next attempt moved a lease ahead, by a conditional
update), then sent outside any transaction, then its outcome recorded; so two workers
never send the same delivery at once, and a crash mid-send only delays a retry. Failures
back off exponentially; after the last attempt the delivery is failed, and a webhook's
goes to the dead-letter topic.
"""

import asyncio
import json
import smtplib
import ssl
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from opentelemetry import trace
from sqlalchemy import update
from sqlmodel import col

from services.notifications.config import NotificationsSettings
from services.notifications.domain.recipients import backoff, signature
from services.notifications.domain.rules import Channel
from services.notifications.models import Delivery, DeliveryAttempt, Notification, Subscriber
from services.notifications.services import subscriber_lock
from services.notifications.uow import NotificationsUnitOfWork
from shared.contracts import notifications as events
from shared.metrics import DELIVERIES
from shared.telemetry import context_from_traceparent, tracer

LEASE = timedelta(seconds=120)
FOOTER = {
    "en": "\n\n-- \nKoersmonitor. Change what you receive under your notification settings.",
    "nl": "\n\n-- \nKoersmonitor. Wat u ontvangt, stelt u in bij uw meldingsinstellingen.",
}
DIGEST_SUBJECT = {"en": "Koersmonitor: your daily digest", "nl": "Koersmonitor: uw dagoverzicht"}


def _text(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("en", "")


def email_message(
    settings: NotificationsSettings, to: str, language: str, notes: list[Notification]
) -> EmailMessage:
    """One notification, or a digest of several, in the subscriber's language."""
    message = EmailMessage()
    message["From"], message["To"] = settings.mail_from, to
    if len(notes) == 1:
        message["Subject"] = _text(notes[0].title, language)
        text = _text(notes[0].body, language)
    else:
        message["Subject"] = DIGEST_SUBJECT.get(language, DIGEST_SUBJECT["en"])
        text = "\n\n".join(
            f"* {_text(n.title, language)}\n  {_text(n.body, language)}" for n in notes
        )
    message.set_content(text + FOOTER.get(language, FOOTER["en"]))
    return message


def _send_smtp(settings: NotificationsSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp_class = smtplib.SMTP_SSL if settings.smtp_tls == "tls" else smtplib.SMTP
    kwargs: dict[str, Any] = {"timeout": settings.smtp_timeout_s}
    if settings.smtp_tls == "tls":
        kwargs["context"] = context
    with smtp_class(settings.smtp_host, settings.smtp_port, **kwargs) as smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


async def send_email(settings: NotificationsSettings, message: EmailMessage) -> None:
    await asyncio.to_thread(_send_smtp, settings, message)


def webhook_payload(notification: Notification, delivery_id: uuid.UUID) -> bytes:
    body = {
        "delivery_id": str(delivery_id),
        "notification_id": str(notification.id),
        "rule": notification.rule,
        "project_id": str(notification.project_id) if notification.project_id else None,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "created_at": notification.created_at.isoformat(),
    }
    return json.dumps(body, separators=(",", ":"), default=str).encode()


async def send_webhook(
    client: httpx.AsyncClient, url: str, secret: str, body: bytes, now: datetime
) -> None:
    timestamp = str(int(now.timestamp()))
    response = await client.post(
        url,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Koers-Timestamp": timestamp,
            "X-Koers-Signature": signature(secret, timestamp, body),
        },
    )
    if response.status_code >= 300:
        raise RuntimeError(f"HTTP {response.status_code} from the webhook")


Clock = Callable[[], datetime]


class Deliverer:
    """Sends what is due; `run_once` is one pass, the worker calls it in a loop."""

    def __init__(
        self,
        uow: Callable[[], NotificationsUnitOfWork],
        settings: NotificationsSettings,
        http: httpx.AsyncClient,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._uow, self._settings, self._http, self._clock = uow, settings, http, clock

    async def run_once(self, limit: int = 50) -> int:
        claimed = await self._claim(limit)
        for delivery, notification, subscriber in claimed:
            error = await self._send(delivery, notification, subscriber)
            await self._record(delivery.id, error)
        return len(claimed)

    async def _claim(self, limit: int) -> list[tuple[Delivery, Notification, Subscriber]]:
        now = self._clock()
        async with self._uow() as uow:
            due = await uow.notifications.due(now, limit)
            claimed = []
            for d in due:
                result = await uow.session.exec(
                    update(Delivery)
                    .where(
                        col(Delivery.id) == d.id, col(Delivery.next_attempt_at) == d.next_attempt_at
                    )
                    .values(next_attempt_at=now + LEASE)
                )
                if result.rowcount == 1:
                    claimed.append(d)
            notes = await uow.notifications.notifications(d.notification_id for d in claimed)
            subscribers = {
                d.subscriber_id: await uow.subscribers.get(d.subscriber_id) for d in claimed
            }
            await uow.commit()
        return [
            (d, notes[d.notification_id], s)
            for d in claimed
            if (s := subscribers[d.subscriber_id]) is not None
        ]

    async def _send(
        self, delivery: Delivery, notification: Notification, subscriber: Subscriber
    ) -> str | None:
        with tracer(__name__).start_as_current_span(
            "notification deliver",
            context=context_from_traceparent(delivery.traceparent),
            kind=trace.SpanKind.PRODUCER,
            attributes={"koers.channel": delivery.channel, "koers.rule": notification.rule},
        ):
            return await self._send_now(delivery, notification, subscriber)

    async def _send_now(
        self, delivery: Delivery, notification: Notification, subscriber: Subscriber
    ) -> str | None:
        try:
            if delivery.channel == Channel.EMAIL:
                message = email_message(
                    self._settings, delivery.target, subscriber.language, [notification]
                )
                await send_email(self._settings, message)
            elif delivery.channel == Channel.WEBHOOK:
                body = webhook_payload(notification, delivery.id)
                await send_webhook(
                    self._http,
                    delivery.target,
                    subscriber.webhook_secret or "",
                    body,
                    self._clock(),
                )
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:2000]
        return None

    async def _record(self, delivery_id: uuid.UUID, error: str | None) -> None:
        now = self._clock()
        async with self._uow() as uow:
            delivery = await uow.notifications.delivery(delivery_id)
            if delivery is None:
                return
            notification = await uow.notifications.get(delivery.notification_id)
            _attempted(uow, delivery, error, now)
            if error is None:
                delivery.status, delivery.next_attempt_at = "delivered", None
            elif delivery.attempts >= self._settings.webhook_max_attempts:
                delivery.status, delivery.next_attempt_at = "failed", None
            else:
                wait = backoff(delivery.attempts, self._settings.webhook_backoff_s)
                delivery.next_attempt_at = now + timedelta(seconds=wait)
            outcome = "retrying" if delivery.status == "pending" else delivery.status
            DELIVERIES.labels(delivery.channel, outcome).inc()
            uow.notifications.add(delivery)
            if delivery.status != "pending" and notification is not None:
                _receipt(uow, delivery, notification.rule)
            await uow.commit()

    async def send_digests(self) -> int:
        """Once a day after the digest hour: one e-mail per subscriber with what waited."""
        now = self._clock()
        if now.hour < self._settings.digest_hour:
            return 0
        sent = 0
        async with self._uow() as uow:
            waiting = [d for d in await uow.notifications.deliveries("digest", "email", 10_000, 0)]
            subscriber_ids = {d.subscriber_id for d in waiting}
        for subscriber_id in subscriber_ids:
            sent += await self._digest_for(subscriber_id, now.date())
        return sent

    async def _digest_for(self, subscriber_id: uuid.UUID, today: date) -> int:
        async with self._uow() as uow:
            await uow.lock(subscriber_lock(subscriber_id))  # one digest a day, not one a worker
            subscriber = await uow.subscribers.get(subscriber_id)
            if subscriber is None or subscriber.last_digest_on == today or not subscriber.email:
                return 0
            waiting = [
                d
                for d in await uow.notifications.deliveries("digest", "email", 10_000, 0)
                if d.subscriber_id == subscriber_id
            ]
            notes = await uow.notifications.notifications(d.notification_id for d in waiting)
            message = email_message(
                self._settings,
                subscriber.email,
                subscriber.language,
                sorted(notes.values(), key=lambda n: n.created_at),
            )
            error = None
            try:
                await send_email(self._settings, message)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:2000]
            now = self._clock()
            for d in waiting:
                _attempted(uow, d, error, now)
                DELIVERIES.labels(d.channel, "retrying" if error else "delivered").inc()
                if error is None:
                    d.status = "delivered"
                    _receipt(uow, d, notes[d.notification_id].rule)
                uow.notifications.add(d)
            if error is None:
                subscriber.last_digest_on = today
                uow.subscribers.add(subscriber)
            await uow.commit()
            return 0 if error else 1


def _attempted(
    uow: NotificationsUnitOfWork, delivery: Delivery, error: str | None, now: datetime
) -> None:
    """Count the attempt on the delivery and keep a row of it for the delivery log."""
    delivery.attempts += 1
    delivery.updated_at, delivery.last_error = now, error
    uow.notifications.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            channel=delivery.channel,
            target=delivery.target,
            status="failed" if error else "delivered",
            error=error,
            at=now,
        )
    )


def _receipt(uow: NotificationsUnitOfWork, delivery: Delivery, rule: str) -> None:
    fields = {
        "delivery_id": delivery.id,
        "notification_id": delivery.notification_id,
        "rule": rule,
        "channel": delivery.channel,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "error": delivery.last_error,
    }
    uow.publish(events.DeliveryRecorded(**fields))
    if delivery.status == "failed" and delivery.channel == Channel.WEBHOOK:
        uow.publish(events.DeliveryFailed(**fields))
