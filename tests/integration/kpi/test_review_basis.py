"""What a reviewer decides on: plausibility flags on what partners send (with thresholds the
programme and each indicator set), and a comment thread per report between reviewer and
partner, returns' reasons kept in it. SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.integration.kpi.harness import KpiService, kpi_service
from tests.integration.kpi.test_intake_api import declare, partner_key


@pytest.fixture
async def kpi(kpi_db: str) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_db):
        r = service.registry
        r.goal("LINE", kind="programme_line")
        r.goal("G1", parent="LINE")
        r.organisation("IBDO BV")
        r.organisation("Other BV")
        r.project("IBDO", lead="IBDO BV", goals=["G1"])
        r.project("OTHER", lead="Other BV", goals=["G1"])
        await service.deliver()
        yield service


def item(indicator: str, period: str, value: int, **extra: Any) -> dict[str, Any]:
    return {"project": "IBDO", "indicator": indicator, "period": period, "value": value, **extra}


async def batch(kpi: KpiService, key: dict[str, str], *items: dict[str, Any]) -> list[Any]:
    response = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=key)
    assert response.status_code == 200, response.text
    return [r["report"] for r in response.json()["results"]]


async def test_implausible_values_are_accepted_with_flags_the_reviewer_sees(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(
        kpi, auth, "IBDO", "ENTREPRENEURS_REACHED", target_value=100, target_date="2019-12-31"
    )
    key = await partner_key(kpi, auth, "IBDO BV")
    q1, q2, q3 = await batch(
        kpi,
        key,
        item("ENTREPRENEURS_REACHED", "2019-Q1", 20),
        item("ENTREPRENEURS_REACHED", "2019-Q2", 30),
        # 250 to date: beyond 200 % of 100; and more than five times the 30 of Q2
        item("ENTREPRENEURS_REACHED", "2019-Q3", 200),
    )
    assert (q1["flags"], q2["flags"], q3["flags"]) == ([], [], ["above_target", "jump"])
    assert q3["state"] == "submitted"  # accepted: a reviewer decides

    queue = await kpi.client.get("/v1/reports", headers=auth())
    flags = {r["period"]: r["flags"] for r in queue.json()["data"]}
    assert flags == {"2019-Q1": [], "2019-Q2": [], "2019-Q3": ["above_target", "jump"]}
    history = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['IBDO']}/reports", headers=key
    )
    assert {r["period"]: r["flags"] for r in history.json()}["2019-Q3"] == ["above_target", "jump"]


async def test_an_indicator_may_set_its_own_thresholds(kpi: KpiService, auth: AuthHeaders) -> None:
    await declare(
        kpi, auth, "IBDO", "MEETINGS_ORGANISED", target_value=10, target_date="2019-12-31"
    )
    key = await partner_key(kpi, auth, "IBDO BV")
    url = "/v1/indicators/MEETINGS_ORGANISED/plausibility"
    own = {"plausible_target_percent": "400", "plausible_jump_factor": "10"}
    assert (await kpi.client.put(url, json=own, headers=auth())).status_code == 200
    catalogue = {i["code"]: i for i in (await kpi.client.get("/v1/indicators", headers=key)).json()}
    assert catalogue["MEETINGS_ORGANISED"]["plausible_target_percent"] == "400"
    [within] = await batch(kpi, key, item("MEETINGS_ORGANISED", "2019-Q1", 30))  # 300 % < 400 %
    assert within["flags"] == []

    back = {"plausible_target_percent": None, "plausible_jump_factor": None}
    assert (await kpi.client.put(url, json=back, headers=auth())).status_code == 200
    [beyond] = await batch(kpi, key, item("MEETINGS_ORGANISED", "2019-Q2", 25))
    assert "above_target" in beyond["flags"]  # the programme's 200 % again

    refused = await kpi.client.put(url, json={**own, "plausible_jump_factor": "0"}, headers=auth())
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "plausible_jump_factor"
    unknown = "/v1/indicators/NO_SUCH/plausibility"
    assert (await kpi.client.put(unknown, json=own, headers=auth())).status_code == 404
    viewer = await kpi.client.put(url, json=own, headers=auth(Role.VIEWER))
    assert viewer.status_code == 403


async def test_reviewer_and_partner_talk_in_a_thread_per_report(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(
        kpi, auth, "IBDO", "ENTREPRENEURS_REACHED", target_value=100, target_date="2019-12-31"
    )
    key = await partner_key(kpi, auth, "IBDO BV")
    other = await partner_key(kpi, auth, "Other BV")
    [report] = await batch(kpi, key, item("ENTREPRENEURS_REACHED", "2019-Q1", 40))
    thread = f"/v1/reports/{report['id']}/comments"

    asked = await kpi.client.post(thread, json={"text": "Is 40 a quarter?"}, headers=auth())
    assert asked.status_code == 201, asked.text
    assert (asked.json()["role"], asked.json()["kind"]) == ("staff", "comment")
    returned = await kpi.client.post(
        f"/v1/reports/{report['id']}/review",
        json={"decision": "return", "reason": "cumulative, not the quarter"},
        headers=auth(),
    )
    assert returned.status_code == 200, returned.text
    answered = await kpi.client.post(thread, json={"text": "Right, 12 it is."}, headers=key)
    assert answered.status_code == 201, answered.text

    for reader in (key, auth()):
        seen = (await kpi.client.get(thread, headers=reader)).json()
        assert [(c["role"], c["kind"], c["text"]) for c in seen] == [
            ("staff", "comment", "Is 40 a quarter?"),
            ("staff", "return", "cumulative, not the quarter"),
            ("partner", "comment", "Right, 12 it is."),
        ]
    assert (await kpi.client.get(thread, headers=other)).status_code == 403
    assert (await kpi.client.post(thread, json={"text": "hi"}, headers=other)).status_code == 403
    viewer = await kpi.client.post(thread, json={"text": "hi"}, headers=auth(Role.VIEWER))
    assert viewer.status_code == 403
    empty = await kpi.client.post(thread, json={"text": "  "}, headers=key)
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"][-1] == "text"
    missing = "/v1/reports/00000000-0000-0000-0000-000000000000/comments"
    assert (await kpi.client.get(missing, headers=auth())).status_code == 404
