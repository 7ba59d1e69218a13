"""Late data on SQLite and PostgreSQL: once the funding service has announced an EU
transmission, a report or revision for a period it covered needs a reason, is flagged
"restates" it, and is announced to finance (kpi.restatement.flagged.v1); the policy is the
transmission's own."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text

from services.kpi import restatements
from shared.auth import Role
from shared.contracts import funding
from tests.conftest import AuthHeaders
from tests.integration.kpi.harness import KpiService, kpi_service


@pytest.fixture
async def kpi(kpi_db: str, auth: AuthHeaders) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_db):
        r = service.registry
        r.goal("LINE", kind="programme_line")
        r.organisation("IBDO BV")
        r.project("IBDO", lead="IBDO BV", goals=["LINE"])
        r.project("OTHER", lead="IBDO BV", goals=["LINE"])
        await service.deliver()
        for code in ("IBDO", "OTHER"):
            response = await service.client.put(
                f"/v1/projects/{r.projects[code]}/kpis/ENTREPRENEURS_REACHED",
                json={},
                headers=auth(),
            )
            assert response.status_code == 200, response.text
        yield service


async def seal(kpi: KpiService, *, number: int = 1, reason_required: bool = True) -> None:
    """funding.transmission.sealed.v1 through the KPI worker's handler (EFRO, 2019-01-31,
    IBDO's ENTREPRENEURS_REACHED)."""
    event = funding.TransmissionSealed(
        transmission_id=uuid.uuid4(),
        programme_id=kpi.registry.programme,
        fund="efro",
        number=number,
        label=f"efro-{number}",
        as_of=date(2019, 1, 31),
        correction=number - 1,
        corrects=number - 1 or None,
        reason=None,
        projects=[kpi.registry.projects["IBDO"]],
        indicators=["ENTREPRENEURS_REACHED"],
        restatements=[],
        late_data_reason_required=reason_required,
        late_data_notify=True,
        digests={},
        actor="finance",
        sealed_at=datetime(2019, 2, 1, tzinfo=UTC),
    )
    async with kpi.uow() as uow:
        await restatements.on_transmission_sealed(event, uow)
        await restatements.on_transmission_sealed(event, uow)  # redelivered
        await uow.commit()


async def key(kpi: KpiService, auth: AuthHeaders) -> dict[str, str]:
    response = await kpi.client.post(
        "/v1/api-keys",
        json={"organisation_id": str(kpi.registry.organisations["IBDO BV"]), "name": "crm"},
        headers=auth(Role.ADMIN),
    )
    return {"Authorization": f"Bearer {response.json()['key']}"}


def report(**overrides: Any) -> dict[str, Any]:
    return {
        "project": "IBDO",
        "indicator": "ENTREPRENEURS_REACHED",
        "period": "2018-Q4",
        "value": 40,
        **overrides,
    }


async def flagged_events(kpi: KpiService) -> list[dict[str, Any]]:
    async with kpi.uow() as uow:
        rows = await uow.session.exec(  # type: ignore[call-overload]
            text("SELECT data FROM outbox WHERE type = 'kpi.restatement.flagged.v1' ORDER BY id")
        )
        return [json.loads(r[0]) for r in rows.all()]


async def test_a_late_report_for_a_transmitted_period_needs_a_reason_and_is_flagged(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    partner = await key(kpi, auth)
    before = await kpi.client.post("/v1/reports", json=report(), headers=partner)
    assert before.status_code == 201 and before.json()["flags"] == []
    await seal(kpi)
    unexplained = await kpi.client.post("/v1/reports", json=report(value=44), headers=partner)
    assert unexplained.status_code == 422
    [problem] = unexplained.json()["detail"]
    assert problem["loc"] == ["body", "reason"] and "efro-1" in problem["msg"]
    revised = await kpi.client.post(
        "/v1/reports", json=report(value=44, reason="four more found"), headers=partner
    )
    assert revised.status_code == 201, revised.text
    assert revised.json()["flags"] == ["restates:efro-1"]
    late = await kpi.client.post(
        "/v1/reports/batch",
        json={"reports": [report(period="2018-Q3", value=30, reason="system was down")]},
        headers=partner,
    )
    [item] = late.json()["results"]
    assert item["status"] == 201 and item["report"]["flags"] == ["restates:efro-1"]
    assert item["report"]["revision_reason"] == "system was down"
    events = await flagged_events(kpi)
    assert [(e["kind"], e["period"], e["reason"], e["restates"]) for e in events] == [
        ("revision", "2018-Q4", "four more found", ["efro-1"]),
        ("late_report", "2018-Q3", "system was down", ["efro-1"]),
    ]
    assert events[0]["previous_value"] == "40" and events[0]["notify_finance"] is True


async def test_periods_after_the_cutoff_and_projects_not_transmitted_are_not_restatements(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await seal(kpi)
    partner = await key(kpi, auth)
    after = await kpi.client.post("/v1/reports", json=report(period="2019-Q1"), headers=partner)
    other = await kpi.client.post("/v1/reports", json=report(project="OTHER"), headers=partner)
    assert (after.status_code, other.status_code) == (201, 201)
    assert after.json()["flags"] == other.json()["flags"] == []
    assert await flagged_events(kpi) == []


async def test_the_policy_of_the_latest_correction_decides_and_names_it(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await seal(kpi)
    await seal(kpi, number=2, reason_required=False)
    partner = await key(kpi, auth)
    response = await kpi.client.post("/v1/reports", json=report(), headers=partner)
    assert response.status_code == 201, response.text
    assert response.json()["flags"] == ["restates:efro-2"]
