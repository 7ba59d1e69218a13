"""A finance officer transmits the EFRO report at a cut-off, on SQLite and PostgreSQL: the
sealed record stays byte for byte what was sent while the figures move on, a cut-off goes
once (then only as a numbered correction), and a diff names what changed since and why."""

import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from services.funding.consumers import report_version_handlers
from services.ops import audit_entries
from shared.audit import verify_entries
from shared.auth import Role
from shared.contracts import kpi
from shared.contracts.base import Event
from tests.conftest import AuthHeaders
from tests.integration.funding.harness import FundingService, funding_service

PLAN: dict[str, Any] = {
    "total_costs": "400000.00",
    "eligible_costs": "380000.00",
    "ineligible_costs": "20000.00",
    "contributions": {"efro": "190000.00", "province": "170000.00", "private": "40000.00"},
}
CUTOFF = "2027-01-31"


@pytest.fixture
async def funding(funding_db: str, auth: AuthHeaders) -> AsyncIterator[FundingService]:
    async for service in funding_service(funding_db):
        r = service.registry
        r.goal("LINE-A", kind="programme_line")
        r.organisation("Lead BV")
        r.project("IBDO", lead="Lead BV", goals=["LINE-A"], municipality="Assen")
        await service.deliver()
        finance = auth(Role.FINANCE_OFFICER)
        base = f"/v1/programmes/{r.programme}"
        ibdo = r.projects["IBDO"]
        for url, method, body in (
            (f"{base}/funding", "PUT", {"region_category": "transition", "jtf_territory": []}),
            (f"/v1/projects/{ibdo}/plan", "PUT", PLAN),
            (
                f"/v1/projects/{ibdo}/grants",
                "POST",
                {
                    "fund": "efro",
                    "decided_on": "2026-03-01",
                    "amount": "190000.00",
                    "reference": "B-1",
                },
            ),
        ):
            response = await service.client.request(method, url, json=body, headers=finance)
            assert response.status_code < 300, response.text
        yield service


def url(funding: FundingService, tail: str = "") -> str:
    return f"/v1/programmes/{funding.registry.programme}/eu-reports/efro/transmissions{tail}"


async def deliver(funding: FundingService, *events: Event) -> None:
    """KPI events through the funding worker's handlers: outputs and report versions."""
    handlers = {**report_version_handlers()}
    for event in events:
        if event.type == kpi.OutputsRealised.type:
            await funding.deliver(event)
            continue
        async with funding.uow() as uow:
            await handlers[event.type](event, uow)
            await uow.commit()


def cell(funding: FundingService, period: str = "2026-Q4") -> dict[str, Any]:
    return {
        "project_id": funding.registry.projects["IBDO"],
        "indicator_code": "RCO01",
        "indicator_kind": "flow",
        "period": period,
        "dimension_key": "",
    }


def submitted(
    funding: FundingService, value: str, version: int = 1, reason: str | None = None, **more: Any
) -> kpi.ReportSubmitted:
    fields: dict[str, Any] = {
        **cell(funding, more.pop("period", "2026-Q4")),
        "report_id": uuid.uuid4(),
        "version": version,
        "value": Decimal(value),
        "numerator": None,
        "denominator": None,
        "comment": None,
        "source_ref": None,
        "organisation_id": None,
        "submitted_by": more.pop("by", "organisation:lead"),
        **more,
    }
    if version > 1:
        return kpi.ReportRevised(reason=reason, **fields)
    return kpi.ReportSubmitted(**fields)


def approved(funding: FundingService, report: kpi.ReportSubmitted) -> kpi.ReportApproved:
    return kpi.ReportApproved(
        **{**cell(funding, report.period), "report_id": report.report_id},
        version=report.version,
        reviewed_by="reviewer",
    )


def output(funding: FundingService, approved_value: str, pending: int = 0) -> kpi.OutputsRealised:
    return kpi.OutputsRealised(
        project_id=funding.registry.projects["IBDO"],
        outputs=[
            kpi.RealisedValue(
                indicator_code="RCO01",
                indicator_kind="flow",
                unit="enterprises",
                eu_code="RCO01",
                realised=Decimal(approved_value),
                as_of=date(2026, 12, 31),
                approved=Decimal(approved_value),
                pending_reports=pending,
                pending_value=Decimal(0),
            )
        ],
    )


