"""Composition root: the funding service's API app, its worker, its migrations."""

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import FastAPI

from services.funding.api import router
from services.funding.config import FundingSettings
from services.funding.consumers import SUBSCRIPTIONS
from services.funding.rules_data import load_ceilings
from services.funding.uow import FundingUnitOfWork
from shared.http import create_service_app
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.subscriptions import Processors, processors
from shared.migrations import upgrade
from shared.runtime import ServiceRuntime
from shared.worker import run_worker as run_platform_worker

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: FundingSettings, today: Callable[[], date] = date.today) -> FastAPI:
    app = create_service_app(
        ServiceRuntime.from_settings(settings),
        title="Koersmonitor co-financing",
        description=(
            "EFRO/JTF and other funds: co-financing rules, financing plans, grant decisions, "
            "payments, budgets per goal, cost per output and the EU report per fund."
        ),
        routers=[router],
    )
    app.state.today = today
    return app


def consumers(
    runtime: ServiceRuntime, settings: FundingSettings
) -> Callable[[KafkaPublisher], Processors]:
    def uow() -> FundingUnitOfWork:
        return FundingUnitOfWork(runtime.sessions, source=settings.service_name)

    def build(publisher: KafkaPublisher) -> Processors:
        return processors(SUBSCRIPTIONS, settings, uow, publisher)

    return build


async def run_worker(settings: FundingSettings, stop: asyncio.Event | None = None) -> None:
    """Relays the outbox to funding.events.v1; keeps the registry and output replicas."""
    runtime = ServiceRuntime.from_settings(settings)
    await run_platform_worker(runtime, consumers(runtime, settings), stop=stop)


def migrate(settings: FundingSettings) -> None:
    """Schema migrations, then the shipped co-financing ceilings (idempotent)."""
    upgrade(MIGRATIONS, settings.database_url)
    asyncio.run(load_ceilings(settings.database_url))
