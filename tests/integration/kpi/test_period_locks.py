"""A programme's period locks and lock exceptions as the review page reads them (issue 22):
what was locked and granted, by whom and when, only the programme's own; and locks outside
the programme's years refused."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.kpi.consumers import options, registry_handlers
from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.integration.kpi.harness import KpiService, kpi_service
from tests.registry_events import Registry


@pytest.fixture
async def kpi(kpi_db: str) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_db):
        r = service.registry
        r.goal("LINE", kind="programme_line")
        r.organisation("IBDO BV")
        r.project("IBDO", lead="IBDO BV", goals=["LINE"])
        r.project("OTHER", lead="IBDO BV", goals=["LINE"])
        await service.deliver()
        yield service


async def another_programme(kpi: KpiService) -> Registry:
    """A second programme (2016-2019 too) with a project of its own."""
    other = Registry()
    other.goal("ELSEWHERE", kind="programme_line")
    other.organisation("Elders BV")
    other.project("ELDERS", lead="Elders BV", goals=["ELSEWHERE"])
    await other.deliver(registry_handlers(options(kpi.settings)), kpi.uow)
    return other


async def test_a_programme_lists_its_locks_and_its_projects_exceptions(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    other = await another_programme(kpi)
    programme = str(kpi.registry.programme)
    before = datetime.now(UTC) - timedelta(seconds=1)
    for period in ("2018-Q4", "2019-Q1"):
        locked = await kpi.client.post(
            "/v1/period-locks",
            json={"programme_id": programme, "period": period},
            headers=auth(user="marloes"),
        )
        assert locked.status_code == 204, locked.text
    granted = await kpi.client.post(
        "/v1/lock-exceptions",
        json={
            "project_id": str(kpi.registry.projects["IBDO"]),
            "period": "2019-Q1",
            "reason": "late invoice",
        },
        headers=auth(user="marloes"),
    )
    assert granted.status_code == 204, granted.text
    elsewhere = await kpi.client.post(
        "/v1/lock-exceptions",
        json={
            "project_id": str(other.projects["ELDERS"]),
            "period": "2019-Q1",
            "reason": "not this programme's",
        },
        headers=auth(),
    )
    assert elsewhere.status_code == 204, elsewhere.text

    answer = await kpi.client.get(f"/v1/programmes/{programme}/locks", headers=auth(Role.ADMIN))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["programme_name"], body["period_start"], body["period_end"]) == (
        f"Koers {kpi.registry.programme.hex[:6]}",
        2016,
        2019,
    )
    assert [(lock["period"], lock["locked_by"]) for lock in body["locks"]] == [
        ("2018-Q4", "marloes"),
        ("2019-Q1", "marloes"),
    ]
    assert all(datetime.fromisoformat(lock["locked_at"]) > before for lock in body["locks"])
    assert [
        (e["project_code"], e["project_name"], e["period"], e["reason"], e["granted_by"])
        for e in body["exceptions"]
    ] == [("IBDO", "IBDO", "2019-Q1", "late invoice", "marloes")]
    assert datetime.fromisoformat(body["exceptions"][0]["granted_at"]) > before

    theirs = await kpi.client.get(f"/v1/programmes/{other.programme}/locks", headers=auth())
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["locks"] == []
    assert [e["project_code"] for e in theirs.json()["exceptions"]] == ["ELDERS"]


async def test_locks_are_read_by_programme_managers_only_and_of_known_programmes(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    programme = kpi.registry.programme
    viewer = await kpi.client.get(f"/v1/programmes/{programme}/locks", headers=auth(Role.VIEWER))
    assert viewer.status_code == 403
    unknown = await kpi.client.get(f"/v1/programmes/{uuid.uuid4()}/locks", headers=auth())
    assert unknown.status_code == 404
    assert "programme" in unknown.json()["detail"]
    malformed = await kpi.client.get("/v1/programmes/not-an-id/locks", headers=auth())
    assert malformed.status_code == 422
    assert "programme_id" in malformed.json()["detail"][0]["loc"]


async def test_a_period_outside_the_programmes_years_is_not_locked(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    programme = str(kpi.registry.programme)
    for period in ("2015-Q4", "2020-Q1", "2020"):
        refused = await kpi.client.post(
            "/v1/period-locks", json={"programme_id": programme, "period": period}, headers=auth()
        )
        assert refused.status_code == 422, (period, refused.text)
        problem = refused.json()["detail"][0]
        assert problem["loc"] == ["body", "period"]
        assert "outside the programme's years 2016-2019" in problem["msg"]
    first_and_last = [
        await kpi.client.post(
            "/v1/period-locks", json={"programme_id": programme, "period": p}, headers=auth()
        )
        for p in ("2016-Q1", "2019")
    ]
    assert [r.status_code for r in first_and_last] == [204, 204]
    listed = await kpi.client.get(f"/v1/programmes/{programme}/locks", headers=auth())
    assert [lock["period"] for lock in listed.json()["locks"]] == ["2016-Q1", "2019"]
