"""KPI rules that read, then write, hold when requests arrive together at two KPI API
processes (issue 25), on SQLite and PostgreSQL: revision numbers, one review per version, a
review and a revision of the same report, a period being locked, a key being revoked.

For the lock and the revocation, whoever sent it looks at the review queue as soon as it is
answered; a report that appears later was accepted after the period was locked or the key
revoked.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from services.kpi.consumers import options, registry_handlers
from shared.auth import Role
from tests.concurrency.conftest import KpiRace
from tests.concurrency.harness import Answer, Call, Figures, race, record_figures, staff_headers
from tests.registry_events import Registry

N = 8
INDICATOR = "ENTREPRENEURS_REACHED"
QUARTERS = [f"{y}-Q{q}" for y in range(2016, 2020) for q in range(1, 5)]
MANAGER = staff_headers(Role.PROGRAMME_MANAGER, user="reviewer")
ADMIN = staff_headers(Role.ADMIN, user="admin")


@dataclass
class Programme:
    id: uuid.UUID
    projects: list[tuple[str, uuid.UUID]]  # code, id
    key: dict[str, str]  # the partner's Authorization header
    key_id: str


async def _programme(kpi: KpiRace, projects: int) -> Programme:
    """A programme of its own, one partner leading `projects` projects that report INDICATOR
    quarterly, and the partner's key."""
    local = kpi.local
    registry = Registry()
    tag = registry.programme.hex[:6]
    registry.goal(f"L-{tag}", kind="programme_line")
    registry.organisation(f"Partner {tag}")
    codes = [f"P{n}-{tag}" for n in range(projects)]
    for code in codes:
        registry.project(code, lead=f"Partner {tag}", goals=[f"L-{tag}"])
    await registry.deliver(registry_handlers(options(local.settings)), local.uow)
    for code in codes:
        declared = await local.client.put(
            f"/v1/projects/{registry.projects[code]}/kpis/{INDICATOR}", json={}, headers=MANAGER
        )
        assert declared.status_code == 200, declared.text
    body = {"organisation_id": str(registry.organisations[f"Partner {tag}"]), "name": "system"}
    issued = await local.client.post("/v1/api-keys", json=body, headers=ADMIN)
    assert issued.status_code == 201, issued.text
    return Programme(
        registry.programme,
        [(c, registry.projects[c]) for c in codes],
        {"Authorization": f"Bearer {issued.json()['key']}"},
        issued.json()["id"],
    )


def _report(code: str, value: int, period: str = "2019-Q1", **extra: Any) -> dict[str, Any]:
    return {"project": code, "indicator": INDICATOR, "period": period, "value": value, **extra}


async def _history(kpi: KpiRace, project_id: uuid.UUID) -> list[dict[str, Any]]:
    found = await kpi.local.client.get(f"/v1/projects/{project_id}/reports", headers=MANAGER)
    assert found.status_code == 200, found.text
    return list(found.json())


async def _first_version(kpi: KpiRace, programme: Programme) -> dict[str, Any]:
    code = programme.projects[0][0]
    sent = await kpi.local.client.post("/v1/reports", json=_report(code, 1), headers=programme.key)
    assert sent.status_code == 201, sent.text
    return dict(sent.json())


def _queue(programme: Programme) -> Call:
    path = f"/v1/reports?state=submitted&programme={programme.id}&limit=500"
    return Call("GET", path, None, MANAGER)


def _batch_ids(answer: Answer, period: str) -> set[str]:
    """The reports for `period` a batch answer accepted."""
    return {
        r["report"]["id"]
        for r in answer.body["results"]
        if r["status"] == 201 and r["report"]["period"] == period
    }


def _check_refusals(figures: Figures, allowed: set[int]) -> None:
    figures.record()
    for answer in figures.answers:
        assert answer.status < 500, (figures.rule, answer)
        if not answer.accepted:
            assert answer.status in allowed and answer.reason(), (figures.rule, answer)


async def test_revisions_of_one_value_at_once_get_one_version_each(kpi_race: KpiRace) -> None:
    programme = await _programme(kpi_race, 1)
    code, project_id = programme.projects[0]
    calls = [
        Call("POST", "/v1/reports", _report(code, 100 + n, reason=f"count {n}"), programme.key)
        for n in range(N)
    ]
    figures = race(
        "revision numbers (one cell revised at once)",
        kpi_race.database,
        kpi_race.servers.ports,
        calls,
    )
    _check_refusals(figures, {409})
    versions = sorted(a.body["version"] for a in figures.accepted)
    assert versions == list(range(1, len(versions) + 1)), versions
    history = await _history(kpi_race, project_id)
    assert sorted((r["version"], r["value"]) for r in history) == sorted(
        (a.body["version"], a.body["value"]) for a in figures.accepted
    )


