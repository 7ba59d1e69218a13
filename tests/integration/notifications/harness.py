"""The notification service in tests: its API over ASGI, its handlers fed real CloudEvents,
and a webhook receiver on loopback that checks signatures."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response

from services.notifications.config import NotificationsSettings
from services.notifications.domain.recipients import signature
from services.notifications.main import create_app
from services.notifications.uow import NotificationsUnitOfWork
from shared.broker import free_port
from shared.contracts import projects as registry
from shared.contracts.base import Event
from shared.contracts.envelope import CloudEvent
from shared.messaging.consumer import ReceivedMessage
from tests.conftest import JWT_SECRET
from tests.kafka_helpers import eventually

SECRET = "partner-secret-0123456789"


def notifications_settings(
    database_url: str, bootstrap: str = "127.0.0.1:1", **extra: Any
) -> NotificationsSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap,
        "jwt_secret": JWT_SECRET,
        "outbox_poll_interval_s": 0.02,
        "allow_http_webhooks": True,
        "webhook_backoff_s": 0.0,
        "delivery_interval_s": 0.05,
        "tick_interval_s": 0.2,
        **extra,
    }
    return NotificationsSettings(**values)


def message(event: Event, offset: int = 0, traceparent: str | None = None) -> ReceivedMessage:
    """The Kafka record a consumer would receive for `event`."""
    envelope = CloudEvent.wrap(event, source="test", traceparent=traceparent)
    return ReceivedMessage(
        event.topic, 0, offset, event.key.encode(), envelope.value(), tuple(envelope.headers())
    )


def project_registered(
    project_id: uuid.UUID, organisation_id: uuid.UUID, code: str = "IBDO"
) -> registry.ProjectRegistered:
    return registry.ProjectRegistered(
        project_id=project_id,
        programme_id=uuid.uuid4(),
        code=code,
        name=code,
        description="",
        lead_organisation_id=organisation_id,
        members=(registry.ProjectMember(organisation_id=organisation_id, role="lead"),),
        goal_ids=(),
        start_date=date(2025, 1, 1),
        end_date=date(2027, 12, 31),
        municipality=None,
        status="running",
        version=1,
        actor="t",
    )


@dataclass
class NotificationsApi:
    client: httpx.AsyncClient
    app: FastAPI

    def uow(self) -> NotificationsUnitOfWork:
        runtime = self.app.state.runtime
        return NotificationsUnitOfWork(runtime.sessions, source="notifications")


@asynccontextmanager
async def notifications_api(settings: NotificationsSettings) -> AsyncIterator[NotificationsApi]:
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://notifications"
    ) as client:
        yield NotificationsApi(client, app)
    await app.state.runtime.close()


@dataclass
class WebhookReceiver:
    """Answers 500 to the first `fail_first` requests (or all, with -1), 204 after that."""

    fail_first: int = 0
    port: int = field(default_factory=free_port)
    received: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            timestamp = request.headers.get("X-Koers-Timestamp", "")
            valid = request.headers.get("X-Koers-Signature") == signature(SECRET, timestamp, body)
            record = {"body": body, "valid": valid}
            self.received.append(record)
            if self.fail_first < 0 or len(self.received) <= self.fail_first:
                return Response(status_code=500)
            self.accepted.append(record)
            return Response(status_code=204 if valid else 401)

        return app


@asynccontextmanager
async def webhook_receiver(fail_first: int = 0) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(fail_first)
    server = uvicorn.Server(
        uvicorn.Config(receiver.app(), host="127.0.0.1", port=receiver.port, log_config=None)
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout_s=10)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


class Clock:
    """A settable clock for the delivery loop and the scheduler."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def utc(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def a_minute_from_now() -> datetime:
    """For the delivery loop: later than anything the test just raised, whatever the day
    (deliveries raised by events are due from the real time they were raised)."""
    return datetime.now(UTC) + timedelta(minutes=1)
