"""The KPI service over ASGI on a migrated database, with a replica fed by real registry events."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from services.kpi.config import KpiSettings
from services.kpi.consumers import options, registry_handlers
from services.kpi.main import create_app, run_worker
from services.kpi.uow import KpiUnitOfWork
from shared.runtime import ServiceRuntime
from tests.conftest import JWT_SECRET
from tests.registry_events import Registry
from tests.running import RunningService, running_service


def kpi_settings(database_url: str, bootstrap: str = "127.0.0.1:1", **extra: Any) -> KpiSettings:
    return KpiSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        jwt_secret=JWT_SECRET,
        outbox_poll_interval_s=0.02,
        **extra,
    )


@dataclass
class KpiService:
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    settings: KpiSettings
    registry: Registry
    today: list[date]

    def uow(self) -> KpiUnitOfWork:
        return KpiUnitOfWork(self.runtime.sessions, source="kpi")

    async def deliver(self) -> None:
        await self.registry.deliver(
            registry_handlers(options(self.settings)),
            lambda: KpiUnitOfWork(self.runtime.sessions, source="kpi"),
        )


async def kpi_service(
    database_url: str, bootstrap: str = "127.0.0.1:1", **settings: Any
) -> AsyncIterator[KpiService]:
    config = kpi_settings(database_url, bootstrap, **settings)
    today = [date(2019, 6, 1)]
    app = create_app(config, today=lambda: today[0])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kpi"
    ) as client:
        yield KpiService(client, app.state.runtime, config, Registry(), today)
    await app.state.runtime.close()


def running_kpi(settings: KpiSettings) -> AbstractAsyncContextManager[RunningService]:
    """The KPI service as deployed: API, and worker (relay, replica, projection) alongside."""
    return running_service(create_app(settings), lambda stop: run_worker(settings, stop))
