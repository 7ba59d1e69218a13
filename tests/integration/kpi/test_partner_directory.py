"""Partner systems find their way: their projects with ids, codes, KPIs and the periods
still owed; every read by code as well as by id; one Idempotency-Key rule for single and
batch intake. SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.integration.kpi.harness import KpiService, kpi_service
from tests.integration.kpi.test_intake_api import declare, partner_key


@pytest.fixture
async def kpi(kpi_db: str) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_db):  # today: 2019-06-01
        r = service.registry
        r.goal("LINE", kind="programme_line")
        r.goal("G1", parent="LINE")
        r.organisation("IBDO BV")
        r.organisation("Other BV")
        r.project("IBDO", lead="IBDO BV", goals=["G1"])  # 2016-2019
        r.project("OTHER", lead="Other BV", goals=["G1"])
        await service.deliver()
        yield service


def item(period: str, value: Any = 10, **extra: Any) -> dict[str, Any]:
    return {
        "project": "ibdo",  # the code, in any case
        "indicator": "ENTREPRENEURS_REACHED",
        "period": period,
        "value": value,
        **extra,
    }


async def test_a_partner_key_lists_its_projects_with_what_is_owed(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(
        kpi, auth, "IBDO", "ENTREPRENEURS_REACHED", target_value=1500, target_date="2019-12-31"
    )
    await declare(kpi, auth, "IBDO", "MEETINGS_ORGANISED", frequency="yearly")
    await declare(kpi, auth, "OTHER", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    sent = await kpi.client.post(
        "/v1/reports/batch", json={"reports": [item("2019-Q1"), item("2018-Q4")]}, headers=key
    )
    assert sent.json()["accepted"] == 2, sent.text

    listed = await kpi.client.get("/v1/projects", headers=key)
    assert listed.status_code == 200, listed.text
    [ibdo] = listed.json()  # not the other organisation's project
    assert (ibdo["id"], ibdo["code"]) == (str(kpi.registry.projects["IBDO"]), "IBDO")
    kpis = {k["indicator_code"]: k for k in ibdo["kpis"]}
    reached = kpis["ENTREPRENEURS_REACHED"]
    assert (reached["frequency"], reached["unit"], reached["target_value"]) == (
        "quarterly",
        "entrepreneurs",
        "1500",
    )
    # 2016-Q1 .. 2019-Q1 have ended by 2019-06-01; two of them are in
    assert len(reached["periods_due"]) == 13 - 2
    assert reached["periods_due"][0] == "2016-Q1" and "2019-Q1" not in reached["periods_due"]
    assert "2018-Q4" not in reached["periods_due"] and "2019-Q2" not in reached["periods_due"]
    assert kpis["MEETINGS_ORGANISED"]["periods_due"] == ["2016", "2017", "2018"]

    staff = await kpi.client.get("/v1/projects", headers=auth(Role.VIEWER))
    assert [p["code"] for p in staff.json()] == ["IBDO", "OTHER"]


async def test_every_partner_read_takes_the_code_as_well_as_the_id(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(
        kpi, auth, "IBDO", "ENTREPRENEURS_REACHED", target_value=1500, target_date="2019-12-31"
    )
    key = await partner_key(kpi, auth, "IBDO BV")
    assert (
        await kpi.client.post("/v1/reports", json=item("2019-Q1"), headers=key)
    ).status_code == 201
    by_id = str(kpi.registry.projects["IBDO"])
    for read in ("reports", "kpis", "progress"):
        answers = [
            await kpi.client.get(f"/v1/projects/{ref}/{read}", headers=key)
            for ref in (by_id, "IBDO", "ibdo")
        ]
        assert [a.status_code for a in answers] == [200, 200, 200], read
        assert answers[0].json() == answers[1].json() == answers[2].json()
    assert (await kpi.client.get("/v1/projects/OTHER/reports", headers=key)).status_code == 403
    unknown = await kpi.client.get("/v1/projects/NOPE/kpis", headers=key)
    assert unknown.status_code == 404 and "NOPE" in unknown.text


async def test_a_request_refused_whole_keeps_no_idempotency_key(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")

    async def batch(items: list[dict[str, Any]], idempotency_key: str) -> Any:
        return await kpi.client.post(
            "/v1/reports/batch",
            json={"reports": items},
            headers={**key, "Idempotency-Key": idempotency_key},
        )

    refused = await batch([item("2019-Q1", -5), item("2019-Q2", -1)], "b-1")
    assert refused.json()["accepted"] == 0
    corrected = await batch([item("2019-Q1", 5), item("2019-Q2", 1)], "b-1")  # the same key
    assert corrected.json()["accepted"] == 2, corrected.text
    again = await batch([item("2019-Q1", 5), item("2019-Q2", 1)], "b-1")
    assert again.content == corrected.content  # the first answer, nothing written twice
    other_body = await batch([item("2019-Q1", 6)], "b-1")
    assert other_body.status_code == 409

    partly = await batch([item("2019-Q3", 5), item("2019-Q4", -1)], "b-2")
    assert partly.json()["accepted"] == 1
    retried = await batch([item("2019-Q3", 5), item("2019-Q4", -1)], "b-2")
    assert retried.content == partly.content  # accepted in part: the key is kept

    single = {**key, "Idempotency-Key": "s-1"}
    no = await kpi.client.post("/v1/reports", json=item("2018-Q1", -3), headers=single)
    assert no.status_code == 422
    yes = await kpi.client.post("/v1/reports", json=item("2018-Q1", 3), headers=single)
    assert yes.status_code == 201, yes.text
    same = await kpi.client.post("/v1/reports", json=item("2018-Q1", 3), headers=single)
    assert (same.status_code, same.json()["id"]) == (201, yes.json()["id"])
