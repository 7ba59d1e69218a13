"""Finance staff at work on SQLite and PostgreSQL: rules, plans, grants, payments, views."""

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from services.funding.models import FinancingPlan, GrantDecision, Payment
from shared.auth import Role
from shared.contracts import kpi
from tests.conftest import AuthHeaders
from tests.integration.funding.harness import FundingService, funding_service

PLAN: dict[str, Any] = {
    "total_costs": "400000.00",
    "eligible_costs": "380000.00",
    "ineligible_costs": "20000.00",
    "contributions": {"efro": "190000.00", "province": "170000.00", "private": "40000.00"},
}


@pytest.fixture
async def funding(funding_db: str, auth: AuthHeaders) -> AsyncIterator[FundingService]:
    async for service in funding_service(funding_db):
        r = service.registry
        r.goal("LINE-A", kind="programme_line")
        r.goal("G1", parent="LINE-A")
        r.goal("LINE-B", kind="programme_line")
        r.organisation("Lead BV")
        r.project("IBDO", lead="Lead BV", goals=["G1", "LINE-B"], municipality="Assen")
        r.project("EMMEN", lead="Lead BV", goals=["LINE-B"], municipality="Emmen")
        await service.deliver()
        response = await service.client.put(
            f"/v1/programmes/{r.programme}/funding",
            json={"region_category": "transition", "jtf_territory": ["Groningen", "Emmen"]},
            headers=auth(Role.FINANCE_OFFICER),
        )
        assert response.status_code == 200, response.text
        yield service


def project(funding: FundingService, code: str) -> uuid.UUID:
    return funding.registry.projects[code]


async def put_plan(
    funding: FundingService, auth: AuthHeaders, code: str, body: dict[str, Any]
) -> Any:
    return await funding.client.put(
        f"/v1/projects/{project(funding, code)}/plan", json=body, headers=auth(Role.FINANCE_OFFICER)
    )


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {".".join(map(str, p["loc"])): p["msg"] for p in response.json()["detail"]}


async def count(funding: FundingService, model: Any) -> int:
    async with funding.uow() as uow:
        return int((await uow.session.exec(select(func.count()).select_from(model))).one())


async def test_a_plan_within_the_ceiling_is_accepted_with_its_rate_and_leverage(
    funding: FundingService, auth: AuthHeaders
) -> None:
    response = await put_plan(funding, auth, "IBDO", PLAN)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["version"] == 1
    assert Decimal(plan["public_contribution"]) == Decimal("360000")
    assert Decimal(plan["leverage"]) == Decimal("0.1111")  # 40,000 private per 360,000 public
    assert [(r["fund"], Decimal(r["rate"])) for r in plan["eu_rates"]] == [("efro", Decimal("0.6"))]
    shares = {uuid.UUID(g): Decimal(s) for g, s in plan["goal_shares"].items()}
    assert sum(shares.values()) == 1 and len(shares) == 2  # equal shares by default


async def test_efro_exactly_at_sixty_percent_passes_and_one_cent_more_is_refused(
    funding: FundingService, auth: AuthHeaders
) -> None:
    at_rate = {**PLAN, "contributions": {"efro": "228000.00", "province": "172000.00"}}
    assert (await put_plan(funding, auth, "IBDO", at_rate)).status_code == 200
    above = {
        **PLAN,
        "contributions": {"efro": "228000.01", "province": "171999.99"},
        "reason": "more EU money",
    }
    found = problems(await put_plan(funding, auth, "IBDO", above))
    assert "228000.00 allowed" in found["contributions.efro"]
    assert "60.00% of total eligible cost" in found["contributions.efro"]


async def test_every_problem_of_a_bad_plan_is_reported_at_its_field_and_nothing_is_written(
    funding: FundingService, auth: AuthHeaders
) -> None:
    bad = {
        "total_costs": "400000.00",
        "eligible_costs": "390000.00",
        "ineligible_costs": "20000.00",
        "contributions": {"efro": "300000.00", "province": "50000.00"},
    }
    found = problems(await put_plan(funding, auth, "IBDO", bad))
    assert "add up to the total costs" in found["eligible_costs"]
    assert "does not balance" in found["contributions"]
    assert "more than the" in found["contributions.efro"]
    assert await count(funding, FinancingPlan) == 0


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("total_costs", "-1.00", "greater than 0"),
        ("eligible_costs", "100.001", "decimal places"),
        ("contributions", {"lottery": "1.00"}, "Input should be"),
    ],
)
async def test_negative_sub_cent_amounts_and_unknown_funds_are_refused(
    funding: FundingService, auth: AuthHeaders, field: str, value: Any, reason: str
) -> None:
    found = problems(await put_plan(funding, auth, "IBDO", {**PLAN, field: value}))
    assert any(loc.startswith(f"body.{field}") and reason in msg for loc, msg in found.items())


