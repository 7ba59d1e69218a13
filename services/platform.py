"""The services that exist, as the platform runner and the tests see them."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.projects.config import ProjectsSettings
from services.projects.main import migrate as migrate_projects
from services.projects.seed import seed_demo as seed_projects
from services.projects.uow import RegistryUnitOfWork
from shared.config import ServiceSettings
from shared.runtime import ServiceRuntime


async def _seed_projects(runtime: ServiceRuntime) -> None:
    await seed_projects(RegistryUnitOfWork(runtime.sessions, source=runtime.settings.service_name))


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    settings_class: type[ServiceSettings]
    env_prefix: str
    default_port: int
    migrate: Callable[[Any], None]
    seed: Callable[[ServiceRuntime], Awaitable[None]] | None = None


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        name="projects",
        module="services.projects",
        settings_class=ProjectsSettings,
        env_prefix="PROJECTS_",
        default_port=8001,
        migrate=migrate_projects,
        seed=_seed_projects,
    ),
)


async def seed(spec: ServiceSpec, settings: ServiceSettings) -> None:
    if spec.seed is None:
        return
    runtime = ServiceRuntime.from_settings(settings)
    try:
        await spec.seed(runtime)
    finally:
        await runtime.close()


def run_seed(spec: ServiceSpec, settings: ServiceSettings) -> None:
    asyncio.run(seed(spec, settings))
