"""Enterprises counted once in the funding service's EU report and its transmissions
(ADR 29): an enterprise supported by two projects is one enterprise in the programme's
figure, the projects' own figures stay as reported, and what awaits review is listed as
reported. The keyed hashes come with the KPI service's report events. On SQLite and
PostgreSQL."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from shared.auth import Role
from shared.contracts import kpi
from tests.conftest import AuthHeaders
from tests.integration.funding.harness import FundingService, funding_service
from tests.integration.funding.test_transmissions import PLAN, deliver

A, B, C, D = (f"{n:064x}" for n in (1, 2, 3, 4))  # keyed hashes, as the KPI service sends them


@pytest.fixture
async def funding(funding_db: str, auth: AuthHeaders) -> AsyncIterator[FundingService]:
    async for service in funding_service(funding_db):
        r = service.registry
        r.goal("LINE-A", kind="programme_line")
        r.organisation("Lead BV")
        for code in ("IBDO", "HHR"):
            r.project(code, lead="Lead BV", goals=["LINE-A"], municipality="Assen")
        await service.deliver()
        finance = auth(Role.FINANCE_OFFICER)
        base = f"/v1/programmes/{r.programme}/funding"
        body = {"region_category": "transition", "jtf_territory": []}
        assert (await service.client.put(base, json=body, headers=finance)).status_code == 200
        for code in ("IBDO", "HHR"):
            plan = f"/v1/projects/{r.projects[code]}/plan"
            response = await service.client.put(plan, json=PLAN, headers=finance)
            assert response.status_code == 200, response.text
        yield service


def version(
    funding: FundingService, code: str, value: int, ids: list[str], **more: Any
) -> kpi.ReportSubmitted:
    return kpi.ReportSubmitted(
        project_id=funding.registry.projects[code],
        indicator_code=more.pop("indicator", "RCO01"),
        indicator_kind="flow",
        period=more.pop("period", "2026-Q4"),
        dimension_key="",
        report_id=uuid.uuid4(),
        version=1,
        value=Decimal(value),
        numerator=None,
        denominator=None,
        comment=None,
        source_ref=None,
        organisation_id=None,
        submitted_by="organisation:lead",
        identifiers=ids,
        **more,
    )


def approval(report: kpi.ReportSubmitted) -> kpi.ReportApproved:
    return kpi.ReportApproved(
        project_id=report.project_id,
        indicator_code=report.indicator_code,
        indicator_kind="flow",
        period=report.period,
        dimension_key="",
        report_id=report.report_id,
        version=report.version,
        reviewed_by="reviewer",
    )


def realised(
    funding: FundingService, code: str, approved: int, pending: int = 0, pending_value: int = 0
) -> kpi.OutputsRealised:
    return kpi.OutputsRealised(
        project_id=funding.registry.projects[code],
        outputs=[
            kpi.RealisedValue(
                indicator_code="RCO01",
                indicator_kind="flow",
                unit="enterprises",
                eu_code="RCO01",
                realised=Decimal(approved + pending_value),
                as_of=date(2026, 12, 31),
                approved=Decimal(approved),
                pending_reports=pending,
                pending_value=Decimal(pending_value),
            )
        ],
    )


async def report(funding: FundingService, auth: AuthHeaders) -> Any:
    url = f"/v1/programmes/{funding.registry.programme}/eu-reports/efro"
    response = await funding.client.get(url, params={"as_of": "2027-01-31"}, headers=auth())
    assert response.status_code == 200, response.text
    return response.json()


async def test_two_projects_supporting_the_same_enterprise_count_it_once(
    funding: FundingService, auth: AuthHeaders
) -> None:
    ibdo = version(funding, "IBDO", 3, [A, B, C])
    hhr = version(funding, "HHR", 2, [C, D])
    unnamed = version(funding, "HHR", 1, [], period="2026-Q3")  # no identifiers: as reported
    waiting = version(funding, "HHR", 1, [A], period="2026-Q2")  # awaiting review
    await deliver(funding, ibdo, approval(ibdo), hhr, approval(hhr), unnamed, approval(unnamed))
    await deliver(funding, waiting, realised(funding, "IBDO", 3))
    await deliver(funding, realised(funding, "HHR", 3, pending=1, pending_value=1))

    found = await report(funding, auth)
    [rco01] = found["indicators"]
    assert (Decimal(rco01["value"]), Decimal(rco01["reported_value"])) == (Decimal(5), Decimal(6))
    assert (rco01["more_than_one_project"], rco01["projects"]) == (1, 2)
    # what awaits review is listed per project, as reported, and not counted
    assert [(p["code"], Decimal(p["pending_value"])) for p in found["pending"]] == [
        ("HHR", Decimal(1))
    ]
    assert (rco01["pending_reports"], Decimal(rco01["pending_value"])) == (1, Decimal(1))

    sealed = await funding.client.post(
        f"/v1/programmes/{funding.registry.programme}/eu-reports/efro/transmissions",
        json={"as_of": "2027-01-31"},
        headers=auth(Role.FINANCE_OFFICER),
    )
    assert sealed.status_code == 201, sealed.text
    file = await funding.client.get(
        f"/v1/programmes/{funding.registry.programme}/eu-reports/efro/transmissions/1",
        params={"format": "json"},
        headers=auth(),
    )
    record = json.loads(file.content)
    [sent] = record["report"]["indicators"]
    assert (Decimal(sent["value"]), sent["more_than_one_project"]) == (Decimal(5), 1)
    assert {(o["code"], Decimal(o["approved"])) for o in record["outputs"]} == {
        ("IBDO", Decimal(3)),
        ("HHR", Decimal(3)),
    }  # each project's own figure as reported
    assert A not in file.text  # the sealed files name figures, not the hashes behind them
    csv = await funding.client.get(
        f"/v1/programmes/{funding.registry.programme}/eu-reports/efro/transmissions/1",
        params={"format": "csv"},
        headers=auth(),
    )
    assert "RCO01,enterprises,5,2,1,1,6,1" in csv.text


async def test_a_later_version_without_identifiers_replaces_the_identified_one(
    funding: FundingService, auth: AuthHeaders
) -> None:
    ibdo = version(funding, "IBDO", 2, [A, B])
    hhr = version(funding, "HHR", 2, [A, B])
    revised = kpi.ReportRevised(
        **{**version(funding, "HHR", 2, []).model_dump(), "version": 2},
        reason="the partner could not name them",
    )
    await deliver(funding, ibdo, approval(ibdo), hhr, approval(hhr))
    await deliver(funding, realised(funding, "IBDO", 2), realised(funding, "HHR", 2))
    assert Decimal((await report(funding, auth))["indicators"][0]["value"]) == 2
    await deliver(funding, revised, approval(revised))
    [rco01] = (await report(funding, auth))["indicators"]
    assert (Decimal(rco01["value"]), rco01["more_than_one_project"]) == (Decimal(4), 0)