async def test_jtf_needs_the_territory_and_no_other_eu_fund(
    funding: FundingService, auth: AuthHeaders
) -> None:
    jtf_and_efro = {
        "total_costs": "100000.00",
        "eligible_costs": "100000.00",
        "contributions": {"jtf": "50000.00", "efro": "10000.00", "private": "40000.00"},
    }
    found = problems(await put_plan(funding, auth, "IBDO", jtf_and_efro))
    assert "outside the programme's JTF territory (Emmen, Groningen)" in found["project_id"]
    assert "may not come from another EU fund (efro)" in found["contributions.jtf"]
    jtf_only = {**jtf_and_efro, "contributions": {"jtf": "70000.00", "private": "30000.00"}}
    assert (await put_plan(funding, auth, "EMMEN", jtf_only)).status_code == 200  # 70% ceiling


async def test_an_approved_priority_rate_below_the_ceiling_applies(
    funding: FundingService, auth: AuthHeaders
) -> None:
    r = funding.registry
    rates = f"/v1/programmes/{r.programme}/rates"
    staff = auth(Role.FINANCE_OFFICER)
    too_high = {
        "goal_id": str(r.goals["LINE-B"]),
        "fund": "efro",
        "rate": "0.65",
        "effective_from": "2021-01-01",
    }
    assert (
        "above the ceiling"
        in problems(await funding.client.post(rates, json=too_high, headers=staff))["rate"]
    )
    ok = {**too_high, "rate": "0.5"}
    assert (await funding.client.post(rates, json=ok, headers=staff)).status_code == 201
    # IBDO is booked on LINE-B (50%) and under LINE-A (ceiling 60%): the strictest applies.
    contributions = {"efro": "200000.00", "province": "160000.00", "private": "40000.00"}
    found = problems(
        await put_plan(funding, auth, "IBDO", {**PLAN, "contributions": contributions})
    )
    assert "50.00% of total eligible cost (priority LINE-B)" in found["contributions.efro"]


async def test_an_amendment_is_a_new_version_with_its_reason_and_history(
    funding: FundingService, auth: AuthHeaders
) -> None:
    assert (await put_plan(funding, auth, "IBDO", PLAN)).status_code == 200
    assert "reason" in problems(await put_plan(funding, auth, "IBDO", PLAN))
    amended = {
        **PLAN,
        "reason": "province adds 10k",
        "total_costs": "410000.00",
        "eligible_costs": "390000.00",
        "contributions": {**PLAN["contributions"], "province": "180000.00"},
    }
    assert (await put_plan(funding, auth, "IBDO", amended)).status_code == 200
    history = await funding.client.get(
        f"/v1/projects/{project(funding, 'IBDO')}/plan/versions", headers=auth()
    )
    assert [(v["version"], v["reason"], v["created_by"]) for v in history.json()] == [
        (1, None, "tester"),
        (2, "province adds 10k", "tester"),
    ]


async def grant(funding: FundingService, auth: AuthHeaders, **body: Any) -> Any:
    return await funding.client.post(
        f"/v1/projects/{project(funding, 'IBDO')}/grants",
        json={"fund": "efro", "decided_on": "2022-03-01", **body},
        headers=auth(Role.FINANCE_OFFICER),
    )


async def pay(funding: FundingService, auth: AuthHeaders, **body: Any) -> Any:
    return await funding.client.post(
        f"/v1/projects/{project(funding, 'IBDO')}/payments",
        json={"fund": "efro", "paid_on": "2022-06-01", **body},
        headers=auth(Role.FINANCE_OFFICER),
    )


