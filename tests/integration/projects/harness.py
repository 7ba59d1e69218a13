"""The registry as deployed: its API over ASGI and its worker relaying the outbox."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from services.projects.config import ProjectsSettings
from services.projects.main import create_app, run_worker
from shared.runtime import ServiceRuntime


@dataclass
class RunningRegistry:
    client: httpx.AsyncClient
    runtime: ServiceRuntime


@asynccontextmanager
async def running_registry(settings: ProjectsSettings) -> AsyncIterator[RunningRegistry]:
    app = create_app(settings)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield RunningRegistry(client, app.state.runtime)
    finally:
        stop.set()
        await worker
        await app.state.runtime.close()
