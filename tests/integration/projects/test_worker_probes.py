"""The worker answers its orchestrator's probes, and stops cleanly when told."""

import asyncio

import httpx

from services.projects.main import run_worker
from shared.broker import free_port
from tests.conftest import Kafka, registry_settings
from tests.kafka_helpers import eventually


async def test_worker_serves_health_and_readiness_then_stops(
    kafka: Kafka, registry_pg_db: str
) -> None:
    port = free_port()
    settings = registry_settings(registry_pg_db, kafka.bootstrap_servers).model_copy(
        update={"worker_health_port": port}
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

        async def ready() -> bool:
            try:
                return (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(ready, timeout_s=20)
        body = (await client.get("/readyz")).json()
        assert body["checks"] == {"database": "ok", "broker": "ok"}
        assert (await client.get("/healthz")).json() == {"status": "ok"}
    stop.set()
    await asyncio.wait_for(worker, 15)
