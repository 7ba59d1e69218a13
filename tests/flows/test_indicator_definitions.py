"""Versioned indicator definitions: a unit changed on data already reported is converted
(old values times the factor, in the new unit) or declared a break in series, across which
no total is given — one per definition instead; the programme's totals per EU code
convert likewise and give none across a break. The catalogue keeps the history. Registry
and KPI service as deployed, on the real broker, on SQLite and PostgreSQL."""

import secrets
from decimal import Decimal
from typing import Any

import httpx

from shared.auth import Role
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually


async def _total(kpi: httpx.AsyncClient, staff: dict[str, str], code: str, **params: str) -> Any:
    found = await kpi.get("/v1/aggregates", params={**params, "indicator": code}, headers=staff)
    if found.status_code == 404:  # the programme's event may follow the project's (partitions)
        return None
    assert found.status_code == 200, found.text
    return found.json()[0] if found.json() else None


async def test_a_unit_converted_or_broken_counts_under_the_definition_of_its_period(
    kafka: Kafka, registry_db: str, kpi_db: str, auth: AuthHeaders
) -> None:
    staff, manager = auth(Role.ADMIN), auth(Role.PROGRAMME_MANAGER)
    bootstrap = kafka.bootstrap_servers
    group = f"t-{secrets.token_hex(3)}."
    async with (
        running_registry(registry_settings(registry_db, bootstrap)) as registry,
        running_kpi(kpi_settings(kpi_db, bootstrap, consumer_group_prefix=group)) as kpi,
    ):
        lead = await builders.organisation(registry.client, staff)
        programme, _, goal = await builders.programme_with_goals(registry.client, staff)
        project = await builders.project(
            registry.client, staff, programme["id"], lead["id"], goal_ids=[goal["id"]]
        )
        road, hours = (
            f"ROAD_{secrets.token_hex(2).upper()}",
            f"HOURS_{secrets.token_hex(2).upper()}",
        )
        for code, unit in ((road, "km"), (hours, "hours")):
            defined = await kpi.client.post(
                "/v1/indicators",
                json={
                    "code": code,
                    "name_en": code,
                    "unit": unit,
                    "level": "output",
                    "kind": "flow",
                    "eu_code": f"EU_{code}",
                },
                headers=manager,
            )
            assert defined.status_code == 201, defined.text

        kpis = f"/v1/projects/{project['id']}/kpis"

        async def known() -> bool:
            return (await kpi.client.get(kpis, headers=staff)).status_code == 200

        await eventually(known, timeout_s=40)
        targets = {road: {"target_value": 10, "target_date": "2022-12-31"}, hours: {}}
        for code in (road, hours):  # the road's target declared in km, before the change
            declared = await kpi.client.put(f"{kpis}/{code}", json=targets[code], headers=staff)
            assert declared.status_code == 200, declared.text

        async def report(code: str, period: str, value: int) -> None:
            body = {"project": project["code"], "indicator": code, "period": period, "value": value}
            sent = await kpi.client.post("/v1/reports", json=body, headers=manager)
            assert sent.status_code == 201, sent.text

        await report(road, "2021-Q1", 2)
        await report(road, "2021-Q2", 3)
        await report(hours, "2021-Q1", 10)
        definitions = f"/v1/indicators/{road}/definitions"
        change = {"effective_from": "2021-07-01", "unit": "m", "reason": "metres from Q3 on"}
        unconverted = await kpi.client.post(definitions, json=change, headers=manager)
        assert unconverted.status_code == 422
        assert unconverted.json()["detail"][0]["loc"] == ["body", "conversion_factor"]
        mid_quarter = await kpi.client.post(
            definitions,
            json={**change, "effective_from": "2021-08-15", "conversion_factor": "1000"},
            headers=manager,
        )
        assert mid_quarter.status_code == 422
        kind = await kpi.client.post(definitions, json={**change, "kind": "stock"}, headers=manager)
        assert kind.status_code == 422 and "kind" in kind.text
        converted = await kpi.client.post(
            definitions, json={**change, "conversion_factor": "1000"}, headers=manager
        )
        assert converted.status_code == 201, converted.text
        assert (converted.json()["version"], converted.json()["change"]) == (2, "conversion")
        broken = await kpi.client.post(
            f"/v1/indicators/{hours}/definitions",
            json={
                "effective_from": "2021-04-01",
                "unit": "days",
                "break_in_series": True,
                "reason": "counted in days from Q2",
            },
            headers=manager,
        )
        assert broken.status_code == 201, broken.text
        await report(road, "2021-Q3", 500)
        await report(hours, "2021-Q2", 2)

        async def applied() -> bool:
            total = await _total(kpi.client, staff, road, programme=programme["id"])
            return bool(total and total["total"]["value"] == "5500")

        await eventually(applied, timeout_s=30)
        first_half = await _total(
            kpi.client,
            staff,
            road,
            programme=programme["id"],
            **{"from": "2021-Q1", "to": "2021-Q2"},
        )
        assert (first_half["total"]["value"], first_half["unit"]) == ("5000", "m")
        year = await _total(kpi.client, staff, road, programme=programme["id"], **{"from": "2021"})
        assert year["total"]["value"] == "5500"

        async def both_hours() -> bool:
            across = await _total(kpi.client, staff, hours, programme=programme["id"])
            return bool(
                across
                and len(across["per_definition"]) == 2
                and across["per_definition"][1]["total"]
            )

        await eventually(both_hours, timeout_s=30)
        across = await _total(kpi.client, staff, hours, programme=programme["id"])
        assert across["total"] is None and "break in series" in across["note"]
        assert [
            (p["version"], p["unit"], p["last"], p["total"]["value"])
            for p in across["per_definition"]
        ] == [(1, "hours", "2021-Q1", "10"), (2, "days", None, "2")]
        after = await _total(
            kpi.client, staff, hours, programme=programme["id"], **{"from": "2021-Q2"}
        )
        assert after["total"]["value"] == "2"

        # the programme's totals per EU code follow the same rules: converted, and none
        # across the break (it names why)
        eu = await kpi.client.get(
            "/v1/aggregates/eu", params={"programme": programme["id"]}, headers=staff
        )
        assert eu.status_code == 200, eu.text
        by_code = {t["eu_code"]: t for t in eu.json()}
        assert (by_code[f"EU_{road}"]["value"], by_code[f"EU_{road}"]["note"]) == ("5500", None)
        hours_eu = by_code[f"EU_{hours}"]
        assert hours_eu["value"] is None and hours_eu["projects"] == 1, hours_eu
        assert f"{hours}'s definition has a break in series on 2021-04-01" in hours_eu["note"]

        # the project's own progress reads the same way: in metres, against its target
        # converted to metres too; across the break no figure to date, and why
        progress = f"/v1/projects/{project['id']}/progress"

        async def progress_of() -> dict[str, Any]:
            found = await kpi.client.get(progress, headers=staff)
            assert found.status_code == 200, found.text
            return {p["indicator_code"]: p for p in found.json()}

        async def progress_applied() -> bool:
            return bool((await progress_of())[hours]["pending_reports"] == 2)

        await eventually(progress_applied, timeout_s=30)
        mine = await progress_of()
        metres = mine[road]
        figures = ("realised", "target_value", "percent_of_target")
        assert [Decimal(metres[f]) for f in figures] == [5500, 10000, 55], metres
        assert metres["unit"] == "m" and metres["note"] is None
        assert [(q["period"], Decimal(q["value"])) for q in metres["series"]] == [
            ("2021-Q1", Decimal(2000)),
            ("2021-Q2", Decimal(3000)),
            ("2021-Q3", Decimal(500)),
        ]
        if metres["pending_reports"] == 3:  # nothing approved: all of it awaits review
            assert Decimal(metres["pending_value"]) == 5500
        broken_progress = mine[hours]
        assert broken_progress["realised"] is None and broken_progress["status"] is None
        assert broken_progress["percent_of_target"] is None
        assert f"{hours}'s definition has a break in series on 2021-04-01" in (
            broken_progress["note"] or ""
        )

        history = (await kpi.client.get(definitions, headers=staff)).json()
        assert [(d["version"], d["unit"], d["change"]) for d in history] == [
            (1, "km", "first"),
            (2, "m", "conversion"),
        ]
        catalogue = {
            i["code"]: i for i in (await kpi.client.get("/v1/indicators", headers=staff)).json()
        }
        assert (catalogue[road]["unit"], catalogue[road]["definition_version"]) == ("m", 2)