async def test_payments_never_exceed_the_commitment_and_settlement_recovers_the_excess(
    funding: FundingService, auth: AuthHeaders
) -> None:
    await put_plan(funding, auth, "IBDO", PLAN)
    too_much = await grant(funding, auth, amount="190000.01", reference="B-0")
    assert "more than the 190000" in problems(too_much)["amount"]
    assert (await grant(funding, auth, amount="190000.00", reference="B-1")).status_code == 201
    assert (await grant(funding, auth, amount="1.00", reference="B-1")).status_code == 409
    assert (await pay(funding, auth, kind="advance", amount="100000.00")).status_code == 201
    over = await pay(funding, auth, kind="interim", amount="90000.01")
    assert "exceeds what remains of the commitment" in problems(over)["amount"]
    assert await count(funding, Payment) == 1
    assert (await pay(funding, auth, kind="interim", amount="90000.00")).status_code == 201
    settled = await funding.client.post(
        f"/v1/projects/{project(funding, 'IBDO')}/settlements",
        json={
            "fund": "efro",
            "amount": "175000.00",
            "settled_on": "2024-01-31",
            "reference": "V-1",
        },
        headers=auth(Role.FINANCE_OFFICER),
    )
    assert settled.status_code == 201, settled.text
    body = settled.json()
    assert (body["payment"]["kind"], Decimal(body["payment"]["amount"])) == (
        "recovery",
        Decimal(15000),
    )
    ledger = body["ledger"]
    assert Decimal(ledger["committed"]) == Decimal(ledger["paid"]) == 175000
    assert (await pay(funding, auth, kind="interim", amount="1.00")).status_code == 422
    money = (
        await funding.client.get(f"/v1/projects/{project(funding, 'IBDO')}/funding", headers=auth())
    ).json()
    assert [(g["reference"], Decimal(g["amount"])) for g in money["grants"]] == [
        ("B-1", Decimal(190000))
    ]
    assert [p["kind"] for p in money["payments"]] == ["advance", "interim", "recovery"]


async def decommit(funding: FundingService, auth: AuthHeaders, **body: Any) -> Any:
    return await funding.client.post(
        f"/v1/projects/{project(funding, 'IBDO')}/decommitments",
        json={"fund": "efro", "decided_on": "2022-09-01", "reason": "less work", **body},
        headers=auth(Role.FINANCE_OFFICER),
    )


async def test_a_fund_is_lowered_below_its_commitment_only_after_a_decommitment(
    funding: FundingService, auth: AuthHeaders
) -> None:
    await put_plan(funding, auth, "IBDO", PLAN)
    assert (await grant(funding, auth, amount="190000.00", reference="B-1")).status_code == 201
    assert (await pay(funding, auth, kind="advance", amount="100000.00")).status_code == 201
    lowered = {
        **PLAN,
        "contributions": {"efro": "1.00", "province": "170000.00", "private": "229999.00"},
        "reason": "EFRO withdrawn",
    }
    refused = problems(await put_plan(funding, auth, "IBDO", lowered))
    assert list(refused) == ["contributions.efro"]
    assert "less than the 190000" in refused["contributions.efro"]
    assert "de-commit" in refused["contributions.efro"]
    # a de-commitment never goes below what was paid, and its reference is a decision's
    below_paid = problems(await decommit(funding, auth, amount="90000.01", reference="D-1"))
    assert "less than the 100000 already paid" in below_paid["amount"]
    assert (await decommit(funding, auth, amount="1.00", reference="B-1")).status_code == 409
    done = await decommit(funding, auth, amount="89999.00", reference="D-1")
    assert done.status_code == 201, done.text
    still = problems(await put_plan(funding, auth, "IBDO", lowered))
    assert "less than the 100001" in still["contributions.efro"]
    enough = {**lowered, "contributions": {**lowered["contributions"], "efro": "100001.00"}}
    enough["contributions"]["private"] = "129999.00"
    amended = await put_plan(funding, auth, "IBDO", enough)
    assert amended.status_code == 200, amended.text
    money = (
        await funding.client.get(f"/v1/projects/{project(funding, 'IBDO')}/funding", headers=auth())
    ).json()
    assert [(d["reference"], Decimal(d["amount"])) for d in money["decommitments"]] == [
        ("D-1", Decimal(89999))
    ]
    (efro,) = [lg for lg in money["ledgers"] if lg["fund"] == "efro"]
    assert (Decimal(efro["committed"]), Decimal(efro["remaining"])) == (Decimal(100001), Decimal(1))
    assert (await pay(funding, auth, kind="interim", amount="1.01")).status_code == 422


