"""Composition root: the KPI service's API app, its worker, its migrations."""

import asyncio
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.kpi.api import PartnerLimits, router
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
from services.kpi.reference import ReferenceCache
from services.kpi.services import PartnerKeys, ReportGroups
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import topics
from shared.http import create_service_app
from shared.messaging.consumer import MessageProcessor
from shared.messaging.kafka import KafkaPublisher, group_lag
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
    runtime = app.state.runtime
    app.state.reference = reference = ReferenceCache()

    def uow() -> KpiUnitOfWork:
        return KpiUnitOfWork(runtime.sessions, source=settings.service_name, reference=reference)

    def reading() -> KpiUnitOfWork:
        return KpiUnitOfWork(
            runtime.sessions, source=settings.service_name, reference=reference, write=False
        )

    app.state.report_groups = ReportGroups(uow)
    app.state.partner_keys = PartnerKeys(reading)
    app.state.aggregation_lag = AggregationLag(settings)
    app.state.partner_limits = PartnerLimits(settings)
    return app


class AggregationLag:
    """The aggregation consumer group's lag, asked of the broker at most every 15 s."""

    def __init__(self, settings: KpiSettings, ttl_s: float = 15.0) -> None:
        self._settings, self._ttl_s = settings, ttl_s
        self._value: int | None = None
        self._at = -ttl_s

    async def __call__(self) -> int | None:
        if time.monotonic() - self._at >= self._ttl_s:
            self._at = time.monotonic()
            group = self._settings.consumer_group_prefix + AGGREGATES
            try:
                found = await asyncio.wait_for(
                    group_lag(self._settings.kafka_bootstrap_servers, group, [topics.KPI]), 5
                )
                self._value = sum(p.lag for p in found)
            except Exception:
                self._value = None
        return self._value


def options(settings: KpiSettings) -> Options:
    return Options(tolerances=Tolerances(settings.on_track_tolerance, settings.at_risk_tolerance))


def consumers(
    runtime: ServiceRuntime, settings: KpiSettings
) -> Callable[[KafkaPublisher], list[tuple[MessageProcessor[Any], list[str]]]]:
    reference = ReferenceCache()

    def uow() -> KpiUnitOfWork:
        return KpiUnitOfWork(runtime.sessions, source=settings.service_name, reference=reference)

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
