"""Composition root: the registry's API app, its worker, its migrations."""

import asyncio
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from services.projects.api import router
from services.projects.config import ProjectsSettings
from services.projects.consumers import SUBSCRIPTIONS
from services.projects.uow import RegistryUnitOfWork
from shared.http import create_service_app
from shared.messaging.kafka import KafkaPublisher
from shared.messaging.subscriptions import Processors, processors
from shared.migrations import upgrade
from shared.runtime import ServiceRuntime
from shared.worker import run_worker as run_platform_worker

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ProjectsSettings) -> FastAPI:
    return create_service_app(
        ServiceRuntime.from_settings(settings),
        title="Koersmonitor project registry",
        description="Programmes and their goal trees, organisations (partners) and projects.",
        routers=[router],
    )


def consumers(
    runtime: ServiceRuntime, settings: ProjectsSettings
) -> Callable[[KafkaPublisher], Processors]:
    def uow() -> RegistryUnitOfWork:
        return RegistryUnitOfWork(runtime.sessions, source=settings.service_name)

    def build(publisher: KafkaPublisher) -> Processors:
        return processors(SUBSCRIPTIONS, settings, uow, publisher)

    return build


async def run_worker(settings: ProjectsSettings, stop: asyncio.Event | None = None) -> None:
    """The registry consumes nothing (consumers.py); its worker relays the outbox to
    `projects.events.v1`."""
    runtime = ServiceRuntime.from_settings(settings)
    await run_platform_worker(runtime, consumers(runtime, settings), stop=stop)


def migrate(settings: ProjectsSettings) -> None:
    upgrade(MIGRATIONS, settings.database_url)
