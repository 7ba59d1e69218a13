"""The broker unreachable for 30 s mid-load (its process paused): partners' reports are
still accepted (they wait in the outbox), and once the broker is back the totals catch up
with every report counted once."""

import asyncio
import os
import secrets
import signal
import time
from decimal import Decimal
from typing import Any

from shared.auth import Role
from shared.broker import EmbeddedBroker, free_port
from shared.contracts.topics import ALL_TOPICS
from shared.messaging.kafka import create_topics
from tests.conftest import AuthHeaders, registry_settings
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key

PAUSE_S = 30.0
QUARTERS = [f"{y}-Q{q}" for y in range(2016, 2020) for q in range(1, 5)]


async def test_reports_are_accepted_while_the_broker_is_away_and_counted_after(
    registry_pg_db: str, kpi_pg_db: str, auth: AuthHeaders
) -> None:
    staff = auth(Role.ADMIN)
    broker = EmbeddedBroker(free_port()).start()
    assert broker.process is not None
    try:
        await create_topics(broker.bootstrap_servers, ALL_TOPICS)
        group = f"test-{secrets.token_hex(3)}."
        config = kpi_settings(kpi_pg_db, broker.bootstrap_servers, consumer_group_prefix=group)
        async with (
            running_registry(
                registry_settings(registry_pg_db, broker.bootstrap_servers)
            ) as registry,
            running_kpi(config) as kpi,
        ):
            lead = await builders.organisation(registry.client, staff)
            programme, _, goal = await builders.programme_with_goals(registry.client, staff)
            project = await builders.project(
                registry.client,
                staff,
                programme["id"],
                lead["id"],
                goal_ids=[goal["id"]],
                start_date="2016-01-01",
                end_date="2019-12-31",
            )
            kpis = f"/v1/projects/{project['id']}/kpis"

            async def replica_knows_project() -> bool:
                return (await kpi.client.get(kpis, headers=staff)).status_code == 200

            await eventually(replica_knows_project, timeout_s=40)
            await kpi.client.put(f"{kpis}/MEETINGS_ORGANISED", json={}, headers=staff)
            partner = await partner_key(kpi.client, staff, lead["id"])
            statuses: list[int] = []

            async def load() -> None:
                for i, period in enumerate(QUARTERS):
                    body = {
                        "project": project["code"],
                        "indicator": "MEETINGS_ORGANISED",
                        "period": period,
                        "value": i + 1,
                    }
                    answer = await kpi.client.post("/v1/reports", json=body, headers=partner)
                    statuses.append(answer.status_code)
                    await asyncio.sleep(PAUSE_S / len(QUARTERS))

            os.kill(broker.process.pid, signal.SIGSTOP)
            try:
                await load()  # the whole load while the broker is away
            finally:
                os.kill(broker.process.pid, signal.SIGCONT)
            resumed = time.monotonic()
            assert statuses == [201] * len(QUARTERS)
            expected = sum(range(1, len(QUARTERS) + 1))
            total: dict[str, Any] = {}

            async def caught_up() -> bool:
                params = {"programme": programme["id"]}
                response = await kpi.client.get("/v1/aggregates", params=params, headers=staff)
                found = {a["indicator_code"]: a for a in response.json()}
                total.update(found.get("MEETINGS_ORGANISED", {}).get("total") or {})
                return total.get("value") == str(expected)

            await eventually(caught_up, timeout_s=90, interval_s=0.5)
            after = time.monotonic() - resumed
            print(f"broker away {PAUSE_S:.0f} s: all accepted; counted {after:.1f} s after")
            assert Decimal(total["value"]) == expected and total["projects"] == 1
    finally:
        broker.stop()
