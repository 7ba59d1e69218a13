"""Partner intake and staff review on SQLite and PostgreSQL, as partner systems use them."""

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.integration.kpi.harness import KpiService, kpi_service


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


async def declare(
    kpi: KpiService, auth: AuthHeaders, project: str, indicator: str, **body: Any
) -> None:
    response = await kpi.client.put(
        f"/v1/projects/{kpi.registry.projects[project]}/kpis/{indicator}", json=body, headers=auth()
    )
    assert response.status_code == 200, response.text


async def partner_key(kpi: KpiService, auth: AuthHeaders, organisation: str) -> dict[str, str]:
    response = await kpi.client.post(
        "/v1/api-keys",
        json={
            "organisation_id": str(kpi.registry.organisations[organisation]),
            "name": "partner system",
        },
        headers=auth(Role.ADMIN),
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}


def report(**overrides: Any) -> dict[str, Any]:
    return {
        "project": "IBDO",
        "indicator": "ENTREPRENEURS_REACHED",
        "period": "2019-Q1",
        "value": 400,
        **overrides,
    }


async def test_partner_reports_and_revises_a_value(kpi: KpiService, auth: AuthHeaders) -> None:
    await declare(
        kpi, auth, "IBDO", "ENTREPRENEURS_REACHED", target_value=1500, target_date="2019-12-31"
    )
    key = await partner_key(kpi, auth, "IBDO BV")

    first = await kpi.client.post("/v1/reports", json=report(comment="strong quarter"), headers=key)
    assert first.status_code == 201, first.text
    assert (first.json()["version"], first.json()["outcome"], first.json()["value"]) == (
        1,
        "submitted",
        "400",
    )

    again = await kpi.client.post("/v1/reports", json=report(comment="strong quarter"), headers=key)
    assert again.status_code == 200
    assert again.json()["outcome"] == "unchanged"
    assert again.json()["id"] == first.json()["id"]

    revised = await kpi.client.post(
        "/v1/reports", json=report(value=410, reason="late registrations"), headers=key
    )
    assert revised.status_code == 201
    assert (revised.json()["version"], revised.json()["outcome"]) == (2, "revised")

    history = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['IBDO']}/reports", headers=key
    )
    assert [(r["version"], r["value"]) for r in history.json()] == [(1, "400"), (2, "410")]


async def test_zero_is_a_value_and_a_project_may_be_named_by_id(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "MEETINGS_ORGANISED")
    key = await partner_key(kpi, auth, "IBDO BV")
    by_id = str(kpi.registry.projects["IBDO"])
    response = await kpi.client.post(
        "/v1/reports",
        json=report(project=by_id, indicator="MEETINGS_ORGANISED", value=0),
        headers=key,
    )
    assert response.status_code == 201
    assert response.json()["value"] == "0"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (report(project="NOPE"), "project", "unknown project"),
        (report(indicator="NOPE"), "indicator", "unknown indicator"),
        (report(indicator="MEETINGS_ORGANISED"), "indicator", "does not report"),
        (report(period="2019"), "period", "reported quarterly"),
        (report(period="2021-Q1"), "period", "outside the project"),
        (report(period="2019-Q5"), "period", "not a period"),
        (report(value=-1), "value", "negative"),
        (report(value=10.5), "value", "whole number"),
        (report(value=None), "value", "needs 'value'"),
        (report(comment="x" * 2001), "comment", "2000"),
        (report(disaggregation={"gender": "f"}), "disaggregation", "disaggregated by: none"),
        (report(colour="red"), "colour", "xtra"),
    ],
)
async def test_bad_reports_are_422_naming_the_field(
    kpi: KpiService, auth: AuthHeaders, body: dict[str, Any], field: str, words: str
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    response = await kpi.client.post("/v1/reports", json=body, headers=key)
    assert response.status_code == 422, response.text
    problems = response.json()["detail"]
    assert any(p["loc"][-1] == field and words in p["msg"] for p in problems), problems
    history = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['IBDO']}/reports", headers=auth()
    )
    assert history.json() == []


