"""Two KPI worker instances in one consumer group share the partitions and agree on the totals."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.kpi.main import consumers
from shared.auth import Role
from shared.contracts.topics import KPI
from shared.messaging.consumer import KafkaEventConsumer
from shared.messaging.kafka import KafkaPublisher, make_producer
from shared.messaging.outbox import OutboxRelay
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.kpi.harness import KpiService, kpi_service, kpi_settings
from tests.integration.projects import builders
from tests.integration.projects.harness import RunningRegistry, running_registry
from tests.kafka_helpers import eventually

PROJECTS = 12
QUARTERS = ("2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4")


@pytest.fixture
async def registry(kafka: Kafka, registry_pg_db: str) -> AsyncIterator[RunningRegistry]:
    async with running_registry(
        registry_settings(registry_pg_db, kafka.bootstrap_servers)
    ) as running:
        yield running


@pytest.fixture
async def kpi(kafka: Kafka, kpi_pg_db: str) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_pg_db, kafka.bootstrap_servers):
        yield service


@pytest.fixture
async def two_instances(
    kafka: Kafka, kpi: KpiService
) -> AsyncIterator[list[KafkaEventConsumer[Any]]]:
    """The KPI outbox relay, and twice the KPI worker's consumers, in one consumer group."""
    settings = kpi_settings(
        kpi.settings.database_url,
        kafka.bootstrap_servers,
        consumer_group_prefix=f"t{secrets.token_hex(3)}.",
    )
    producer = make_producer(kafka.bootstrap_servers)
    await producer.start()
    publisher = KafkaPublisher(producer)
    loops = [
        KafkaEventConsumer(processor, topics, kafka.bootstrap_servers, 50, 6000)
        for _ in range(2)
        for processor, topics in consumers(kpi.runtime, settings)(publisher)
    ]
    stop = asyncio.Event()
    relay = OutboxRelay(kpi.runtime.sessions, publisher, "kpi.outbox", poll_interval_s=0.02)
    tasks = [asyncio.create_task(c.run(stop)) for c in loops] + [
        asyncio.create_task(relay.run(stop))
    ]
    yield loops
    stop.set()
    await asyncio.gather(*tasks)
    await producer.stop()


async def _meetings(
    client: httpx.AsyncClient, programme: str, headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.get("/v1/aggregates", params={"programme": programme}, headers=headers)
    found: dict[str, Any] = {a["indicator_code"]: a for a in response.json()}.get(
        "MEETINGS_ORGANISED", {}
    )
    return found


async def test_two_instances_share_partitions_and_count_every_report_once(
    registry: RunningRegistry,
    kpi: KpiService,
    two_instances: list[KafkaEventConsumer[Any]],
    auth: AuthHeaders,
) -> None:
    staff = auth(Role.ADMIN)
    lead = await builders.organisation(registry.client, staff)
    programme, _, goal = await builders.programme_with_goals(registry.client, staff)
    projects = [
        await builders.project(
            registry.client,
            staff,
            programme["id"],
            lead["id"],
            goal_ids=[goal["id"]],
            start_date="2019-01-01",
            end_date="2019-12-31",
        )
        for _ in range(PROJECTS)
    ]

    async def replica_has_all() -> bool:
        statuses = [
            (await kpi.client.get(f"/v1/projects/{p['id']}/kpis", headers=staff)).status_code
            for p in projects
        ]
        return set(statuses) == {200}

    await eventually(replica_has_all, timeout_s=60)
    for p in projects:
        await kpi.client.put(
            f"/v1/projects/{p['id']}/kpis/MEETINGS_ORGANISED", json={}, headers=staff
        )
    items = [
        {"project": p["code"], "indicator": "MEETINGS_ORGANISED", "period": q, "value": i + 1}
        for i, p in enumerate(projects)
        for q in QUARTERS
    ]
    result = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=staff)
    assert result.json()["accepted"] == PROJECTS * len(QUARTERS)
    expected = str(sum(range(1, PROJECTS + 1)) * len(QUARTERS))

    async def all_counted() -> bool:
        total = (await _meetings(kpi.client, programme["id"], staff)).get("total") or {}
        return total.get("value") == expected

    await eventually(all_counted, timeout_s=60)
    meetings = await _meetings(kpi.client, programme["id"], staff)
    assert meetings["total"]["projects"] == PROJECTS
    assert [Decimal(s["value"]) for s in meetings["series"]] == [Decimal(78)] * 4

    def held() -> list[frozenset[tuple[str, int]]]:
        return [
            c.assignment for c in two_instances if any(topic == KPI for topic, _ in c.assignment)
        ]

    await eventually(lambda: len(held()) == 2, timeout_s=20)  # both hold part of kpi.events.v1
    assert not held()[0] & held()[1]
