"""Composition root: the KPI service's API app, its worker, its migrations."""

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import FastAPI

from services.kpi.api import PartnerLimits, router, unknown_project
from services.kpi.catalogue import load_catalogue
from services.kpi.chain_api import router as chain_router
from services.kpi.config import KpiSettings
from services.kpi.consumers import AGGREGATES, REGISTRY_REPLICA, SUBSCRIPTIONS
from services.kpi.domain.errors import UnknownProjectError
from services.kpi.reference import ReferenceCache
from services.kpi.services import PartnerKeys, ReportGroups
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import topics
from shared.freshness import FreshnessProbe
from shared.http import create_service_app
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.subscriptions import Processors, processors
from shared.migrations import upgrade
from shared.runtime import ServiceRuntime
from shared.worker import run_worker as run_platform_worker

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: KpiSettings, today: Callable[[], date] = date.today) -> FastAPI:
    runtime = ServiceRuntime.from_settings(settings)
    probe = freshness_probe(runtime, settings)
    app = create_service_app(
        runtime,
        title="Koersmonitor KPI intake and aggregation",
        description=(
            "Partner systems report KPI values here (API key per organisation); staff review them, "
            "set targets, and read totals along the programme's goal tree."
        ),
        routers=[router, chain_router],
        on_close=probe.close,
    )
    app.state.today = today
    app.state.reference = reference = ReferenceCache()

    def uow() -> KpiUnitOfWork:
        return KpiUnitOfWork(runtime.sessions, source=settings.service_name, reference=reference)

    def reading() -> KpiUnitOfWork:
        return KpiUnitOfWork(
            runtime.sessions, source=settings.service_name, reference=reference, write=False
        )

    app.state.report_groups = ReportGroups(uow)
    app.state.partner_keys = PartnerKeys(reading)
    app.state.freshness = probe
    app.state.registry_settling = RegistrySettling(probe)
    app.add_exception_handler(UnknownProjectError, unknown_project)
    app.state.partner_limits = PartnerLimits(settings)
    return app


class RegistrySettling:
    """Whether registry changes are still being applied here: the registry replica has yet
    to apply everything produced to projects.events.v1 (the produced marks of ADR 28). A
    project not known then may be one registered a moment ago. When the broker cannot say,
    no: the project is reported unknown (404), as it is here."""

    def __init__(self, probe: FreshnessProbe) -> None:
        self._probe = probe

    async def __call__(self) -> bool:
        report = await self._probe()
        if report.lags is None:
            return False
        return any(p.lag for p in report.lags if p.topic == topics.PROJECTS)


def freshness_probe(runtime: ServiceRuntime, settings: KpiSettings) -> FreshnessProbe:
    """The totals are fresh when the outbox is empty and the groups that feed them, the
    aggregation (kpi.events.v1) and the registry replica (projects.events.v1), have
    applied every event produced to their topics (ADR 0028)."""
    prefix = settings.consumer_group_prefix
    groups = {prefix + AGGREGATES: [topics.KPI], prefix + REGISTRY_REPLICA: [topics.PROJECTS]}
    return FreshnessProbe(runtime.sessions, settings.kafka_bootstrap_servers, groups)


def consumers(
    runtime: ServiceRuntime, settings: KpiSettings
) -> Callable[[KafkaPublisher], Processors]:
    reference = ReferenceCache()

    def uow() -> KpiUnitOfWork:
        return KpiUnitOfWork(runtime.sessions, source=settings.service_name, reference=reference)

    def build(publisher: KafkaPublisher) -> Processors:
        return processors(SUBSCRIPTIONS, settings, uow, publisher)

    return build


async def run_worker(settings: KpiSettings, stop: asyncio.Event | None = None) -> None:
    """Relays the outbox to kpi.events.v1; keeps the registry replica and the aggregates."""
    runtime = ServiceRuntime.from_settings(settings)
    await run_platform_worker(runtime, consumers(runtime, settings), stop=stop)


def migrate(settings: KpiSettings) -> None:
    """Schema migrations, then the shipped indicator catalogue (idempotent)."""
    upgrade(MIGRATIONS, settings.database_url)
    asyncio.run(load_catalogue(settings.database_url))
