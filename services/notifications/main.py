"""Composition root: the notification service's API app, its worker, its migrations."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.notifications import scheduler
from services.notifications.api import router
from services.notifications.config import NotificationsSettings
from services.notifications.consumers import SUBSCRIPTIONS
from services.notifications.delivery import Deliverer
from services.notifications.services import ensure_rule_settings
from services.notifications.uow import NotificationsUnitOfWork
from shared.db import create_engine, session_factory
from shared.http import create_service_app
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.subscriptions import Processors, processors
from shared.migrations import upgrade
from shared.runtime import ServiceRuntime
from shared.worker import every
from shared.worker import run_worker as run_platform_worker

MIGRATIONS = Path(__file__).parent / "migrations"
Clock = Callable[[], datetime]


def create_app(settings: NotificationsSettings) -> FastAPI:
    return create_service_app(
        ServiceRuntime.from_settings(settings),
        title="Koersmonitor notifications",
        description=(
            "Rules that watch the programme's events and clock, subscriptions per rule and "
            "channel, the in-app feed, e-mail and signed webhooks, and the delivery log."
        ),
        routers=[router],
    )


def consumers(
    runtime: ServiceRuntime, settings: NotificationsSettings
) -> Callable[[KafkaPublisher], Processors]:
    def uow() -> NotificationsUnitOfWork:
        return NotificationsUnitOfWork(runtime.sessions, source=settings.service_name)

    def build(publisher: KafkaPublisher) -> Processors:
        return processors(SUBSCRIPTIONS, settings, uow, publisher)

    return build


async def run_worker(
    settings: NotificationsSettings,
    stop: asyncio.Event | None = None,
    clock: Clock = lambda: datetime.now(UTC),
) -> None:
    """Relays the outbox; reacts to events; ticks the clock rules; delivers e-mail and webhooks."""
    runtime = ServiceRuntime.from_settings(settings)

    def uow() -> NotificationsUnitOfWork:
        return NotificationsUnitOfWork(runtime.sessions, source=settings.service_name)

    async def ticking(stop: asyncio.Event) -> None:
        await every(
            settings.tick_interval_s, lambda: scheduler.tick(uow(), clock().date()), stop, "tick"
        )

    async def delivering(stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=settings.webhook_timeout_s) as http:
            deliverer = Deliverer(uow, settings, http, clock)

            async def step() -> None:
                await deliverer.run_once()
                await deliverer.send_digests()

            await every(settings.delivery_interval_s, step, stop, "delivery")

    await run_platform_worker(
        runtime, consumers(runtime, settings), stop=stop, background=[ticking, delivering]
    )


def migrate(settings: NotificationsSettings) -> None:
    """Schema migrations, then a settings row for every rule (its defaults; idempotent)."""
    upgrade(MIGRATIONS, settings.database_url)
    asyncio.run(rule_settings(settings.database_url))


async def rule_settings(database_url: str) -> None:
    """Rule settings rows with the defaults, for rules that have none yet."""
    engine = create_engine(database_url)
    try:
        await ensure_rule_settings(
            NotificationsUnitOfWork(session_factory(engine), source="notifications")
        )
    finally:
        await engine.dispose()