async def files(funding: FundingService, auth: AuthHeaders, number: int) -> dict[str, bytes]:
    out = {}
    for fmt in ("json", "csv", "xlsx"):
        response = await funding.client.get(
            url(funding, f"/{number}"), params={"format": fmt}, headers=auth()
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-content-sha256"]
        out[fmt] = response.content
    return out


async def transmit(funding: FundingService, auth: AuthHeaders, **body: Any) -> Any:
    return await funding.client.post(
        url(funding), json={"as_of": CUTOFF, **body}, headers=auth(Role.FINANCE_OFFICER)
    )


async def test_a_transmission_stays_byte_for_byte_what_was_sent_and_the_diff_names_the_revision(
    funding: FundingService, auth: AuthHeaders
) -> None:
    first = submitted(funding, "12")
    await deliver(funding, first, approved(funding, first), output(funding, "12"))
    sealed = await transmit(funding, auth)
    assert sealed.status_code == 201, sealed.text
    assert (sealed.json()["number"], sealed.json()["label"]) == (1, "efro-1")
    before = await files(funding, auth, 1)
    record = json.loads(before["json"])
    assert record["transmission"]["sealed_by"] == "tester"
    [version] = record["report_versions"]
    assert (version["report_id"], version["version"], version["counted"]) == (
        str(first.report_id),
        1,
        True,
    )
    assert [d["indicator_code"] for d in record["definitions"]] == ["RCO01"]
    assert record["cofinancing"]["ceiling"]["rate"] == "0.6"
    assert [(i["eu_code"], Decimal(i["value"])) for i in record["report"]["indicators"]] == [
        ("RCO01", Decimal(12))
    ]
    assert "efro-1" in before["csv"].decode() and "RCO01,enterprises,12,1" in before["csv"].decode()
    assert load_workbook(io.BytesIO(before["xlsx"]))["Report versions"]["B2"].value == str(
        first.report_id
    )

    revision = submitted(
        funding,
        "15",
        version=2,
        reason="three enterprises were missed",
        by="organisation:lead",
        flags=["restates:efro-1"],
    )
    await deliver(funding, revision, approved(funding, revision), output(funding, "15"))

    assert await files(funding, auth, 1) == before
    listed = (await funding.client.get(url(funding), headers=auth())).json()
    assert [t["json_sha256"] for t in listed] == [sealed.json()["json_sha256"]]
    diff = (await funding.client.get(url(funding, "/1/diff"), headers=auth())).json()
    assert {
        (f["scope"], f["code"], f["field"], Decimal(f["transmitted"]), Decimal(f["today"]))
        for f in diff["figures"]
    } == {
        ("indicator", "RCO01", "value", Decimal(12), Decimal(15)),
        ("output", "IBDO RCO01", "approved", Decimal(12), Decimal(15)),
    }
    assert [
        (v["kind"], v["version"], v["reason"], v["actor"], v["restates"]) for v in diff["versions"]
    ] == [
        (
            "revision_after_approval",
            2,
            "three enterprises were missed",
            "organisation:lead",
            ["efro-1"],
        ),
        ("approval", 2, None, "reviewer", ["efro-1"]),
    ]
    assert Decimal(diff["versions"][0]["counted_value_transmitted"]) == 12
    verdict = verify_entries(await audit_entries(funding.settings.database_url))
    assert verdict.intact, verdict.problems
    sealing = [
        e
        for e in await audit_entries(funding.settings.database_url)
        if "transmissions" in e["action"]
    ]
    assert sealing and sealed.json()["json_sha256"] in sealing[-1]["changes"]


async def test_a_cutoff_goes_once_then_only_as_a_numbered_correction_that_refers_to_it(
    funding: FundingService, auth: AuthHeaders
) -> None:
    assert (await transmit(funding, auth)).status_code == 201
    again = await transmit(funding, auth)
    assert again.status_code == 409 and "corrects: 1" in again.text
    no_reason = await transmit(funding, auth, corrects=1)
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    correction = await transmit(funding, auth, corrects=1, reason="RCO01 of IBDO restated")
    assert correction.status_code == 201, correction.text
    assert (correction.json()["number"], correction.json()["correction"]) == (2, 1)
    assert correction.json()["corrects"] == 1
    stale = await transmit(funding, auth, corrects=1, reason="again")
    assert stale.status_code == 409 and "number 2" in stale.text


async def test_only_finance_transmits_and_a_date_off_the_cutoffs_needs_a_reason(
    funding: FundingService, auth: AuthHeaders
) -> None:
    manager = await funding.client.post(
        url(funding), json={"as_of": CUTOFF}, headers=auth(Role.PROGRAMME_MANAGER)
    )
    assert manager.status_code == 403
    odd = await transmit(funding, auth, as_of="2027-03-15")
    assert odd.status_code == 422 and odd.json()["detail"][0]["loc"] == ["body", "reason"]
    with_reason = await transmit(funding, auth, as_of="2027-03-15", reason="programme closure")
    assert with_reason.status_code == 201
    assert (await funding.client.get(url(funding, "/9"), headers=auth())).status_code == 404


async def test_the_next_transmission_lists_the_restatements_it_carries_once(
    funding: FundingService, auth: AuthHeaders
) -> None:
    first = submitted(funding, "12")
    await deliver(funding, first, approved(funding, first), output(funding, "12"))
    assert (await transmit(funding, auth)).status_code == 201
    late = submitted(funding, "4", period="2026-Q3", flags=["restates:efro-1"])
    flagged = kpi.RestatementFlagged(
        **{k: v for k, v in cell(funding, "2026-Q3").items() if k != "indicator_kind"},
        report_id=late.report_id,
        version=1,
        kind="late_report",
        value=Decimal(4),
        previous_value=None,
        reason="the partner's system was down",
        submitted_by="organisation:lead",
        organisation_id=None,
        restates=["efro-1"],
        notify_finance=True,
    )
    await deliver(funding, late, flagged, flagged)  # redelivered: still one
    second = await transmit(funding, auth, as_of="2027-07-31")
    assert second.status_code == 201
    [carried] = json.loads((await files(funding, auth, 2))["json"])["restatements"]
    assert (carried["code"], carried["period"], carried["reason"]) == (
        "IBDO",
        "2026-Q3",
        "the partner's system was down",
    )
    diff = (await funding.client.get(url(funding, "/1/diff"), headers=auth())).json()
    assert [r["kind"] for r in diff["restatements"]] == ["late_report"]
    assert [v["kind"] for v in diff["versions"]] == ["late_report"]
    third = await transmit(funding, auth, as_of="2028-01-31")
    assert json.loads((await files(funding, auth, 3))["json"])["restatements"] == []
    assert third.status_code == 201


async def test_a_sealed_transmission_cannot_be_changed_in_the_database(
    funding: FundingService, auth: AuthHeaders
) -> None:
    assert (await transmit(funding, auth)).status_code == 201
    async with funding.uow() as uow:
        with pytest.raises(Exception, match="append-only"):
            await uow.session.exec(text("UPDATE transmissions SET csv = 'forged'"))  # type: ignore[call-overload]
