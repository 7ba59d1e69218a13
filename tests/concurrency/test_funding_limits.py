"""The co-financing limits hold when requests arrive together at two funding API processes.

Each test sends N requests at once against one limit (issue 25), on SQLite and PostgreSQL:
the accepted ones never exceed it, the rest are refused with 409 or 422 and the reason,
never a 500, and the ledger equals a recomputation from the accepted requests.
"""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import select

from services.funding.consumers import registry_handlers
from services.funding.models import (
    CeilingRuleRow,
    FinancingPlan,
    GrantDecision,
    GrantDecommitment,
    Payment,
    Settlement,
)
from shared.auth import Role
from tests.concurrency.conftest import FundingRace
from tests.concurrency.harness import Call, race, staff_headers
from tests.registry_events import Registry

N = 8
FINANCE = staff_headers(Role.FINANCE_OFFICER)
# EFRO at 60% of the eligible costs in a transition region; the province pays the rest.
PLAN: dict[str, Any] = {
    "total_costs": "1000.00",
    "eligible_costs": "1000.00",
    "contributions": {"efro": "600.00", "province": "400.00"},
}


async def _project(funding: FundingRace, plan: dict[str, Any] | None = PLAN) -> uuid.UUID:
    """A project of a programme of its own, known to the funding service, with `plan`."""
    registry = Registry()
    registry.goal("LINE", kind="programme_line")
    lead = f"Lead {uuid.uuid4().hex[:8]}"
    registry.organisation(lead)
    project_id = registry.project(f"P{uuid.uuid4().hex[:6]}", lead=lead, goals=["LINE"])
    await registry.deliver(registry_handlers(), funding.local.uow)
    client = funding.local.client
    response = await client.put(
        f"/v1/programmes/{registry.programme}/funding",
        json={"region_category": "transition"},
        headers=FINANCE,
    )
    assert response.status_code == 200, response.text
    if plan is not None:
        response = await client.put(f"/v1/projects/{project_id}/plan", json=plan, headers=FINANCE)
        assert response.status_code == 200, response.text
    return project_id