async def test_an_amendment_drawn_up_from_an_old_version_is_a_409_with_the_current_one(
    funding: FundingService, auth: AuthHeaders
) -> None:
    first = await put_plan(funding, auth, "IBDO", {**PLAN, "based_on": 0})
    assert first.json()["version"] == 1
    again = await put_plan(funding, auth, "IBDO", {**PLAN, "based_on": 0})
    assert again.status_code == 409
    assert again.json()["current_version"] == 1
    amended = await put_plan(funding, auth, "IBDO", {**PLAN, "reason": "r", "based_on": 1})
    assert amended.json()["version"] == 2
    stale = await put_plan(funding, auth, "IBDO", {**PLAN, "reason": "r", "based_on": 1})
    assert (stale.status_code, stale.json()["current_version"]) == (409, 2)
    assert "version 2" in stale.json()["detail"]


async def test_only_finance_officers_change_money(
    funding: FundingService, auth: AuthHeaders
) -> None:
    response = await funding.client.put(
        f"/v1/projects/{project(funding, 'IBDO')}/plan", json=PLAN, headers=auth(Role.VIEWER)
    )
    assert response.status_code == 403
    assert await count(funding, FinancingPlan) == 0 and await count(funding, GrantDecision) == 0


async def test_budgets_show_committed_paid_and_absorption_per_line(
    funding: FundingService, auth: AuthHeaders
) -> None:
    r, staff = funding.registry, auth(Role.FINANCE_OFFICER)
    for line in ("LINE-A", "LINE-B"):
        body = {"goal_id": str(r.goals[line]), "fund": "efro", "amount": "200000.00"}
        response = await funding.client.put(
            f"/v1/programmes/{r.programme}/budgets", json=body, headers=staff
        )
        assert response.status_code == 200, response.text
    await put_plan(funding, auth, "IBDO", PLAN)  # half under LINE-A (via G1), half LINE-B
    await grant(funding, auth, amount="190000.00", reference="B-1")
    await pay(funding, auth, kind="advance", amount="50000.00")
    lines = (
        await funding.client.get(f"/v1/programmes/{r.programme}/budgets", headers=auth())
    ).json()
    by_code = {(line["code"], line["fund"]): line for line in lines}
    line_a = by_code[("LINE-A", "efro")]
    assert Decimal(line_a["committed"]) == 95000 and Decimal(line_a["paid"]) == 25000
    assert Decimal(line_a["remaining"]) == 105000
    assert Decimal(line_a["committed_share"]) == Decimal("0.475")
    assert Decimal(line_a["absorption_rate"]) == Decimal("0.125")
    assert Decimal(by_code[("G1", "efro")]["committed"]) == 95000  # no budget, money shown


def realised(
    funding: FundingService,
    code: str,
    indicator: str,
    value: str,
    as_of: date,
    eu_code: str | None = None,
    *,
    approved: str | None = "",
    pending: tuple[int, str, int] = (0, "0", 0),
) -> kpi.OutputsRealised:
    """One output as the KPI service announces it: approved as realised unless told."""
    reports, pending_value, flagged = pending
    return kpi.OutputsRealised(
        project_id=project(funding, code),
        outputs=[
            kpi.RealisedValue(
                indicator_code=indicator,
                indicator_kind="flow",
                unit="enterprises",
                eu_code=eu_code,
                realised=Decimal(value),
                as_of=as_of,
                approved=Decimal(value if approved == "" else approved)
                if approved is not None
                else None,
                pending_reports=reports,
                pending_value=Decimal(pending_value),
                flagged_reports=flagged,
            )
        ],
    )


