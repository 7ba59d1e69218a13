"""Two KPI workers in one consumer group, as separate processes; one is killed with SIGKILL
mid-load (its partitions move to the other: a rebalance), then started again (another
rebalance). Every report is counted exactly once in the end."""

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from shared.auth import Role
from shared.broker import free_port
from tests.conftest import JWT_SECRET, AuthHeaders, Kafka, registry_settings
from tests.integration.kpi.harness import kpi_service
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key

PROJECTS = 6
QUARTERS = [f"{y}-Q{q}" for y in range(2016, 2020) for q in range(1, 5)]


def worker(database_url: str, bootstrap: str, group: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KPI_DATABASE_URL": database_url,
        "KPI_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KPI_JWT_SECRET": JWT_SECRET,
        "KPI_CONSUMER_GROUP_PREFIX": group,
        "KPI_WORKER_HEALTH_PORT": str(free_port()),
        "KPI_LOG_LEVEL": "WARNING",
    }
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "services.kpi", "worker"], env=env, stdout=out, stderr=out
    )


async def test_a_worker_killed_mid_load_loses_and_doubles_nothing(
    kafka: Kafka, registry_pg_db: str, kpi_pg_db: str, auth: AuthHeaders, tmp_path: Path
) -> None:
    staff = auth(Role.ADMIN)
    group = f"test-{secrets.token_hex(3)}."
    bootstrap = kafka.bootstrap_servers
    workers = [worker(kpi_pg_db, bootstrap, group, tmp_path / f"w{i}.log") for i in range(2)]

    def restart() -> subprocess.Popen[bytes]:
        return worker(kpi_pg_db, bootstrap, group, tmp_path / "w0-again.log")

    try:
        async with running_registry(registry_settings(registry_pg_db, bootstrap)) as registry:
            async for kpi in kpi_service(kpi_pg_db, bootstrap):
                await _load_and_kill(registry.client, kpi.client, staff, workers, restart)
    finally:
        for w in workers:
            w.kill()
            w.wait()


async def _load_and_kill(
    registry: httpx.AsyncClient,
    kpi: httpx.AsyncClient,
    staff: dict[str, str],
    workers: list[subprocess.Popen[bytes]],
    restart: Callable[[], subprocess.Popen[bytes]],
) -> None:
    lead = await builders.organisation(registry, staff)
    programme, _, goal = await builders.programme_with_goals(registry, staff)
    projects = [
        await builders.project(
            registry,
            staff,
            programme["id"],
            lead["id"],
            goal_ids=[goal["id"]],
            start_date="2016-01-01",
            end_date="2019-12-31",
        )
        for _ in range(PROJECTS)
    ]

    async def replica_knows_projects() -> bool:
        for p in projects:
            if (await kpi.get(f"/v1/projects/{p['id']}/kpis", headers=staff)).status_code != 200:
                return False
        return True

    await eventually(replica_knows_projects, timeout_s=60)
    for p in projects:
        await kpi.put(f"/v1/projects/{p['id']}/kpis/MEETINGS_ORGANISED", json={}, headers=staff)
    partner = await partner_key(kpi, staff, lead["id"])
    sent = 0
    for n, period in enumerate(QUARTERS):
        items = [
            {"project": p["code"], "indicator": "MEETINGS_ORGANISED", "period": period, "value": 1}
            for p in projects
        ]
        batch = await kpi.post("/v1/reports/batch", json={"reports": items}, headers=partner)
        sent += batch.json()["accepted"]
        if n == 4:  # mid-load: killed without a chance to commit or leave the group
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
        if n == 10:
            workers[0] = restart()
        await asyncio.sleep(0.3)
    assert sent == PROJECTS * len(QUARTERS)
    total: dict[str, Any] = {}

    async def all_counted() -> bool:
        params = {"programme": programme["id"]}
        response = await kpi.get("/v1/aggregates", params=params, headers=staff)
        found = {a["indicator_code"]: a for a in response.json()}
        total.update(found.get("MEETINGS_ORGANISED", {}).get("total") or {})
        return total.get("value") == str(sent)

    await eventually(all_counted, timeout_s=120, interval_s=0.5)
    assert Decimal(total["value"]) == sent and total["projects"] == PROJECTS
