"""Composition root: the registry's API app, its worker, its migrations."""

import asyncio
from pathlib import Path

from fastapi import FastAPI

from services.projects.api import router
from services.projects.config import ProjectsSettings
from shared.http import create_service_app
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


async def run_worker(settings: ProjectsSettings, stop: asyncio.Event | None = None) -> None:
    """The registry consumes nothing; its worker relays the outbox to `projects.events.v1`."""
    await run_platform_worker(ServiceRuntime.from_settings(settings), stop=stop)


def migrate(settings: ProjectsSettings) -> None:
    upgrade(MIGRATIONS, settings.database_url)
