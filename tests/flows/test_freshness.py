"""/v1/freshness tells the truth (issue 19 D, ADR 0028): after N accepted reports it says
`caught_up` only once all N are in the totals, on the embedded broker (whose end offsets
are wrong) as on Apache Kafka; while the outbox holds them, and while they are published
but not applied, it says how many wait. `ops lag` gives the same figures."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from services import ops
from services.kpi.consumers import AGGREGATES
from services.kpi.main import run_worker
from shared.auth import Role
from shared.messaging.kafka import KafkaPublisher, make_producer
from shared.messaging.outbox import OutboxRelay
from shared.messaging.progress import ProducedMarks
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.kpi.harness import KpiService, kpi_service
from tests.integration.projects import builders
from tests.integration.projects.harness import RunningRegistry, running_registry
from tests.kafka_helpers import eventually

PROJECTS = 3
QUARTERS = ("2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4")
N = PROJECTS * len(QUARTERS) * 2  # each value reported, then revised


@pytest.fixture
async def registry(kafka: Kafka, registry_pg_db: str) -> AsyncIterator[RunningRegistry]:
    async with running_registry(
        registry_settings(registry_pg_db, kafka.bootstrap_servers)
    ) as running:
        yield running


@pytest.fixture
async def kpi(kafka: Kafka, kpi_db: str) -> AsyncIterator[KpiService]:
    """The KPI API alone; the test runs its worker (or only its relay) when it chooses."""
    prefix = f"t{secrets.token_hex(3)}."
    async for service in kpi_service(kpi_db, kafka.bootstrap_servers, consumer_group_prefix=prefix):
        yield service


async def freshness(kpi: KpiService, headers: dict[str, str]) -> dict[str, Any]:
    response = await kpi.client.get("/v1/freshness", headers=headers)
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


async def meetings_total(kpi: KpiService, programme: str, headers: dict[str, str]) -> str | None:
    response = await kpi.client.get(
        "/v1/aggregates", params={"programme": programme}, headers=headers
    )
    found = {a["indicator_code"]: a for a in response.json()}.get("MEETINGS_ORGANISED", {})
    value: str | None = (found.get("total") or {}).get("value")
    return value


class Worker:
    """The KPI worker, started and stopped by the test."""

    def __init__(self, kpi: KpiService) -> None:
        self._kpi, self._stop = kpi, asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> "Worker":
        self._task = asyncio.create_task(run_worker(self._kpi.settings, self._stop))
        return self

    async def stop(self) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task

    def __exit__(self, *_: object) -> None:
        self._stop.set()


async def relay_only(kpi: KpiService, bootstrap: str) -> None:
    """Publish the KPI outbox, recording the produced marks as the worker does, and apply
    nothing."""
    producer = make_producer(bootstrap)
    await producer.start()
    marks = ProducedMarks(bootstrap)
    try:
        relay = OutboxRelay(kpi.runtime.sessions, KafkaPublisher(producer, marks), "kpi.outbox")
        while await relay.publish_pending():
            pass
    finally:
        await producer.stop()
        await marks.close()


async def test_caught_up_turns_true_only_once_every_accepted_report_is_in_the_totals(
    kafka: Kafka, registry: RunningRegistry, kpi: KpiService, auth: AuthHeaders
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
    worker = Worker(kpi)
    with worker:
        # Registry changes still in the registry's outbox are the registry's to report
        # (the KPI service cannot see that database): wait until the replica has them.
        async def replica_has_all() -> bool:
            for p in projects:
                found = await kpi.client.get(f"/v1/projects/{p['id']}/kpis", headers=staff)
                if found.status_code != 200:
                    return False
            return True

        await eventually(replica_has_all, timeout_s=90)
        for p in projects:
            put = await kpi.client.put(
                f"/v1/projects/{p['id']}/kpis/MEETINGS_ORGANISED", json={}, headers=staff
            )
            assert put.status_code == 200, put.text
        await eventually(lambda: _caught_up(kpi, staff), timeout_s=30)
        await worker.stop()

    # N reports accepted while nothing publishes: all N wait in the outbox.
    items = [
        {"project": p["code"], "indicator": "MEETINGS_ORGANISED", "period": q, "value": 1}
        for p in projects
        for q in QUARTERS
    ]
    batch = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=staff)
    assert batch.json()["accepted"] == len(items)
    for item in items:  # revised one by one: each a new event
        answer = await kpi.client.post("/v1/reports", json={**item, "value": 3}, headers=staff)
        assert answer.status_code in (200, 201), answer.text
    last_accepted = datetime.now(UTC)
    expected = str(3 * PROJECTS * len(QUARTERS))
    await asyncio.sleep(1.05)  # past the last reading's second
    waiting = await freshness(kpi, staff)
    assert waiting["caught_up"] is False
    assert waiting["outbox_backlog"] >= N
    assert waiting["events_waiting"] >= N
    assert await meetings_total(kpi, programme["id"], staff) != expected

    # Published, with the produced marks recorded, and not applied: the lag says so.
    await relay_only(kpi, kafka.bootstrap_servers)
    await asyncio.sleep(1.05)
    published = await freshness(kpi, staff)
    assert published["outbox_backlog"] == 0
    assert published["caught_up"] is False
    assert published["consumer_lag"] >= N
    lines = await ops.lag(kafka.bootstrap_servers, kpi.settings.consumer_group_prefix)
    aggregates = kpi.settings.consumer_group_prefix + AGGREGATES
    lags = [int(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(f"{aggregates} ")]
    assert sum(lags) >= N

    # Applied: caught up only with every one of the N in the totals.
    seen_false = 0
    with Worker(kpi) as applying:
        deadline = asyncio.get_running_loop().time() + 90
        while True:
            state = await freshness(kpi, staff)
            total = await meetings_total(kpi, programme["id"], staff)
            if state["caught_up"]:
                assert total == expected, state
                break
            seen_false += 1
            assert asyncio.get_running_loop().time() < deadline, state
            await asyncio.sleep(0.05)
        await applying.stop()
    assert state["events_waiting"] == 0 and state["consumer_lag"] == 0
    newest = datetime.fromisoformat(state["newest_applied_accepted_at"])
    assert last_accepted.timestamp() - 1 < newest.timestamp() <= last_accepted.timestamp()
    assert (datetime.now(UTC) - datetime.fromisoformat(state["as_of"])).total_seconds() < 5
    assert seen_false >= 1


async def _caught_up(kpi: KpiService, headers: dict[str, str]) -> bool:
    return bool((await freshness(kpi, headers))["caught_up"])
