"""The funding service over ASGI on a migrated database, its replicas fed by real events."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from services.funding.config import FundingSettings
from services.funding.consumers import output_handlers, registry_handlers, target_handlers
from services.funding.main import create_app, run_worker
from services.funding.uow import FundingUnitOfWork
from shared.contracts.base import Event
from shared.runtime import ServiceRuntime
from tests.conftest import JWT_SECRET
from tests.registry_events import Registry
from tests.running import RunningService, running_service


def funding_settings(
    database_url: str, bootstrap: str = "127.0.0.1:1", **extra: Any
) -> FundingSettings:
    return FundingSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        jwt_secret=JWT_SECRET,
        outbox_poll_interval_s=0.02,
        **extra,
    )


@dataclass
class FundingService:
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    settings: FundingSettings
    registry: Registry
    today: list[date]

    def uow(self) -> FundingUnitOfWork:
        return FundingUnitOfWork(self.runtime.sessions, source="funding")

    async def deliver(self, *kpi_events: Event) -> None:
        """Registry facts pending, then KPI events (outputs, targets) through the service's own
        handlers."""
        await self.registry.deliver(registry_handlers(), self.uow)
        handlers = {**output_handlers(), **target_handlers()}
        for event in kpi_events:
            async with self.uow() as uow:
                await handlers[event.type](event, uow)
                await uow.commit()


async def funding_service(
    database_url: str, bootstrap: str = "127.0.0.1:1", **settings: Any
) -> AsyncIterator[FundingService]:
    config = funding_settings(database_url, bootstrap, **settings)
    today = [date(2026, 11, 29)]
    app = create_app(config, today=lambda: today[0])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://funding"
    ) as client:
        yield FundingService(client, app.state.runtime, config, Registry(), today)
    await app.state.runtime.close()


def running_funding(settings: FundingSettings) -> AbstractAsyncContextManager[RunningService]:
    """The funding service as deployed: API, and worker (relay, replicas) alongside."""
    return running_service(create_app(settings), lambda stop: run_worker(settings, stop))
