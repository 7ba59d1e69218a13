"""PostgreSQL cut off for 10 s under load: requests fail cleanly with 503 and Retry-After,
never 500; the service is ready again soon after; every report answered 2xx is stored
exactly once, and the refused ones go in when the partner retries with its idempotency key."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import text

from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.faults.tcp_proxy import TcpProxy
from tests.integration.kpi.harness import KpiService, kpi_service
from tests.kafka_helpers import eventually, partner_key

CUT_S = 10.0
REPORTS = 240


def through(url: str, proxy: TcpProxy) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


@pytest.fixture
async def proxied(kpi_pg_db: str) -> AsyncIterator[tuple[KpiService, TcpProxy]]:
    target = urlsplit(kpi_pg_db)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    async for service in kpi_service(through(kpi_pg_db, proxy), db_pool_size=4):
        yield service, proxy
    await proxy.cut()


async def test_requests_fail_cleanly_while_the_database_is_away_and_nothing_is_lost(
    proxied: tuple[KpiService, TcpProxy], auth: AuthHeaders
) -> None:
    kpi, proxy = proxied
    staff = auth(Role.ADMIN)
    kpi.registry.goal("G")
    kpi.registry.organisation("Lead BV")
    project = kpi.registry.project(
        "P", lead="Lead BV", goals=["G"], start=date(1960, 1, 1), end=date(2019, 12, 31)
    )
    await kpi.deliver()
    assert (
        await kpi.client.put(
            f"/v1/projects/{project}/kpis/MEETINGS_ORGANISED", json={}, headers=staff
        )
    ).status_code == 200
    partner = await partner_key(kpi.client, staff, str(kpi.registry.organisations["Lead BV"]))
    quarters = [f"{y}-Q{q}" for y in range(1960, 2020) for q in range(1, 5)][:REPORTS]
    keys = {period: str(uuid.uuid4()) for period in quarters}

    async def post(period: str) -> httpx.Response:
        body = {"project": "P", "indicator": "MEETINGS_ORGANISED", "period": period, "value": 1}
        headers = {**partner, "Idempotency-Key": keys[period]}
        return await kpi.client.post("/v1/reports", json=body, headers=headers)

    answers: dict[str, httpx.Response] = {}

    async def load() -> None:
        for period in quarters:
            answers[period] = await post(period)
            await asyncio.sleep(0.05)

    async def fault() -> None:
        await asyncio.sleep(1.0)
        await proxy.cut()
        await asyncio.sleep(CUT_S)
        await proxy.restore()

    restored_at = [0.0]

    async def fault_and_mark() -> None:
        await fault()
        restored_at[0] = time.monotonic()

    await asyncio.gather(load(), fault_and_mark())
    statuses = {r.status_code for r in answers.values()}
    assert statuses <= {201, 503}, statuses  # never a 500, never anything else
    refused = [p for p, r in answers.items() if r.status_code == 503]
    assert refused, "the cut should have refused some requests"
    assert all(answers[p].headers.get("Retry-After") for p in refused)

    async def ready() -> bool:
        return (await kpi.client.get("/readyz")).status_code == 200

    await eventually(ready, timeout_s=30, interval_s=0.2)
    recovery_s = time.monotonic() - restored_at[0]
    assert recovery_s < 10, recovery_s

    for period in refused:  # the partner retries with the same idempotency keys
        assert (await post(period)).status_code in (200, 201)
    async with kpi.uow() as uow:
        connection = await uow.session.connection()
        rows = await connection.execute(
            text("SELECT period, count(*) FROM reports WHERE project_id = :p GROUP BY period"),
            {"p": project},
        )
        stored = {period: count for period, count in rows.all()}
    assert set(stored) == set(quarters) and set(stored.values()) == {1}, "each report exactly once"
    print(f"cut {CUT_S:.0f} s: {len(refused)}/{REPORTS} got 503; ready {recovery_s:.1f} s later")