async def test_cost_per_output_follows_the_realised_outputs_and_redelivery_changes_nothing(
    funding: FundingService, auth: AuthHeaders
) -> None:
    await put_plan(funding, auth, "IBDO", PLAN)
    await grant(funding, auth, amount="190000.00", reference="B-1")
    await pay(funding, auth, kind="advance", amount="95000.00")
    first = realised(funding, "IBDO", "ENTREPRENEURS_REACHED", "1000", date(2022, 6, 30))
    later = realised(funding, "IBDO", "ENTREPRENEURS_REACHED", "1900", date(2022, 9, 30))
    await funding.deliver(first, later, later)

    async def ibdo() -> dict[str, Any]:
        rows = (
            await funding.client.get(
                f"/v1/programmes/{funding.registry.programme}/efficiency", headers=auth()
            )
        ).json()
        return next(e for e in rows if e["scope"] == "project" and e["code"] == "IBDO")

    output = (await ibdo())["outputs"][0]
    assert Decimal(output["realised"]) == 1900
    assert Decimal(output["committed_per_unit"]) == 100  # 190,000 / 1,900
    assert Decimal(output["paid_per_unit"]) == 50
    await funding.deliver(first)  # an older value again: the latest known wins on the next
    await funding.deliver(later)
    assert Decimal((await ibdo())["outputs"][0]["realised"]) == 1900


async def test_a_projects_outputs_announced_together_count_per_indicator(
    funding: FundingService, auth: AuthHeaders
) -> None:
    await put_plan(funding, auth, "IBDO", PLAN)
    await grant(funding, auth, amount="190000.00", reference="B-1")
    outputs = [
        realised(funding, "IBDO", code, value, date(2022, 9, 30))
        for code, value in (("ENTREPRENEURS_REACHED", "1900"), ("MEETINGS_ORGANISED", "38"))
    ]
    together = kpi.OutputsRealised(
        project_id=project(funding, "IBDO"),
        outputs=[o.outputs[0] for o in outputs],
    )
    await funding.deliver(together, together)  # redelivered: no second effect
    rows = (
        await funding.client.get(
            f"/v1/programmes/{funding.registry.programme}/efficiency", headers=auth()
        )
    ).json()
    ibdo = next(e for e in rows if e["scope"] == "project" and e["code"] == "IBDO")
    per_unit = {o["indicator_code"]: Decimal(o["committed_per_unit"]) for o in ibdo["outputs"]}
    assert per_unit == {"ENTREPRENEURS_REACHED": 100, "MEETINGS_ORGANISED": 5000}


async def test_eu_report_as_of_a_cutoff_counts_money_and_indicators_up_to_that_date(
    funding: FundingService, auth: AuthHeaders
) -> None:
    await put_plan(funding, auth, "IBDO", PLAN)
    emmen = {
        "total_costs": "200000.00",
        "eligible_costs": "200000.00",
        "ineligible_costs": "0.00",
        "contributions": {"efro": "80000.00", "province": "120000.00"},
    }
    await put_plan(funding, auth, "EMMEN", emmen)
    await grant(funding, auth, amount="190000.00", reference="B-1")
    await pay(funding, auth, kind="advance", amount="95000.00", paid_on="2023-01-15")
    await pay(funding, auth, kind="interim", amount="50000.00", paid_on="2023-03-01")
    await funding.deliver(
        realised(funding, "IBDO", "RCO01", "12", date(2022, 12, 31), eu_code="RCO01"),
        realised(funding, "IBDO", "RCO01", "20", date(2023, 3, 31), eu_code="RCO01"),
        realised(funding, "IBDO", "OWN", "99", date(2022, 12, 31)),
    )
    url = f"/v1/programmes/{funding.registry.programme}/eu-reports/efro"
    report = (await funding.client.get(url, params={"as_of": "2023-01-31"}, headers=auth())).json()
    assert report["is_cutoff"] is True
    assert [
        (p["code"], Decimal(p["eu_planned"]), Decimal(p["eu_committed"]), Decimal(p["eu_paid"]))
        for p in report["projects"]
    ] == [
        ("EMMEN", Decimal(80000), Decimal(0), Decimal(0)),
        ("IBDO", Decimal(190000), Decimal(190000), Decimal(95000)),
    ]
    # the EU money planned adds up as the other money does: the total the portal shows
    assert Decimal(report["eu_planned"]) == Decimal(270000)
    assert [(i["eu_code"], Decimal(i["value"])) for i in report["indicators"]] == [
        ("RCO01", Decimal(12))
    ]
    default = (await funding.client.get(url, headers=auth())).json()
    assert default["as_of"] == "2026-07-31" and Decimal(default["eu_paid"]) == 145000
    csv_text = (
        await funding.client.get(
            url, params={"as_of": "2023-07-31", "format": "csv"}, headers=auth()
        )
    ).text
    assert "IBDO,Ik" not in csv_text and "IBDO,IBDO,380000" in csv_text
    [total] = [row for row in csv.reader(io.StringIO(csv_text)) if row[:1] == ["total"]]
    assert [Decimal(v) for v in total[2:]] == [580000, 270000, 190000, 145000]
    assert "RCO01,enterprises,20,1" in csv_text
    xlsx = await funding.client.get(url, params={"format": "xlsx"}, headers=auth())
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert xlsx.content[:2] == b"PK"


