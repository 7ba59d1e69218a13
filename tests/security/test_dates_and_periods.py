"""Dates and periods at every edge, on SQLite and PostgreSQL: an ISO date string (years
1900-2199) or a period like 2024-Q1 is read, anything else is a 422 at the field — never a
500, never a guess. `"period": "0000-Q1"` answered 500 (year 0 has no dates), and inside a
batch failed the whole batch; `"start_date": 0` was taken for 1970-01-01."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.funding.main import create_app as funding_app
from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.integration.funding.harness import funding_settings
from tests.integration.kpi.harness import KpiService, kpi_service

NOT_DATES: list[Any] = [
    0,
    1654646400,
    "1654646400",
    "2020-01-01T00:00:00",
    "2020-1-1",
    "0000-01-01",
    "1899-12-31",
    "2200-01-01",
    "9999-12-31",
    "2019-02-29",
    "",
    None,
    True,
]
NOT_PERIODS = ["0000-Q1", "0000", "1899-Q4", "2200", "9999-Q4", "٢٠١٩-Q1", "2019-Q0", "2019-Q5"]


@pytest.fixture
async def kpi(kpi_db: str) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_db):
        service.registry.goal("G1")
        service.registry.organisation("Lead BV")
        service.registry.project("P1", lead="Lead BV", goals=["G1"])
        await service.deliver()
        yield service


def _report(period: str) -> dict[str, Any]:
    return {"project": "P1", "indicator": "ENTREPRENEURS_REACHED", "period": period, "value": 1}


async def test_a_period_without_calendar_dates_is_422_and_fails_only_its_batch_item(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    staff = auth(Role.ADMIN)
    project = kpi.registry.projects["P1"]
    declared = await kpi.client.put(
        f"/v1/projects/{project}/kpis/ENTREPRENEURS_REACHED", json={}, headers=staff
    )
    assert declared.status_code == 200, declared.text
    for period in NOT_PERIODS:
        single = await kpi.client.post("/v1/reports", json=_report(period), headers=staff)
        assert single.status_code == 422, (period, single.text)
        assert single.json()["detail"][0]["loc"] == ["body", "period"], period
    items = [_report("2019-Q1"), *(_report(p) for p in NOT_PERIODS), _report("2019-Q2")]
    batch = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=staff)
    assert batch.status_code == 200, batch.text
    statuses = [result["status"] for result in batch.json()["results"]]
    assert statuses == [201] + [422] * len(NOT_PERIODS) + [201]


async def test_a_date_is_an_iso_string_or_a_422_at_its_field(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    staff = auth(Role.ADMIN)
    for value in NOT_DATES:
        for body in ({"start_date": value, "end_date": "2022-12-31"}, {"end_date": value}):
            response = await registry_client.post("/v1/projects", json=body, headers=staff)
            assert response.status_code == 422, (value, response.text)
            refused = {tuple(p["loc"]) for p in response.json()["detail"]}
            field = next(iter(k for k in body if body[k] is value))
            assert ("body", field) in refused, (value, refused)


async def test_a_date_in_a_query_is_an_iso_string_or_a_422(
    funding_db: str, auth: AuthHeaders
) -> None:
    app = funding_app(funding_settings(funding_db))
    programme = "00000000-0000-0000-0000-000000000001"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://funding"
    ) as client:
        for value in ("0", "1654646400", "2019-07-31T00:00:00", "0000-01-01", "2019-02-29"):
            response = await client.get(
                f"/v1/programmes/{programme}/eu-reports/efro",
                params={"as_of": value},
                headers=auth(Role.ADMIN),
            )
            assert response.status_code == 422, (value, response.text)
            assert response.json()["detail"][0]["loc"] == ["query", "as_of"]
    await app.state.runtime.close()
