"""The evaluators' question, answered: IBDO's reports reach the programme line and programme totals.

Registry and KPI service run as deployed (API + worker each) on PostgreSQL and the real
broker; the KPI service learns the project only from the registry's events.
"""

import secrets
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from services.kpi.rebuild import differences, rebuild
from shared.auth import Role
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key

IBDO_QUARTERS = {  # (entrepreneurs reached, meetings organised): 1,705 and 39 in all
    "2019-Q1": (380, 9),
    "2019-Q2": (455, 10),
    "2019-Q3": (390, 8),
    "2019-Q4": (480, 12),
}


async def _totals(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> dict[str, Any]:
    response = await client.get("/v1/aggregates", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {a["indicator_code"]: a for a in response.json()}


async def test_ibdo_reports_add_up_to_the_programme_line_and_programme(
    kafka: Kafka, registry_pg_db: str, kpi_pg_db: str, auth: AuthHeaders, tmp_path: Path
) -> None:
    staff = auth(Role.ADMIN)
    group = f"test-{secrets.token_hex(3)}."
    kpi_config = kpi_settings(kpi_pg_db, kafka.bootstrap_servers, consumer_group_prefix=group)
    async with (
        running_registry(registry_settings(registry_pg_db, kafka.bootstrap_servers)) as registry,
        running_kpi(kpi_config) as kpi,
    ):
        lead = await builders.organisation(registry.client, staff)
        programme, line, goal = await builders.programme_with_goals(registry.client, staff)
        second_goal = await builders.create(
            registry.client,
            f"/v1/programmes/{programme['id']}/goals",
            {
                "kind": "goal",
                "code": builders.unique("G"),
                "name": "Ondernemerschap",
                "parent_id": line["id"],
            },
            staff,
        )
        project = await builders.project(
            registry.client,
            staff,
            programme["id"],
            lead["id"],
            goal_ids=[goal["id"], second_goal["id"]],
            start_date="2016-01-01",
            end_date="2019-12-31",
        )
        kpis = f"/v1/projects/{project['id']}/kpis"

        async def replica_knows_project() -> bool:
            return (await kpi.client.get(kpis, headers=staff)).status_code == 200

        await eventually(replica_knows_project, timeout_s=40)
        for code, target in (("ENTREPRENEURS_REACHED", 1500), ("MEETINGS_ORGANISED", 20)):
            body = {
                "target_value": target,
                "target_date": "2019-12-31",
                "baseline_value": 0,
                "baseline_year": 2015,
            }
            assert (
                await kpi.client.put(f"{kpis}/{code}", json=body, headers=staff)
            ).status_code == 200
        partner = await partner_key(kpi.client, staff, lead["id"])
        items = [
            {"project": project["code"], "indicator": code, "period": period, "value": values[i]}
            for period, values in IBDO_QUARTERS.items()
            for i, code in enumerate(("ENTREPRENEURS_REACHED", "MEETINGS_ORGANISED"))
        ]
        batch = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=partner)
        assert batch.json()["accepted"] == 8, batch.text

        async def programme_shows_ibdo() -> bool:
            totals = await _totals(kpi.client, staff, programme=programme["id"])
            values = [
                (totals.get(c, {}).get("total") or {}).get("value")
                for c in ("ENTREPRENEURS_REACHED", "MEETINGS_ORGANISED")
            ]
            return values == ["1705", "39"]

        await eventually(programme_shows_ibdo, timeout_s=30)
        for node in ({"programme": programme["id"]}, {"goal": line["id"]}, {"goal": goal["id"]}):
            totals = await _totals(kpi.client, staff, **node)
            assert totals["ENTREPRENEURS_REACHED"]["total"]["value"] == "1705"
            assert (
                totals["ENTREPRENEURS_REACHED"]["total"]["projects"] == 1
            )  # once, though on two goals
            assert totals["MEETINGS_ORGANISED"]["total"]["value"] == "39"
            assert [s["value"] for s in totals["MEETINGS_ORGANISED"]["series"]] == [
                "9",
                "10",
                "8",
                "12",
            ]
        year = await _totals(
            kpi.client, staff, programme=programme["id"], **{"from": "2019-Q2", "to": "2019-Q3"}
        )
        assert year["ENTREPRENEURS_REACHED"]["total"]["value"] == "845"
        assert (
            await _totals(kpi.client, staff, programme=programme["id"], approved_only="true")
        ) == {}

        progress = await kpi.client.get(f"/v1/projects/{project['id']}/progress", headers=partner)
        by_code = {p["indicator_code"]: p for p in progress.json()}
        reached = by_code["ENTREPRENEURS_REACHED"]
        assert (reached["realised"], reached["target_value"], reached["status"]) == (
            "1705",
            "1500",
            "on_track",
        )
        assert round(Decimal(reached["percent_of_target"]), 1) == Decimal("113.7")
        assert by_code["MEETINGS_ORGANISED"]["percent_of_target"].startswith("195")

        rebuilt = f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}"
        stats = await rebuild(kafka.bootstrap_servers, rebuilt, idle_s=1.0)
        assert stats.kpi_events >= 10  # 2 targets + 8 reports, and whatever other tests sent

        async def rebuilt_equals_live() -> list[str] | bool:
            return (await differences(kpi_pg_db, rebuilt)) or True

        # the live worker also works through every earlier test's events on this broker
        await eventually(rebuilt_equals_live, timeout_s=120, interval_s=1.0)
        assert await differences(kpi_pg_db, rebuilt) == []
        tampered = sqlite3.connect(tmp_path / "rebuilt.db")
        tampered.execute(
            "UPDATE projection_node_totals SET value = value + 1000000 WHERE period_key = 'all'"
        )
        tampered.commit()
        tampered.close()
        assert any("node totals" in d for d in await differences(kpi_pg_db, rebuilt))