async def test_ratio_reports_need_a_non_zero_denominator(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "PLACEMENT_RATE")
    key = await partner_key(kpi, auth, "IBDO BV")
    ratio = report(indicator="PLACEMENT_RATE", value=None)
    missing = await kpi.client.post("/v1/reports", json={**ratio, "numerator": 5}, headers=key)
    zero = await kpi.client.post(
        "/v1/reports", json={**ratio, "numerator": 5, "denominator": 0}, headers=key
    )
    good = await kpi.client.post(
        "/v1/reports", json={**ratio, "numerator": 100, "denominator": 130}, headers=key
    )
    assert [missing.status_code, zero.status_code, good.status_code] == [422, 422, 201]
    assert zero.json()["detail"][0]["loc"] == ["body", "denominator"]


async def test_text_no_database_can_store_is_422_at_each_place_it_occurs(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    """The NUL character and lone surrogates: PostgreSQL cannot store them (a 500 there)."""
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    single = await kpi.client.post("/v1/reports", json=report(comment="a\u0000b"), headers=key)
    assert single.status_code == 422
    assert [p["loc"] for p in single.json()["detail"]] == [["body", "comment"]]
    items = [report(), report(period="2019-Q2", source_ref="\u0000")]
    batch = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=key)
    assert batch.status_code == 422
    assert batch.json()["detail"][0]["loc"] == ["body", "reports", 1, "source_ref"]
    query = await kpi.client.get("/v1/indicators", params={"x": "\u0000"}, headers=key)
    assert (query.status_code, query.json()["detail"][0]["loc"]) == (422, ["query", "x"])
    history = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['IBDO']}/reports", headers=auth()
    )
    assert history.json() == []  # nothing was written
    lone = await kpi.client.post(
        "/v1/reports",
        content='{"project": "IBDO", "indicator": "ENTREPRENEURS_REACHED", "period": "2019-Q3",'
        ' "value": 1, "comment": "half \\ud800 a pair"}',
        headers={**key, "content-type": "application/json"},
    )
    assert (lone.status_code, lone.json()["detail"][0]["loc"]) == (422, ["body", "comment"])
    emoji = report(period="2019-Q3", comment="\U0001f600")  # a whole pair, escaped: accepted
    assert (await kpi.client.post("/v1/reports", json=emoji, headers=key)).status_code == 201
    escaped = report(comment="a backslash and u0000: \\u0000")  # not a NUL: accepted
    assert (await kpi.client.post("/v1/reports", json=escaped, headers=key)).status_code == 201


async def test_malformed_json_is_422(kpi: KpiService, auth: AuthHeaders) -> None:
    key = await partner_key(kpi, auth, "IBDO BV")
    response = await kpi.client.post(
        "/v1/reports",
        content=b'{"project": "IBDO",',
        headers={**key, "content-type": "application/json"},
    )
    assert response.status_code == 422


async def test_a_partner_cannot_touch_another_partners_project(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "OTHER", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    write = await kpi.client.post("/v1/reports", json=report(project="OTHER"), headers=key)
    assert write.status_code == 403
    read = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['OTHER']}/reports", headers=key
    )
    assert read.status_code == 403
    progress = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['OTHER']}/progress", headers=key
    )
    assert progress.status_code == 403
    assert (
        await kpi.client.get(
            "/v1/aggregates", params={"programme": str(kpi.registry.programme)}, headers=key
        )
    ).status_code == 401


async def test_revoked_and_unknown_keys_fail_and_keys_never_reach_the_logs(
    kpi: KpiService, auth: AuthHeaders, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    issued = await kpi.client.post(
        "/v1/api-keys",
        json={"organisation_id": str(kpi.registry.organisations["IBDO BV"]), "name": "x"},
        headers=auth(Role.ADMIN),
    )
    secret = issued.json()["key"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await kpi.client.post("/v1/reports", json=report(), headers=headers)).status_code == 201
    listed = await kpi.client.get("/v1/api-keys", headers=auth(Role.ADMIN))
    assert secret not in listed.text
    revoked = await kpi.client.delete(
        f"/v1/api-keys/{issued.json()['id']}", headers=auth(Role.ADMIN)
    )
    assert revoked.json()["revoked_at"] is not None
    assert (
        await kpi.client.post("/v1/reports", json=report(value=1), headers=headers)
    ).status_code == 401
    unknown = {"Authorization": "Bearer km_" + "x" * 43}
    assert (await kpi.client.post("/v1/reports", json=report(), headers=unknown)).status_code == 401
    assert secret not in caplog.text


async def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = {**(await partner_key(kpi, auth, "IBDO BV")), "Idempotency-Key": "partner-record-17"}
    first = await kpi.client.post("/v1/reports", json=report(), headers=key)
    retry = await kpi.client.post("/v1/reports", json=report(), headers=key)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    other = await kpi.client.post("/v1/reports", json=report(value=999), headers=key)
    assert other.status_code == 409
    history = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['IBDO']}/reports", headers=auth()
    )
    assert len(history.json()) == 1


