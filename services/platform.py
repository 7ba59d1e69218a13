"""The services that exist, as the platform runner and the tests see them."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.funding import consumers as funding_consumers
from services.funding.config import FundingSettings
from services.funding.main import migrate as migrate_funding
from services.funding.seed import seed_demo as seed_funding
from services.funding.uow import FundingUnitOfWork
from services.kpi import consumers as kpi_consumers
from services.kpi.config import KpiSettings
from services.kpi.main import migrate as migrate_kpi
from services.kpi.seed import seed_demo as seed_kpis
from services.kpi.uow import KpiUnitOfWork
from services.notifications import consumers as notification_consumers
from services.notifications.config import NotificationsSettings
from services.notifications.main import migrate as migrate_notifications
from services.portal.config import PortalSettings
from services.portal.main import migrate as migrate_portal
from services.portal.seed import seed_admin
from services.projects import consumers as projects_consumers
from services.projects.config import ProjectsSettings
from services.projects.main import migrate as migrate_projects
from services.projects.seed import seed_demo as seed_projects
from services.projects.uow import RegistryUnitOfWork
from shared.config import ServiceSettings
from shared.messaging.subscriptions import groups
from shared.runtime import ServiceRuntime

Seed = Callable[[ServiceRuntime], Awaitable[Any]]


async def _seed_projects(runtime: ServiceRuntime) -> None:
    await seed_projects(RegistryUnitOfWork(runtime.sessions, source=runtime.settings.service_name))


async def _seed_kpis(runtime: ServiceRuntime) -> None:
    await seed_kpis(KpiUnitOfWork(runtime.sessions, source=runtime.settings.service_name))


async def _seed_funding(runtime: ServiceRuntime) -> None:
    await seed_funding(FundingUnitOfWork(runtime.sessions, source=runtime.settings.service_name))


async def _seed_portal(runtime: ServiceRuntime) -> None:
    await seed_admin(runtime)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    settings_class: type[ServiceSettings]
    env_prefix: str
    default_port: int
    migrate: Callable[[Any], None]
    seed: Seed | None = None  # before the services start
    seed_when_running: Seed | None = None  # once they run (it needs events consumed)
    embedded_env: Mapping[str, str] = field(default_factory=dict)  # on one machine only
    # Its consumer groups (without the deployment's prefix) and the topics each reads: from
    # the service's one declaration, consumers.SUBSCRIPTIONS (shared.messaging.subscriptions).
    consumer_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    roles: tuple[str, ...] = ("api", "worker")  # the processes it runs


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        name="projects",
        module="services.projects",
        settings_class=ProjectsSettings,
        env_prefix="PROJECTS_",
        default_port=8001,
        migrate=migrate_projects,
        seed=_seed_projects,
        consumer_groups=groups(projects_consumers.SUBSCRIPTIONS),
    ),
    ServiceSpec(
        name="kpi",
        module="services.kpi",
        settings_class=KpiSettings,
        env_prefix="KPI_",
        default_port=8002,
        migrate=migrate_kpi,
        seed_when_running=_seed_kpis,
        consumer_groups=groups(kpi_consumers.SUBSCRIPTIONS),
    ),
    ServiceSpec(
        name="funding",
        module="services.funding",
        settings_class=FundingSettings,
        env_prefix="FUNDING_",
        default_port=8003,
        migrate=migrate_funding,
        seed_when_running=_seed_funding,
        consumer_groups=groups(funding_consumers.SUBSCRIPTIONS),
    ),
    ServiceSpec(
        name="notifications",
        module="services.notifications",
        settings_class=NotificationsSettings,
        env_prefix="NOTIFICATIONS_",
        default_port=8004,
        migrate=migrate_notifications,
        # On a developer's machine partner webhooks may be plain http, and the clock rules
        # tick every few seconds so that a change shows at once.
        embedded_env={"ALLOW_HTTP_WEBHOOKS": "true", "TICK_INTERVAL_S": "5"},
        consumer_groups=groups(notification_consumers.SUBSCRIPTIONS),
    ),
    ServiceSpec(
        name="portal",
        module="services.portal",
        settings_class=PortalSettings,
        env_prefix="PORTAL_",
        default_port=8000,
        migrate=migrate_portal,
        seed=_seed_portal,
        # Plain http on a developer's machine: cookies cannot be Secure there.
        embedded_env={"SECURE_COOKIES": "false"},
        roles=("api",),
    ),
)


async def _run_seed(seed: Seed, settings: ServiceSettings) -> None:
    runtime = ServiceRuntime.from_settings(settings)
    try:
        await seed(runtime)
    finally:
        await runtime.close()


def run_seed(seed: Seed | None, settings: ServiceSettings) -> None:
    if seed is not None:
        asyncio.run(_run_seed(seed, settings))