def target(
    funding: FundingService, code: str, indicator: str, value: str | None, kind: str = "flow"
) -> kpi.TargetSet:
    """A project's KPI declaration as the KPI service announces it."""
    return kpi.TargetSet(
        project_id=project(funding, code),
        indicator_code=indicator,
        indicator_kind=kind,
        direction="increase",
        frequency="quarterly",
        dimensions=(),
        baseline_value=None,
        baseline_year=None,
        target_value=None if value is None else Decimal(value),
        target_date=None if value is None else date(2028, 12, 31),
        period_targets={},
        actor="ik-bouw",
    )


async def test_the_eu_report_gives_per_eu_code_the_targets_the_projects_declared_as_planned(
    funding: FundingService, auth: AuthHeaders
) -> None:
    """Planned beside achieved: RCO01's end targets of both projects added up as declared
    (enterprises too: a target names none), the latest declaration of each; a project
    without an output yet plans all the same; an indicator with no EU code plans nothing,
    nor does a ratio. In JSON, CSV and XLSX."""
    await put_plan(funding, auth, "IBDO", PLAN)
    emmen = {**PLAN, "contributions": {"efro": "150000.00", "province": "250000.00"}}
    await put_plan(funding, auth, "EMMEN", emmen)
    await funding.deliver(
        realised(funding, "IBDO", "RCO01", "12", date(2026, 6, 30), eu_code="RCO01"),
        realised(funding, "IBDO", "OWN", "99", date(2026, 6, 30)),
        target(funding, "IBDO", "RCO01", "20"),
        target(funding, "IBDO", "RCO01", "30"),  # declared again: the latest counts
        target(funding, "EMMEN", "RCO01", "15.5"),
        target(funding, "IBDO", "OWN", "500"),
        target(funding, "EMMEN", "SHARE", "40", kind="ratio"),
    )
    url = f"/v1/programmes/{funding.registry.programme}/eu-reports/efro"
    report = (await funding.client.get(url, params={"as_of": "2026-07-31"}, headers=auth())).json()
    assert [
        (i["eu_code"], Decimal(i["value"]), i["projects"], Decimal(i["planned"]))
        for i in report["indicators"]
    ] == [("RCO01", Decimal(12), 1, Decimal("45.5"))]

    await funding.deliver(target(funding, "EMMEN", "RCO01", None))  # its target withdrawn
    csv_text = (
        await funding.client.get(
            url, params={"as_of": "2026-07-31", "format": "csv"}, headers=auth()
        )
    ).text
    rows = list(csv.reader(io.StringIO(csv_text)))
    header = next(r for r in rows if r[:1] == ["eu_code"])
    [rco01] = [r for r in rows if r[:1] == ["RCO01"]]
    assert Decimal(rco01[header.index("planned")]) == 30
    xlsx = await funding.client.get(
        url, params={"as_of": "2026-07-31", "format": "xlsx"}, headers=auth()
    )
    sheet = load_workbook(io.BytesIO(xlsx.content))["Indicators"]
    names, values = [[c.value for c in r] for r in sheet.iter_rows(max_row=2)]
    assert values[names.index("planned")] == 30