async def _post(funding: FundingRace, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await funding.local.client.post(path, json=body, headers=FINANCE)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _grant(funding: FundingRace, project_id: uuid.UUID, fund: str, amount: str) -> None:
    await _post(
        funding,
        f"/v1/projects/{project_id}/grants",
        {
            "fund": fund,
            "amount": amount,
            "decided_on": "2019-01-15",
            "reference": f"B-{uuid.uuid4().hex[:10]}",
        },
    )


async def _pay(funding: FundingRace, project_id: uuid.UUID, amount: str) -> None:
    body = {"fund": "efro", "kind": "interim", "amount": amount, "paid_on": "2019-03-01"}
    await _post(funding, f"/v1/projects/{project_id}/payments", body)


async def _rows(funding: FundingRace, model: Any, project_id: uuid.UUID) -> list[Any]:
    async with funding.local.uow() as uow:
        result = await uow.session.exec(select(model).where(model.project_id == project_id))
        return list(result.all())


async def _ledger(funding: FundingRace, project_id: uuid.UUID, fund: str) -> dict[str, Any]:
    response = await funding.local.client.get(f"/v1/projects/{project_id}/funding", headers=FINANCE)
    assert response.status_code == 200, response.text
    ledgers: dict[str, dict[str, Any]] = {lg["fund"]: lg for lg in response.json()["ledgers"]}
    return ledgers[fund]


def _amounts(answers: list[Any]) -> Decimal:
    return sum((Decimal(a.body["amount"]) for a in answers), Decimal(0))


async def test_payments_never_exceed_what_remains_committed(funding_race: FundingRace) -> None:
    project_id = await _project(funding_race)
    await _grant(funding_race, project_id, "efro", "600.00")
    body = {"fund": "efro", "kind": "interim", "amount": "100.00", "paid_on": "2019-03-01"}
    figures = race(
        "payments <= committed - paid",
        funding_race.database,
        funding_race.servers.ports,
        [Call("POST", f"/v1/projects/{project_id}/payments", body, FINANCE)] * N,
    ).check()
    assert len(figures.accepted) == 6
    assert all("exceeds what remains" in a.reason() for a in figures.refused)
    payments = await _rows(funding_race, Payment, project_id)
    assert sum(p.amount for p in payments) == _amounts(figures.accepted) == Decimal(600)
    ledger = await _ledger(funding_race, project_id, "efro")
    assert Decimal(ledger["paid"]) == Decimal(ledger["committed"]) == Decimal(600)
    assert {p.id for p in payments} == {uuid.UUID(a.body["id"]) for a in figures.accepted}


async def test_grants_never_commit_more_than_the_plan_foresees(funding_race: FundingRace) -> None:
    project_id = await _project(funding_race)
    calls = [
        Call(
            "POST",
            f"/v1/projects/{project_id}/grants",
            {
                "fund": "province",
                "amount": "150.00",
                "decided_on": "2019-01-15",
                "reference": f"G-{uuid.uuid4().hex[:10]}",
            },
            FINANCE,
        )
        for _ in range(N)
    ]
    figures = race(
        "grants <= plan", funding_race.database, funding_race.servers.ports, calls
    ).check()
    assert len(figures.accepted) == 2  # 300 of the 400 foreseen; a third would make 450
    assert all("more than the 400" in a.reason() for a in figures.refused)
    grants = await _rows(funding_race, GrantDecision, project_id)
    assert sum(g.amount for g in grants) == _amounts(figures.accepted) == Decimal(300)


async def test_amendments_from_one_version_one_wins_the_rest_learn_the_current_version(
    funding_race: FundingRace,
) -> None:
    project_id = await _project(funding_race)
    calls = [
        Call(
            "PUT",
            f"/v1/projects/{project_id}/plan",
            {
                **PLAN,
                "contributions": {"efro": "600.00", "province": f"{400 - n}.00", "private": f"{n}"},
                "reason": f"amendment {n}",
                "based_on": 1,
            },
            FINANCE,
        )
        for n in range(N)
    ]
    figures = race(
        "plan amendments drawn up from one version",
        funding_race.database,
        funding_race.servers.ports,
        calls,
    ).check({409})
    assert len(figures.accepted) == 1 and figures.accepted[0].body["version"] == 2
    assert all(a.body["current_version"] == 2 for a in figures.refused)
    plans = await _rows(funding_race, FinancingPlan, project_id)
    assert sorted(p.version for p in plans) == [1, 2]
    winner = next(p for p in plans if p.version == 2)
    assert winner.reason == figures.accepted[0].body["reason"]


async def test_amendments_without_a_base_version_are_serialised(
    funding_race: FundingRace,
) -> None:
    project_id = await _project(funding_race)
    calls = [
        Call(
            "PUT",
            f"/v1/projects/{project_id}/plan",
            {**PLAN, "reason": f"amendment {n}"},
            FINANCE,
        )
        for n in range(N)
    ]
    figures = race(
        "plan versions (amendments serialised)",
        funding_race.database,
        funding_race.servers.ports,
        calls,
    ).check()
    assert len(figures.accepted) == N
    versions = sorted(a.body["version"] for a in figures.accepted)
    assert versions == list(range(2, N + 2))
    plans = await _rows(funding_race, FinancingPlan, project_id)
    assert {(p.version, p.reason) for p in plans if p.version > 1} == {
        (a.body["version"], a.body["reason"]) for a in figures.accepted
    }


async def test_a_plan_and_grants_racing_never_leave_more_committed_than_planned(
    funding_race: FundingRace,
) -> None:
    """Grants of the province's money and amendments that lower it, at once: whatever
    order they take, the plan in force never foresees less than is committed."""
    project_id = await _project(funding_race)
    lower = {
        **PLAN,
        "contributions": {"efro": "600.00", "province": "200.00", "private": "200.00"},
        "reason": "less from the province",
    }
    grant = {"fund": "province", "amount": "100.00", "decided_on": "2019-01-15"}
    calls = []
    for n in range(N):
        if n % 2:
            calls.append(Call("PUT", f"/v1/projects/{project_id}/plan", lower, FINANCE))
        else:
            body = {**grant, "reference": f"R-{uuid.uuid4().hex[:10]}"}
            calls.append(Call("POST", f"/v1/projects/{project_id}/grants", body, FINANCE))
    figures = race(
        "plan >= committed (amendments racing grants)",
        funding_race.database,
        funding_race.servers.ports,
        calls,
    ).check({422})
    for answer in figures.refused:
        assert "contributions.province" in answer.reason() or "more than the" in answer.reason()
    grants = await _rows(funding_race, GrantDecision, project_id)
    committed = sum(g.amount for g in grants)
    granted = [a for a in figures.accepted if "fund" in a.body]
    assert committed == _amounts(granted)
    plans = await _rows(funding_race, FinancingPlan, project_id)
    latest = max(plans, key=lambda p: p.version)
    response = await funding_race.local.client.get(
        f"/v1/projects/{project_id}/funding", headers=FINANCE
    )
    planned = Decimal(response.json()["plan"]["contributions"]["province"])
    assert response.json()["plan"]["version"] == latest.version
    assert committed <= planned


async def test_a_grant_is_settled_once(funding_race: FundingRace) -> None:
    project_id = await _project(funding_race)
    await _grant(funding_race, project_id, "efro", "600.00")
    await _pay(funding_race, project_id, "500.00")
    calls = [
        Call(
            "POST",
            f"/v1/projects/{project_id}/settlements",
            {
                "fund": "efro",
                "amount": f"{550 + n}.00",
                "settled_on": "2019-12-31",
                "reference": f"V-{n}",
            },
            FINANCE,
        )
        for n in range(N)
    ]
    figures = race(
        "settlement once", funding_race.database, funding_race.servers.ports, calls
    ).check()
    assert len(figures.accepted) == 1
    assert all("already been settled" in a.reason() for a in figures.refused)
    settled = Decimal(figures.accepted[0].body["amount"])
    assert [s.amount for s in await _rows(funding_race, Settlement, project_id)] == [settled]
    payments = await _rows(funding_race, Payment, project_id)
    assert [(p.kind, p.amount) for p in payments if p.kind == "final"] == [("final", settled - 500)]
    ledger = await _ledger(funding_race, project_id, "efro")
    assert Decimal(ledger["paid"]) == Decimal(ledger["committed"]) == settled


async def test_recoveries_never_exceed_what_was_paid(funding_race: FundingRace) -> None:
    project_id = await _project(funding_race)
    await _grant(funding_race, project_id, "efro", "600.00")
    await _pay(funding_race, project_id, "300.00")
    body = {"fund": "efro", "kind": "recovery", "amount": "100.00", "paid_on": "2019-06-01"}
    figures = race(
        "recoveries <= paid",
        funding_race.database,
        funding_race.servers.ports,
        [Call("POST", f"/v1/projects/{project_id}/payments", body, FINANCE)] * N,
    ).check()
    assert len(figures.accepted) == 3
    assert all("exceeds the" in a.reason() for a in figures.refused)
    ledger = await _ledger(funding_race, project_id, "efro")
    recovered = _amounts(figures.accepted)
    assert Decimal(ledger["paid"]) == Decimal(300) - recovered == Decimal(0)


async def test_decommitments_never_go_below_what_was_paid(funding_race: FundingRace) -> None:
    project_id = await _project(funding_race)
    await _grant(funding_race, project_id, "efro", "600.00")
    await _pay(funding_race, project_id, "200.00")
    calls = [
        Call(
            "POST",
            f"/v1/projects/{project_id}/decommitments",
            {
                "fund": "efro",
                "amount": "100.00",
                "decided_on": "2019-05-01",
                "reference": f"D-{uuid.uuid4().hex[:10]}",
                "reason": "less work than planned",
            },
            FINANCE,
        )
        for _ in range(N)
    ]
    figures = race(
        "de-commitments <= committed - paid",
        funding_race.database,
        funding_race.servers.ports,
        calls,
    ).check()
    assert len(figures.accepted) == 4
    assert all("less than the 200 already paid" in a.reason() for a in figures.refused)
    rows = await _rows(funding_race, GrantDecommitment, project_id)
    assert sum(d.amount for d in rows) == _amounts(figures.accepted) == Decimal(400)
    ledger = await _ledger(funding_race, project_id, "efro")
    assert Decimal(ledger["committed"]) == Decimal(ledger["paid"]) == Decimal(200)


async def test_a_decision_reference_is_used_once_across_projects(
    funding_race: FundingRace,
) -> None:
    projects = [await _project(funding_race) for _ in range(2)]
    reference = f"SAME-{uuid.uuid4().hex[:8]}"
    calls = [
        Call(
            "POST",
            f"/v1/projects/{projects[n % 2]}/grants",
            {
                "fund": "province",
                "amount": "10.00",
                "decided_on": "2019-01-15",
                "reference": reference,
            },
            FINANCE,
        )
        for n in range(N)
    ]
    figures = race(
        "decision references unique", funding_race.database, funding_race.servers.ports, calls
    ).check({409})
    assert len(figures.accepted) == 1
    assert all(a.body["reference"] == reference for a in figures.refused)
    async with funding_race.local.uow() as uow:
        found = await uow.session.exec(
            select(GrantDecision).where(GrantDecision.reference == reference)
        )
        assert [g.id for g in found.all()] == [uuid.UUID(figures.accepted[0].body["id"])]


async def test_a_ceiling_set_at_once_by_many_is_one_rule(funding_race: FundingRace) -> None:
    calls = [
        Call(
            "POST",
            "/v1/rules/ceilings",
            {
                "fund": "jtf",
                "region_category": "less_developed",
                "rate": f"0.7{n}",
                "effective_from": "2031-01-01",
            },
            FINANCE,
        )
        for n in range(N)
    ]
    figures = race(
        "one ceiling per fund, region category and date",
        funding_race.database,
        funding_race.servers.ports,
        calls,
    ).check()
    assert len(figures.accepted) == N  # the same rule again replaces it
    async with funding_race.local.uow() as uow:
        rows = (
            await uow.session.exec(
                select(CeilingRuleRow).where(
                    CeilingRuleRow.fund == "jtf",
                    CeilingRuleRow.region_category == "less_developed",
                    CeilingRuleRow.effective_from == date(2031, 1, 1),
                )
            )
        ).all()
    assert len(rows) == 1
    assert rows[0].rate in {Decimal(a.body["rate"]) for a in figures.accepted}
