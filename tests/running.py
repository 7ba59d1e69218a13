"""A service as deployed, in the test's event loop: its API over ASGI and its worker alongside."""

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from shared.runtime import ServiceRuntime


@dataclass
class RunningService:
    client: httpx.AsyncClient
    runtime: ServiceRuntime


@asynccontextmanager
async def running_service(
    app: FastAPI, worker: Callable[[asyncio.Event], Coroutine[Any, Any, None]]
) -> AsyncIterator[RunningService]:
    stop = asyncio.Event()
    task = asyncio.create_task(worker(stop))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service"
        ) as client:
            yield RunningService(client, app.state.runtime)
    finally:
        stop.set()
        await task
        await app.state.runtime.close()