async def test_batch_accepts_valid_items_and_reports_each_failure(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    await declare(kpi, auth, "OTHER", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    items = [
        report(period="2019-Q1", value=400),
        report(period="2019-Q2", value=-5),
        report(project="OTHER"),
        {"project": "IBDO"},
        report(period="2019-Q2", value=450),
        report(period="2019-Q2", value=455, reason="recount"),
    ]
    response = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (3, 3)
    assert [r["status"] for r in body["results"]] == [201, 422, 403, 422, 201, 201]
    assert body["results"][5]["report"]["version"] == 2
    history = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['IBDO']}/reports", headers=auth()
    )
    assert [(r["period"], r["version"], r["value"]) for r in history.json()] == [
        ("2019-Q1", 1, "400"),
        ("2019-Q2", 1, "450"),
        ("2019-Q2", 2, "455"),
    ]


async def test_batch_over_a_thousand_items_is_refused(kpi: KpiService, auth: AuthHeaders) -> None:
    key = await partner_key(kpi, auth, "IBDO BV")
    response = await kpi.client.post(
        "/v1/reports/batch", json={"reports": [report()] * 1001}, headers=key
    )
    assert response.status_code == 422


async def test_review_approves_and_returns_and_approved_periods_need_a_reason(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    first = (await kpi.client.post("/v1/reports", json=report(), headers=key)).json()
    pm = auth(Role.PROGRAMME_MANAGER, user="pm-anna")
    no_reason = await kpi.client.post(
        f"/v1/reports/{first['id']}/review", json={"decision": "return"}, headers=pm
    )
    assert no_reason.status_code == 422
    approved = await kpi.client.post(
        f"/v1/reports/{first['id']}/review", json={"decision": "approve"}, headers=pm
    )
    assert (approved.json()["state"], approved.json()["reviewed_by"]) == ("approved", "pm-anna")
    twice = await kpi.client.post(
        f"/v1/reports/{first['id']}/review", json={"decision": "approve"}, headers=pm
    )
    assert twice.status_code == 409

    unexplained = await kpi.client.post("/v1/reports", json=report(value=401), headers=key)
    assert unexplained.status_code == 422
    assert unexplained.json()["detail"][0]["loc"] == ["body", "reason"]
    explained = await kpi.client.post(
        "/v1/reports", json=report(value=401, reason="typo"), headers=key
    )
    assert explained.status_code == 201
    returned = await kpi.client.post(
        f"/v1/reports/{explained.json()['id']}/review",
        json={"decision": "return", "reason": "source?"},
        headers=pm,
    )
    assert (returned.json()["state"], returned.json()["review_reason"]) == ("returned", "source?")
    viewer = await kpi.client.post(
        f"/v1/reports/{explained.json()['id']}/review",
        json={"decision": "approve"},
        headers=auth(Role.VIEWER),
    )
    assert viewer.status_code == 403


async def test_locked_periods_refuse_values_unless_an_exception_is_granted(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    lock = {"programme_id": str(kpi.registry.programme), "period": "2019-Q1"}
    assert (await kpi.client.post("/v1/period-locks", json=lock, headers=auth())).status_code == 204
    refused = await kpi.client.post("/v1/reports", json=report(), headers=key)
    assert refused.status_code == 409
    assert "locked" in refused.json()["detail"]
    exception = {
        "project_id": str(kpi.registry.projects["IBDO"]),
        "period": "2019-Q1",
        "reason": "late invoice",
    }
    assert (
        await kpi.client.post("/v1/lock-exceptions", json=exception, headers=auth())
    ).status_code == 204
    assert (await kpi.client.post("/v1/reports", json=report(), headers=key)).status_code == 201


async def test_periods_lock_by_themselves_after_the_reporting_window(
    kpi_db: str, auth: AuthHeaders
) -> None:
    async for kpi in kpi_service(kpi_db, lock_after_days=30):
        kpi.registry.goal("G")
        kpi.registry.organisation("Org")
        kpi.registry.project("P", lead="Org", goals=["G"])
        await kpi.deliver()
        await declare(kpi, auth, "P", "ENTREPRENEURS_REACHED")
        key = await partner_key(kpi, auth, "Org")
        kpi.today[0] = kpi.today[0].replace(year=2019, month=4, day=30)
        assert (
            await kpi.client.post("/v1/reports", json=report(project="P"), headers=key)
        ).status_code == 201
        kpi.today[0] = kpi.today[0].replace(month=5, day=2)
        late = await kpi.client.post(
            "/v1/reports", json=report(project="P", value=1, reason="x"), headers=key
        )
        assert late.status_code == 409
        assert "30 days" in late.json()["detail"]


async def test_concurrent_reports_for_one_cell_never_fail_with_500(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    responses = await asyncio.gather(
        *(
            kpi.client.post("/v1/reports", json=report(value=100 + i), headers=key)
            for i in range(16)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {201, 409, 503}, [r.text for r in responses if r.status_code >= 500]
    history = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['IBDO']}/reports", headers=auth()
    )
    versions = [r["version"] for r in history.json()]
    assert versions == list(range(1, len(versions) + 1))
    assert len(versions) == codes.count(201)


async def test_concurrent_reports_of_one_partner_share_commits_yet_each_is_judged_alone(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    """Group commit: reports sent while an earlier one is being written go in together."""
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    await declare(kpi, auth, "OTHER", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    quarters = [f"{y}-Q{q}" for y in (2018, 2019) for q in (1, 2, 3, 4)]
    sends: list[tuple[dict[str, Any], dict[str, str]]] = [
        (report(period=p, value=10 + i), {}) for i, p in enumerate(quarters * 4)
    ]
    sends += [
        (report(value=-1), {}),  # invalid: 422 for this one only
        (report(project="OTHER"), {}),  # not theirs: 403
        (report(period="2019-Q2", value=7), {"Idempotency-Key": "same-twice"}),
        (report(period="2019-Q2", value=7), {"Idempotency-Key": "same-twice"}),
        (report(period="2019-Q3", value=8), {"Idempotency-Key": "reused"}),
        (report(period="2019-Q3", value=9), {"Idempotency-Key": "reused"}),
    ]
    answers = await asyncio.gather(
        *(kpi.client.post("/v1/reports", json=b, headers=key | h) for b, h in sends)
    )
    codes = [a.status_code for a in answers]
    assert codes[:32] == [201] * 32
    assert codes[32] == 422 and answers[32].json()["detail"][0]["loc"] == ["body", "value"]
    assert codes[33] == 403
    assert codes[34:36] == [201, 201] and answers[34].json() == answers[35].json()
    assert sorted(codes[36:38]) == [201, 409]

    history = await kpi.client.get(
        f"/v1/projects/{kpi.registry.projects['IBDO']}/reports", headers=auth()
    )
    by_cell: dict[str, list[int]] = {}
    for r in history.json():
        by_cell.setdefault(r["period"], []).append(r["version"])
    assert sum(len(v) for v in by_cell.values()) == 32 + 1 + 1  # none lost, none twice
    assert all(v == list(range(1, len(v) + 1)) for v in by_cell.values())
    async with kpi.uow() as uow:
        connection = await uow.session.connection()
        commits = (
            await connection.execute(
                text("SELECT count(*) FROM audit_log WHERE action = 'POST /v1/reports'")
            )
        ).scalar_one()
    assert 0 < commits < 34  # fewer transactions than accepted reports: they were grouped


async def test_keys_presented_together_are_each_judged_and_a_revocation_holds_at_once(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    """Concurrent requests share key lookups; none outlives a revocation."""
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    await declare(kpi, auth, "OTHER", "ENTREPRENEURS_REACHED")
    ibdo = await partner_key(kpi, auth, "IBDO BV")
    other = await partner_key(kpi, auth, "Other BV")
    unknown = {"Authorization": "Bearer km_" + "y" * 43}
    sends = [(ibdo, "IBDO"), (other, "OTHER"), (unknown, "IBDO"), (other, "IBDO")] * 6
    answers = await asyncio.gather(
        *(
            kpi.client.post("/v1/reports", json=report(project=p, value=i), headers=h)
            for i, (h, p) in enumerate(sends)
        )
    )
    assert [a.status_code for a in answers] == [201, 201, 401, 403] * 6
    listed = await kpi.client.get("/v1/api-keys", headers=auth(Role.ADMIN))
    for key in listed.json():
        revoked = await kpi.client.delete(f"/v1/api-keys/{key['id']}", headers=auth(Role.ADMIN))
        assert revoked.status_code == 200
    after = await asyncio.gather(
        *(kpi.client.post("/v1/reports", json=report(value=99), headers=h) for h in (ibdo, other))
    )
    assert [a.status_code for a in after] == [401, 401]


async def test_a_dry_run_judges_every_item_as_for_real_and_keeps_nothing(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    """The same answer as the real batch that follows it — outcomes, fields, reasons, flags —
    while nothing is stored, no event leaves and the Idempotency-Key stays free."""
    await declare(
        kpi, auth, "IBDO", "ENTREPRENEURS_REACHED", target_value=100, target_date="2019-12-31"
    )
    await declare(kpi, auth, "OTHER", "ENTREPRENEURS_REACHED")
    lock = {"programme_id": str(kpi.registry.programme), "period": "2019-Q1"}
    assert (await kpi.client.post("/v1/period-locks", json=lock, headers=auth())).status_code == 204
    key = {**(await partner_key(kpi, auth, "IBDO BV")), "Idempotency-Key": "upload-7"}
    items = [
        report(period="2019-Q2", value=400),  # far above its target: flagged
        report(period="2019-Q3", value=-5),
        report(project="OTHER"),
        report(period="2019-Q1"),  # locked
        report(period="2019-Q3", value=50),
        report(period="2019-Q3", value=55, reason="recount"),  # a revision of the item before
    ]
    async with kpi.uow() as uow:
        outbox_before = await _outbox_rows(uow)

    dry = await kpi.client.post(
        "/v1/reports/batch", params={"dry_run": "true"}, json={"reports": items}, headers=key
    )
    assert dry.status_code == 200, dry.text
    judged = dry.json()
    assert (judged["accepted"], judged["rejected"]) == (3, 3)
    assert [r["status"] for r in judged["results"]] == [201, 422, 403, 409, 201, 201]
    assert judged["results"][0]["report"]["flags"] == ["above_target"]
    assert judged["results"][1]["errors"][0]["loc"] == ["body", "value"]
    assert "locked" in judged["results"][3]["errors"][0]["msg"]
    assert judged["results"][5]["report"]["version"] == 2
    history = f"/v1/projects/{kpi.registry.projects['IBDO']}/reports"
    assert (await kpi.client.get(history, headers=auth())).json() == []
    async with kpi.uow() as uow:
        assert await _outbox_rows(uow) == outbox_before  # no event

    real = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=key)
    assert real.status_code == 200, real.text
    stored = real.json()
    assert _without_ids(stored) == _without_ids(judged)  # the dry run told the truth
    assert [
        (r["period"], r["version"]) for r in (await kpi.client.get(history, headers=auth())).json()
    ] == [
        ("2019-Q2", 1),
        ("2019-Q3", 1),
        ("2019-Q3", 2),
    ]
    again = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=key)
    assert again.json() == stored  # the key was kept by the real request, not the dry run


async def _outbox_rows(uow: Any) -> int:
    connection = await uow.session.connection()
    return int((await connection.execute(text("SELECT count(*) FROM outbox"))).scalar_one())


def _without_ids(answer: dict[str, Any]) -> dict[str, Any]:
    """A batch answer less what only a stored version has (its id and time)."""
    results = [
        {**r, "report": {k: v for k, v in r["report"].items() if k not in ("id", "submitted_at")}}
        if r["report"]
        else r
        for r in answer["results"]
    ]
    return {**answer, "results": results}
