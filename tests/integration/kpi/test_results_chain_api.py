"""Outcome indicators and statistics on SQLite and PostgreSQL: bad input refused whole."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.integration.kpi.harness import KpiService, kpi_service

OUTCOME = {
    "code": "UNEMPLOYMENT",
    "name": "Unemployment rate",
    "unit": "%",
    "kind": "level",
    "direction": "lower_is_better",
    "baseline_value": "6.1",
    "baseline_date": "2016-12-31",
}


@pytest.fixture
async def kpi(kpi_db: str, auth: AuthHeaders) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_db):
        service.registry.goal("LABOUR", kind="programme_line")
        await service.deliver()
        goal = service.registry.goals["LABOUR"]
        defined = await service.client.put(
            f"/v1/goals/{goal}/outcomes", json=OUTCOME, headers=auth(Role.PROGRAMME_MANAGER)
        )
        assert defined.status_code == 200, defined.text
        yield service


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {".".join(map(str, p["loc"])): p["msg"] for p in response.json()["detail"]}


async def test_a_target_date_before_the_baseline_date_is_refused(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    body = {**OUTCOME, "target_value": "4", "target_date": "2015-12-31"}
    response = await kpi.client.put(
        f"/v1/goals/{kpi.registry.goals['LABOUR']}/outcomes",
        json=body,
        headers=auth(Role.PROGRAMME_MANAGER),
    )
    assert "before the baseline date" in problems(response)["body.target_date"]


async def test_measurements_are_all_or_nothing_and_a_republication_is_no_new_revision(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    url = f"/v1/programmes/{kpi.registry.programme}/outcome-measurements"
    manager = auth(Role.PROGRAMME_MANAGER)
    good = {
        "outcome": "UNEMPLOYMENT",
        "period": 2016,
        "value": "6.1",
        "source": "CBS",
        "published_on": "2017-03-01",
    }
    bad = [good, {**good, "outcome": "NOPE"}, {**good, "period": 2026}]
    found = problems(await kpi.client.post(url, json={"measurements": bad}, headers=manager))
    assert found["body.measurements.1.outcome"] == "no outcome indicator with this code"
    assert "has not ended yet" in found["body.measurements.2.period"]
    outcomes = f"/v1/goals/{kpi.registry.goals['LABOUR']}/outcomes"
    assert (await kpi.client.get(outcomes, headers=auth())).json()[0]["revisions"] == []
    for _ in range(2):
        response = await kpi.client.post(url, json={"measurements": [good]}, headers=manager)
        assert response.status_code == 201
    revised = {**good, "value": "6.0", "published_on": "2017-09-01"}
    await kpi.client.post(url, json={"measurements": [revised]}, headers=manager)
    listed = (await kpi.client.get(outcomes, headers=auth())).json()[0]
    assert [(r["value"], r["revision"]) for r in listed["revisions"]] == [("6.1", 1), ("6", 2)]
    assert listed["latest_value"] == "6"


async def test_only_programme_managers_define_the_chain(kpi: KpiService, auth: AuthHeaders) -> None:
    response = await kpi.client.put(
        f"/v1/goals/{kpi.registry.goals['LABOUR']}/outcomes",
        json=OUTCOME,
        headers=auth(Role.VIEWER),
    )
    assert response.status_code == 403
