"""The broker restarted empty (the embedded broker keeps nothing; a Kafka cluster rebuilt):
the documented recovery — republish every outbox — lets a projection rebuilt from the new
broker converge to the live one, with every report once."""

import secrets
from pathlib import Path

from services.kpi.rebuild import differences, rebuild
from shared.auth import Role
from shared.broker import EmbeddedBroker, free_port
from shared.contracts.topics import ALL_TOPICS
from shared.messaging.kafka import create_topics
from shared.messaging.outbox import mark_all_unsent, outbox_backlog
from tests.conftest import AuthHeaders, registry_settings
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key


async def test_republishing_the_outboxes_makes_projections_converge_on_a_new_broker(
    registry_pg_db: str, kpi_pg_db: str, auth: AuthHeaders, tmp_path: Path
) -> None:
    staff = auth(Role.ADMIN)
    first = EmbeddedBroker(free_port()).start()
    try:
        await create_topics(first.bootstrap_servers, ALL_TOPICS)
        group = f"test-{secrets.token_hex(3)}."
        kpi_config = kpi_settings(kpi_pg_db, first.bootstrap_servers, consumer_group_prefix=group)
        async with (
            running_registry(
                registry_settings(registry_pg_db, first.bootstrap_servers)
            ) as registry,
            running_kpi(kpi_config) as kpi,
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
            items = [
                {
                    "project": project["code"],
                    "indicator": "MEETINGS_ORGANISED",
                    "period": f"2019-Q{q}",
                    "value": q,
                }
                for q in (1, 2, 3, 4)
            ]
            assert (
                await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=partner)
            ).json()["accepted"] == 4

            async def counted() -> bool:
                totals = await kpi.client.get(
                    "/v1/aggregates", params={"programme": programme["id"]}, headers=staff
                )
                return any((a["total"] or {}).get("value") == "10" for a in totals.json())

            await eventually(counted, timeout_s=30)
    finally:
        first.stop()  # everything on it is gone

    second = EmbeddedBroker(free_port()).start()
    try:
        await create_topics(second.bootstrap_servers, ALL_TOPICS)
        registry_config = registry_settings(registry_pg_db, second.bootstrap_servers)
        kpi_config = kpi_settings(kpi_pg_db, second.bootstrap_servers, consumer_group_prefix=group)
        async with running_registry(registry_config) as registry, running_kpi(kpi_config) as kpi:
            # the recovery command (`python -m services republish`) does exactly this
            assert await mark_all_unsent(registry.runtime.sessions) > 0
            assert await mark_all_unsent(kpi.runtime.sessions) > 0

            async def outboxes_sent() -> bool:
                backlogs = [await outbox_backlog(s.runtime.sessions) for s in (registry, kpi)]
                return backlogs == [0, 0]

            await eventually(outboxes_sent, timeout_s=30)
        rebuilt = f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}"
        await rebuild(second.bootstrap_servers, rebuilt, idle_s=1.5)
        assert await differences(kpi_pg_db, rebuilt) == []
    finally:
        second.stop()
