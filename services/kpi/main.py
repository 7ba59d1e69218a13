"""Composition root: the KPI service's API app, its worker, its migrations."""

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.kpi.api import router
from services.kpi.catalogue import load_catalogue
from services.kpi.config import KpiSettings
from services.kpi.consumers import (
    AGGREGATES,
    GOAL_INPUTS,
    REGISTRY_REPLICA,
    funding_handlers,
    projection_batch_handler,
    projection_handlers,
    registry_handlers,
)
from services.kpi.domain.progress import Tolerances
from services.kpi.projection import Options
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import topics
from shared.http import create_service_app
from shared.messaging.consumer import MessageProcessor
from shared.messaging.kafka import KafkaPublisher
from shared.migrations import upgrade
from shared.runtime import ServiceRuntime
from shared.worker import run_worker as run_platform_worker

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: KpiSettings, today: Callable[[], date] = date.today) -> FastAPI:
    app = create_service_app(
        ServiceRuntime.from_settings(settings),
        title="Koersmonitor KPI intake and aggregation",
        description=(
            "Partner systems report KPI values here (API key per organisation); staff review them, "
            "set targets, and read totals along the programme's goal tree."
        ),
        routers=[router],
    )
    app.state.today = today
    return app


def options(settings: KpiSettings) -> Options:
    return Options(tolerances=Tolerances(settings.on_track_tolerance, settings.at_risk_tolerance))


def consumers(
    runtime: ServiceRuntime, settings: KpiSettings
) -> Callable[[KafkaPublisher], list[tuple[MessageProcessor[Any], list[str]]]]:
    def uow() -> KpiUnitOfWork:
        return KpiUnitOfWork(runtime.sessions, source=settings.service_name)

    def build(publisher: KafkaPublisher) -> list[tuple[MessageProcessor[Any], list[str]]]:
        opts, attempts = options(settings), settings.consumer_max_attempts
        group = settings.consumer_group_prefix
        replica = MessageProcessor(
            group + REGISTRY_REPLICA, registry_handlers(opts), uow, publisher, attempts
        )
        aggregates = MessageProcessor(
            group + AGGREGATES,
            projection_handlers(opts),
            uow,
            publisher,
            attempts,
            batch_handler=projection_batch_handler(opts),
        )
        inputs = MessageProcessor(group + GOAL_INPUTS, funding_handlers(), uow, publisher, attempts)
        return [
            (replica, [topics.PROJECTS]),
            (aggregates, [topics.KPI]),
            (inputs, [topics.FUNDING]),
        ]

    return build


async def run_worker(settings: KpiSettings, stop: asyncio.Event | None = None) -> None:
    """Relays the outbox to kpi.events.v1; keeps the registry replica and the aggregates."""
    runtime = ServiceRuntime.from_settings(settings)
    await run_platform_worker(runtime, consumers(runtime, settings), stop=stop)


def migrate(settings: KpiSettings) -> None:
    """Schema migrations, then the shipped indicator catalogue (idempotent)."""
    upgrade(MIGRATIONS, settings.database_url)
    asyncio.run(load_catalogue(settings.database_url))