async def test_a_version_is_reviewed_once(kpi_race: KpiRace) -> None:
    programme = await _programme(kpi_race, 1)
    first = await _first_version(kpi_race, programme)
    decisions = [
        {"decision": "approve"} if n % 2 == 0 else {"decision": "return", "reason": f"no {n}"}
        for n in range(N)
    ]
    path = f"/v1/reports/{first['id']}/review"
    figures = race(
        "one review per version (reviewed at once)",
        kpi_race.database,
        kpi_race.servers.ports,
        [Call("POST", path, d, MANAGER) for d in decisions],
    )
    _check_refusals(figures, {409})
    assert len(figures.accepted) == 1, figures.by_status()
    [history] = await _history(kpi_race, programme.projects[0][1])
    assert history["state"] == figures.accepted[0].body["state"]
    assert history["review_reason"] == figures.accepted[0].body["review_reason"]


async def test_a_review_and_revisions_of_the_same_report_at_once(kpi_race: KpiRace) -> None:
    """Either the approval comes first, and a revision without a reason is refused; or a
    revision comes first, and the approval of the version it replaced is refused."""
    programme = await _programme(kpi_race, 1)
    first = await _first_version(kpi_race, programme)
    code = programme.projects[0][0]
    calls = [Call("POST", f"/v1/reports/{first['id']}/review", {"decision": "approve"}, MANAGER)]
    calls += [
        Call("POST", "/v1/reports", _report(code, 10 + n), programme.key) for n in range(N - 1)
    ]
    figures = race(
        "a review of a report being revised",
        kpi_race.database,
        kpi_race.servers.ports,
        calls,
    )
    _check_refusals(figures, {409, 422})
    approved, revisions = figures.answers[0], figures.answers[1:]
    accepted_revisions = [a for a in revisions if a.accepted]
    if approved.accepted:
        assert not accepted_revisions, "the approved version was revised without a reason"
        assert all("approved" in a.reason() for a in revisions), revisions
    else:
        assert accepted_revisions and approved.status == 409, approved
    history = await _history(kpi_race, programme.projects[0][1])
    latest = max(history, key=lambda r: r["version"])
    for report in history:
        if report["state"] == "approved":
            assert report["version"] == latest["version"], history  # never a replaced one


async def _racing_the_queue(
    kpi: KpiRace, rule: str, programme: Programme, first: Call, period: str
) -> tuple[Figures, set[str], set[str]]:
    """`first` and a batch per project (the period, then every other quarter) sent together;
    the sender of `first` reads the queue once answered. The accepted reports for `period`
    and the ones that queue showed."""
    calls = [first]
    for code, _ in programme.projects:
        items = [_report(code, 7, period)]
        items += [_report(code, 3, q) for q in QUARTERS if q != period]
        calls.append(Call("POST", "/v1/reports/batch", {"reports": items}, programme.key))
    figures = race(rule, kpi.database, kpi.servers.ports, calls, then={0: _queue(programme)})
    assert figures.answers[0].accepted, figures.answers[0]
    [queue] = figures.followed
    assert queue.status == 200, queue
    seen = {r["id"] for r in queue.body["data"] if r["period"] == period}
    accepted = set().union(*(_batch_ids(a, period) for a in figures.answers[1:] if a.accepted))
    return figures, accepted, seen


async def test_no_report_is_accepted_for_a_period_once_it_is_locked(kpi_race: KpiRace) -> None:
    programme = await _programme(kpi_race, N - 1)
    lock = Call(
        "POST",
        "/v1/period-locks",
        {"programme_id": str(programme.id), "period": "2019-Q2"},
        MANAGER,
    )
    figures, accepted, seen = await _racing_the_queue(
        kpi_race, "a report for a period being locked", programme, lock, "2019-Q2"
    )
    _check_refusals(figures, set())
    late = accepted - seen
    assert not late, f"{len(late)} reports for 2019-Q2 accepted after it was locked"
    refused = [
        result
        for answer in figures.answers[1:]
        for result in answer.body["results"]
        if result["status"] != 201
    ]
    for result in refused:
        assert result["status"] == 409 and "is locked" in str(result["errors"]), result
    record_figures(
        {
            "rule": "a report for a period being locked (the period's items in the batches)",
            "database": kpi_race.database,
            "instances": len(kpi_race.servers.ports),
            "sent": len(programme.projects),
            "accepted": len(accepted),
            "refused": len(refused),
            "statuses": {"201": len(accepted), "409": len(refused)},
            "reasons": sorted({str(r["errors"])[:120] for r in refused}),
        }
    )


async def test_no_report_is_accepted_with_a_key_once_it_is_revoked(kpi_race: KpiRace) -> None:
    programme = await _programme(kpi_race, N - 1)
    revoke = Call("DELETE", f"/v1/api-keys/{programme.key_id}", None, ADMIN)
    figures, accepted, seen = await _racing_the_queue(
        kpi_race, "a key revoked while in use", programme, revoke, "2019-Q2"
    )
    _check_refusals(figures, {401, 403})
    late = accepted - seen
    assert not late, f"{len(late)} reports accepted with the key after it was revoked"
