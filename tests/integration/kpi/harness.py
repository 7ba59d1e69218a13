"""The KPI service over ASGI on a migrated database, with a replica fed by real registry events."""

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from services.kpi.config import KpiSettings
from services.kpi.consumers import registry_handlers
from services.kpi.main import create_app, options, run_worker
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import projects as registry
from shared.contracts.base import Event
from shared.runtime import ServiceRuntime
from tests.conftest import JWT_SECRET
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
class Registry:
    """Registry facts as events, fed to the KPI service's replica handlers."""

    programme: uuid.UUID = field(default_factory=uuid.uuid4)
    goals: dict[str, uuid.UUID] = field(default_factory=dict)
    organisations: dict[str, uuid.UUID] = field(default_factory=dict)
    projects: dict[str, uuid.UUID] = field(default_factory=dict)
    pending: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pending.append(
            registry.ProgrammeCreated(
                programme_id=self.programme,
                name=f"Koers {self.programme.hex[:6]}",
                period_start=2016,
                period_end=2019,
                region="Drenthe",
                owner_organisation_id=None,
                actor="t",
            )
        )

    def goal(self, code: str, parent: str | None = None, kind: str = "goal") -> uuid.UUID:
        goal_id = self.goals.setdefault(code, uuid.uuid4())
        self.pending.append(
            registry.GoalNodeAdded(
                goal_id=goal_id,
                programme_id=self.programme,
                parent_id=self.goals[parent] if parent else None,
                kind=kind,
                code=code,
                name=code,
                description="",
                actor="t",
            )
        )
        return goal_id

    def organisation(self, name: str) -> uuid.UUID:
        org = self.organisations.setdefault(name, uuid.uuid4())
        self.pending.append(
            registry.OrganisationRegistered(
                organisation_id=org, name=name, kind="company", kvk_number=None, actor="t"
            )
        )
        return org

    def project(
        self,
        code: str,
        lead: str,
        goals: list[str],
        partners: tuple[str, ...] = (),
        version: int = 1,
    ) -> uuid.UUID:
        project_id = self.projects.setdefault(code, uuid.uuid4())
        members = [registry.ProjectMember(organisation_id=self.organisations[lead], role="lead")]
        members += [
            registry.ProjectMember(organisation_id=self.organisations[p], role="partner")
            for p in partners
        ]
        self.pending.append(
            registry.ProjectRegistered(
                project_id=project_id,
                programme_id=self.programme,
                code=code,
                name=code,
                description="",
                lead_organisation_id=self.organisations[lead],
                members=tuple(members),
                goal_ids=tuple(self.goals[g] for g in goals),
                start_date=date(2016, 1, 1),
                end_date=date(2019, 12, 31),
                municipality=None,
                status="running",
                version=version,
                actor="t",
            )
        )
        return project_id

    async def deliver(self, runtime: ServiceRuntime, settings: KpiSettings) -> None:
        handlers = registry_handlers(options(settings))
        for event in self.pending:
            async with KpiUnitOfWork(runtime.sessions, source="kpi") as uow:
                await handlers[event.type](event, uow)
                await uow.commit()
        self.pending.clear()


@dataclass
class KpiService:
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    settings: KpiSettings
    registry: Registry
    today: list[date]

    async def deliver(self) -> None:
        await self.registry.deliver(self.runtime, self.settings)


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