async def test_the_eu_report_export_keeps_a_formula_looking_name_as_text(
    funding: FundingService, auth: AuthHeaders
) -> None:
    funding.registry.project("=HYPERLINK(1)", lead="Lead BV", goals=["G1"], municipality="Assen")
    await funding.deliver()
    evil = funding.registry.projects["=HYPERLINK(1)"]
    response = await funding.client.put(
        f"/v1/projects/{evil}/plan", json=PLAN, headers=auth(Role.FINANCE_OFFICER)
    )
    assert response.status_code == 200, response.text
    url = f"/v1/programmes/{funding.registry.programme}/eu-reports/efro"
    text = (await funding.client.get(url, params={"format": "csv"}, headers=auth())).text
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text


async def test_eu_report_and_cost_per_output_count_approved_values_and_show_what_awaits_review(
    funding: FundingService, auth: AuthHeaders
) -> None:
    """26.4 FTE still in the review queue does not reach Brussels: the approved 10 does,
    and the 16.4 waiting (one report, flagged) is listed beside, in every format."""
    await put_plan(funding, auth, "IBDO", PLAN)
    await grant(funding, auth, amount="190000.00", reference="B-1")
    await funding.deliver(
        realised(
            funding,
            "IBDO",
            "RCR01",
            "26.4",
            date(2023, 12, 31),
            eu_code="RCR01",
            approved="10",
            pending=(1, "16.4", 1),
        ),
    )
    url = f"/v1/programmes/{funding.registry.programme}/eu-reports/efro"
    report = (await funding.client.get(url, params={"as_of": "2024-01-31"}, headers=auth())).json()
    [total] = report["indicators"]
    assert (total["eu_code"], Decimal(total["value"]), total["projects"]) == (
        "RCR01",
        Decimal(10),
        1,
    )
    assert (total["pending_reports"], Decimal(total["pending_value"])) == (1, Decimal("16.4"))
    [waiting] = report["pending"]
    assert (waiting["code"], waiting["indicator_code"], waiting["flagged_reports"]) == (
        "IBDO",
        "RCR01",
        1,
    )
    csv_text = (
        await funding.client.get(
            url, params={"as_of": "2024-01-31", "format": "csv"}, headers=auth()
        )
    ).text
    assert "RCR01,enterprises,10,1,1,16.4" in csv_text
    assert "IBDO,RCR01,RCR01,enterprises,1,16.4,1" in csv_text
    book = load_workbook(
        io.BytesIO(
            (
                await funding.client.get(
                    url, params={"as_of": "2024-01-31", "format": "xlsx"}, headers=auth()
                )
            ).content
        )
    )
    assert [c.value for c in book["Pending review"][2]][:2] == ["IBDO", "RCR01"]
    rows = (
        await funding.client.get(
            f"/v1/programmes/{funding.registry.programme}/efficiency", headers=auth()
        )
    ).json()
    ibdo = next(e for e in rows if e["scope"] == "project" and e["code"] == "IBDO")
    [output] = ibdo["outputs"]
    assert Decimal(output["realised"]) == 10
    assert Decimal(output["committed_per_unit"]) == 19000  # 190,000 / 10 approved, not 26.4
    assert (output["pending_reports"], Decimal(output["pending_value"])) == (1, Decimal("16.4"))


async def test_an_output_nothing_of_which_is_approved_counts_nowhere_yet(
    funding: FundingService, auth: AuthHeaders
) -> None:
    await put_plan(funding, auth, "IBDO", PLAN)
    await grant(funding, auth, amount="190000.00", reference="B-1")
    await funding.deliver(
        realised(
            funding,
            "IBDO",
            "RCO01",
            "12",
            date(2023, 12, 31),
            eu_code="RCO01",
            approved=None,
            pending=(2, "12", 0),
        ),
    )
    url = f"/v1/programmes/{funding.registry.programme}/eu-reports/efro"
    report = (await funding.client.get(url, params={"as_of": "2024-01-31"}, headers=auth())).json()
    [total] = report["indicators"]
    assert (Decimal(total["value"]), total["projects"], total["pending_reports"]) == (
        Decimal(0),
        0,
        2,
    )
    rows = (
        await funding.client.get(
            f"/v1/programmes/{funding.registry.programme}/efficiency", headers=auth()
        )
    ).json()
    ibdo = next(e for e in rows if e["scope"] == "project" and e["code"] == "IBDO")
    [output] = ibdo["outputs"]
    assert Decimal(output["realised"]) == 0 and output["committed_per_unit"] is None
    assert output["pending_reports"] == 2
