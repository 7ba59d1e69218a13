"""Enterprises counted once (EU methodology, RCO01): two projects support one enterprise in
common; each project's total stays as reported, the line and programme count it once and
say how many were counted by more than one project. KvK numbers are checked, and only their
keyed hashes are stored. Registry and KPI service as deployed, on the real broker, on
SQLite and PostgreSQL."""

import secrets
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text

from shared.auth import Role
from shared.db import create_engine
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key

COMMON = "1234 5678"  # the same enterprise as 12345678, written with a space


async def _rco01(client: httpx.AsyncClient, staff: dict[str, str], **node: str) -> Any:
    found = await client.get("/v1/aggregates", params={**node, "indicator": "RCO01"}, headers=staff)
    if found.status_code == 404:  # a goal's event may follow the project's (partitions)
        return None
    assert found.status_code == 200, found.text
    return found.json()[0] if found.json() else None


async def test_an_enterprise_supported_by_two_projects_counts_once_above_them(
    kafka: Kafka, registry_db: str, kpi_db: str, auth: AuthHeaders
) -> None:
    staff = auth(Role.ADMIN)
    group = f"test-{secrets.token_hex(3)}."
    bootstrap = kafka.bootstrap_servers
    async with (
        running_registry(registry_settings(registry_db, bootstrap)) as registry,
        running_kpi(kpi_settings(kpi_db, bootstrap, consumer_group_prefix=group)) as kpi,
    ):
        programme, line, goal = await builders.programme_with_goals(registry.client, staff)
        projects, keys = [], []
        for _ in range(2):
            lead = await builders.organisation(registry.client, staff)
            projects.append(
                await builders.project(
                    registry.client, staff, programme["id"], lead["id"], goal_ids=[goal["id"]]
                )
            )
            keys.append(await partner_key(kpi.client, staff, lead["id"]))

        async def both_known() -> bool:
            for p in projects:
                kpis = f"/v1/projects/{p['id']}/kpis"
                if (await kpi.client.get(kpis, headers=staff)).status_code != 200:
                    return False
            return True

        await eventually(both_known, timeout_s=40)
        for p in projects:
            declared = await kpi.client.put(
                f"/v1/projects/{p['id']}/kpis/RCO01", json={}, headers=staff
            )
            assert declared.status_code == 200, declared.text

        def report(project: Any, period: str, enterprises: list[str], **extra: Any) -> Any:
            return {
                "project": project["code"],
                "indicator": "RCO01",
                "period": period,
                "value": len(set(e.replace(" ", "") for e in enterprises)),
                "enterprises": enterprises,
                **extra,
            }

        refused = await kpi.client.post(
            "/v1/reports/batch",
            json={
                "reports": [
                    report(projects[0], "2021-Q1", ["1234567"]),  # seven digits
                    report(projects[0], "2021-Q1", ["12345678"], value=2),  # one listed
                    {**report(projects[0], "2021-Q1", []), "indicator": "ENTREPRENEURS_REACHED"},
                ]
            },
            headers=keys[0],
        )
        problems = [r["errors"][0]["loc"] for r in refused.json()["results"]]
        assert problems[:2] == [["body", "enterprises", 0], ["body", "value"]], refused.text
        first = await kpi.client.post(
            "/v1/reports",
            json=report(projects[0], "2021-Q1", ["12345678", "87654321", "11111111"]),
            headers=keys[0],
        )
        assert first.status_code == 201, first.text
        assert "12345678" not in first.text and len(first.json()["identifiers"]) == 3
        second = await kpi.client.post(
            "/v1/reports",
            json=report(projects[1], "2021-Q2", [COMMON, "22222222"]),
            headers=keys[1],
        )
        assert second.status_code == 201, second.text

        async def four_enterprises() -> bool:
            for node in (
                {"programme": programme["id"]},
                {"goal": line["id"]},
                {"goal": goal["id"]},
            ):
                total = await _rco01(kpi.client, staff, **node)
                if not (total and total["total"]["value"] == "4"):
                    return False
            return True

        await eventually(four_enterprises, timeout_s=30)
        for node in ({"programme": programme["id"]}, {"goal": line["id"]}, {"goal": goal["id"]}):
            total = await _rco01(kpi.client, staff, **node)
            assert (total["total"]["value"], total["reported_value"]) == ("4", "5")
            assert (total["more_than_one_project"], total["counted_once"]) == (1, "enterprise")
            assert [(s["period"], s["value"]) for s in total["series"]] == [
                ("2021-Q1", "3"),
                ("2021-Q2", "2"),
            ]
        eu = await kpi.client.get(
            "/v1/aggregates/eu", params={"programme": programme["id"]}, headers=staff
        )
        [rco01] = [t for t in eu.json() if t["eu_code"] == "RCO01"]
        assert (Decimal(rco01["value"]), Decimal(rco01["reported_value"])) == (
            Decimal(4),
            Decimal(5),
        )
        for p, value in zip(projects, ("3", "2"), strict=True):
            [progress] = (
                await kpi.client.get(f"/v1/projects/{p['id']}/progress", headers=staff)
            ).json()
            assert progress["realised"] == value  # project totals stay as reported

    engine = create_engine(kpi_db)
    try:
        async with engine.connect() as connection:
            stored = ""
            for table in ("reports", "projection_identifiers", "outbox"):
                rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
                stored += " ".join(str(row) for row in rows)
    finally:
        await engine.dispose()
    assert "12345678" not in stored and "87654321" not in stored  # hashes only
