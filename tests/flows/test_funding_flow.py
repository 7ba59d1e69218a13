"""Input meets output: funding learns projects from the registry and outputs from the KPI
service, over the real broker, and computes cost per output; redelivery changes nothing.

Registry, KPI and funding services run as deployed (API + worker each) on PostgreSQL.
"""

import asyncio
import secrets
from decimal import Decimal
from typing import Any

import httpx

from services.kpi.config import KpiSettings
from shared.auth import Role
from shared.messaging.outbox import mark_all_unsent, outbox_backlog
from shared.runtime import ServiceRuntime
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.funding.harness import funding_settings, running_funding
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key


async def _project_efficiency(
    client: httpx.AsyncClient, headers: dict[str, str], programme_id: str, code: str
) -> dict[str, Any]:
    response = await client.get(f"/v1/programmes/{programme_id}/efficiency", headers=headers)
    assert response.status_code == 200, response.text
    return next(e for e in response.json() if e["scope"] == "project" and e["code"] == code)


async def _republish_kpi_outbox(settings: KpiSettings) -> int:
    runtime = ServiceRuntime.from_settings(settings)
    try:
        return await mark_all_unsent(runtime.sessions)
    finally:
        await runtime.close()


async def test_cost_per_output_from_registry_kpi_and_funding_events(
    kafka: Kafka, registry_pg_db: str, kpi_pg_db: str, funding_pg_db: str, auth: AuthHeaders
) -> None:
    staff, finance = auth(Role.ADMIN), auth(Role.FINANCE_OFFICER)
    group = f"test-{secrets.token_hex(3)}."
    bootstrap = kafka.bootstrap_servers
    kpi_config = kpi_settings(kpi_pg_db, bootstrap, consumer_group_prefix=group)
    async with (
        running_registry(registry_settings(registry_pg_db, bootstrap)) as registry,
        running_kpi(kpi_config) as kpi,
        running_funding(
            funding_settings(funding_pg_db, bootstrap, consumer_group_prefix=group)
        ) as funding,
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
        money = f"/v1/projects/{project['id']}"

        async def funding_knows_project() -> bool:
            # Programme and project events travel on different partitions: wait for both.
            budgets = f"/v1/programmes/{programme['id']}/budgets"
            programme_known = await funding.client.get(budgets, headers=staff)
            project_known = await funding.client.get(f"{money}/funding", headers=staff)
            return programme_known.status_code == project_known.status_code == 200

        await eventually(funding_knows_project, timeout_s=40)
        setup = await funding.client.put(
            f"/v1/programmes/{programme['id']}/funding",
            json={"region_category": "transition"},
            headers=finance,
        )
        assert setup.status_code == 200, setup.text
        plan = {
            "total_costs": "400000.00",
            "eligible_costs": "400000.00",
            "contributions": {"efro": "170500.00", "province": "170500.00", "private": "59000.00"},
        }
        assert (
            await funding.client.put(f"{money}/plan", json=plan, headers=finance)
        ).status_code == 200
        decided = await funding.client.post(
            f"{money}/grants",
            json={
                "fund": "efro",
                "amount": "170500.00",
                "decided_on": "2016-02-01",
                "reference": f"EFRO-{secrets.token_hex(3)}",
            },
            headers=finance,
        )
        assert decided.status_code == 201, decided.text

        kpis = f"/v1/projects/{project['id']}/kpis"

        async def kpi_knows_project() -> bool:
            return (await kpi.client.get(kpis, headers=staff)).status_code == 200

        await eventually(kpi_knows_project, timeout_s=40)
        declared = await kpi.client.put(f"{kpis}/ENTREPRENEURS_REACHED", json={}, headers=staff)
        assert declared.status_code == 200, declared.text
        partner = await partner_key(kpi.client, staff, lead["id"])
        items = [
            {
                "project": project["code"],
                "indicator": "ENTREPRENEURS_REACHED",
                "period": p,
                "value": v,
            }
            for p, v in (("2019-Q1", 380), ("2019-Q2", 455), ("2019-Q3", 390), ("2019-Q4", 480))
        ]
        batch = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=partner)
        assert batch.json()["accepted"] == 4, batch.text

        async def outputs() -> list[tuple[Decimal, int, Decimal]]:
            e = await _project_efficiency(funding.client, staff, programme["id"], project["code"])
            return [
                (Decimal(o["realised"]), o["pending_reports"], Decimal(o["pending_value"]))
                for o in e["outputs"]
            ]

        async def funding_sees_1705_awaiting_review() -> bool:
            return await outputs() == [
                (Decimal(0), 4, Decimal(1705))
            ]  # not yet counted: none approved

        await eventually(funding_sees_1705_awaiting_review, timeout_s=30)
        progress = f"/v1/projects/{project['id']}/progress"
        [reached] = (await kpi.client.get(progress, headers=staff)).json()
        assert (reached["realised"], reached["approved"], reached["pending_reports"]) == (
            "1705",
            None,
            4,
        )
        for result in batch.json()["results"]:
            review = f"/v1/reports/{result['report']['id']}/review"
            approved = await kpi.client.post(
                review, json={"decision": "approve"}, headers=auth(Role.PROGRAMME_MANAGER)
            )
            assert approved.status_code == 200, approved.text

        async def funding_counts_1705() -> bool:
            return await outputs() == [(Decimal(1705), 0, Decimal(0))]

        await eventually(funding_counts_1705, timeout_s=30)
        [reached] = (await kpi.client.get(progress, headers=staff)).json()
        assert (reached["realised"], reached["approved"], reached["pending_reports"]) == (
            "1705",
            "1705",
            0,
        )
        efficiency = await _project_efficiency(
            funding.client, staff, programme["id"], project["code"]
        )
        output = efficiency["outputs"][0]
        assert Decimal(output["committed_per_unit"]) == 100  # 170,500 euro / 1,705 reached
        assert Decimal(efficiency["leverage"]) == Decimal("0.1730")  # 59,000 / 341,000

        # Every KPI event again (as after a broker loss): funding's figures stay the same.
        assert await _republish_kpi_outbox(kpi_config) > 0

        async def kpi_outbox_sent() -> bool:
            return await outbox_backlog(kpi.runtime.sessions) == 0

        await eventually(kpi_outbox_sent, timeout_s=30)
        await asyncio.sleep(2)  # time for the duplicates to reach funding's consumer
        again = await _project_efficiency(funding.client, staff, programme["id"], project["code"])
        assert again == efficiency
