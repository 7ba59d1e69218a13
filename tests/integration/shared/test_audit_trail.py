"""The audit trail on SQLite and PostgreSQL: every change by staff or a partner, with old and
new values, chained so that the verify command catches an edited or removed entry."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.auth import Role
from shared.db import create_engine
from tests.conftest import AuthHeaders
from tests.integration.kpi.harness import KpiService, kpi_service
from tests.integration.notifications.harness import notifications_api, notifications_settings
from tests.integration.projects import builders
from tests.ops_audit import audit_verify


async def trail(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text("SELECT * FROM audit_log ORDER BY seq"))
            return [dict(r._mapping) | {"changes": json.loads(r.changes)} for r in result]
    finally:
        await engine.dispose()


async def execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def verify(service: str, url: str, *extra: str) -> tuple[int, str]:
    """The ops command as ops run it, in its own process."""
    return await audit_verify({service: url}, *extra)


def drop_guards(url: str) -> list[str]:
    if url.startswith("postgresql"):
        return ["DROP TRIGGER audit_log_append_only ON audit_log"]
    return ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"]


async def test_staff_changes_are_recorded_with_old_and_new_values(
    registry_client: httpx.AsyncClient, registry_db: str, auth: AuthHeaders
) -> None:
    h = auth(user="anna")
    lead = await builders.organisation(registry_client, h, name="Health Hub Roden BV")
    programme, _, goal = await builders.programme_with_goals(registry_client, h)
    project = await builders.project(
        registry_client, h, programme["id"], lead["id"], goal_ids=[goal["id"]]
    )
    refused = await registry_client.patch(
        f"/v1/projects/{project['id']}", json={"end_date": "1900-01-01"}, headers=h
    )
    assert refused.status_code == 422
    renamed = await registry_client.patch(
        f"/v1/projects/{project['id']}", json={"name": "Health Hub Roden II"}, headers=h
    )
    assert renamed.status_code == 200, renamed.text
    reads = await registry_client.get(f"/v1/projects/{project['id']}", headers=h)
    assert reads.status_code == 200

    entries = await trail(registry_db)
    # one entry per accepted change; the refused one and the read wrote nothing
    assert [e["action"] for e in entries] == [
        "POST /v1/organisations",
        "POST /v1/programmes",
        "POST /v1/programmes/{programme_id}/goals",
        "POST /v1/programmes/{programme_id}/goals",
        "POST /v1/projects",
        "PATCH /v1/projects/{project_id}",
    ]
    assert {e["actor"] for e in entries} == {"staff:anna"}
    created = entries[0]["changes"]
    assert [(c["table"], c["op"], c["new"]["name"]) for c in created] == [
        ("organisations", "insert", "Health Hub Roden BV")
    ]
    rename = next(c for c in entries[-1]["changes"] if c["table"] == "projects")
    assert rename["op"] == "update"
    assert rename["key"] == {"id": project["id"]}
    assert (rename["old"]["name"], rename["new"]["name"]) == (
        "Health Hub Roden",
        "Health Hub Roden II",
    )
    assert not any(c["table"] == "outbox" for e in entries for c in e["changes"])

    code, out = await verify("projects", registry_db)
    assert code == 0, out
    assert "intact" in out and "6 entries" in out


async def test_the_trail_refuses_changes_and_verify_catches_what_gets_past(
    registry_client: httpx.AsyncClient, registry_db: str, auth: AuthHeaders
) -> None:
    h = auth()
    for _ in range(4):
        await builders.organisation(registry_client, h)
    with pytest.raises(DBAPIError, match="append-only"):
        await execute(registry_db, "UPDATE audit_log SET actor = 'staff:mallory' WHERE seq = 2")
    with pytest.raises(DBAPIError, match="append-only"):
        await execute(registry_db, "DELETE FROM audit_log WHERE seq = 4")
    code, out = await verify("projects", registry_db)
    assert code == 0, out
    head = out.split("head ")[1].split()[0]

    # someone who can drop the triggers edits one entry and removes another
    await execute(
        registry_db,
        *drop_guards(registry_db),
        "UPDATE audit_log SET actor = 'staff:mallory' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
    )
    code, out = await verify("projects", registry_db)
    assert code == 1
    assert "BROKEN" in out
    assert "entry 2 was changed after it was written" in out
    assert "entries 3..3 are missing" in out

    # removing the newest entry leaves a consistent chain: the head written down catches it
    await execute(registry_db, "DELETE FROM audit_log WHERE seq >= 2")
    assert (await verify("projects", registry_db))[0] == 0
    code, out = await verify("projects", registry_db, "--expect-head", f"projects={head}")
    assert code == 1
    assert "entry 4, written down earlier, is missing" in out


@pytest.fixture
async def kpi(kpi_db: str) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_db):
        r = service.registry
        r.goal("LINE", kind="programme_line")
        r.goal("G1", parent="LINE")
        r.organisation("IBDO BV")
        r.project("IBDO", lead="IBDO BV", goals=["G1"])
        await service.deliver()
        yield service


async def test_partner_reports_are_recorded_as_the_partners_and_secrets_never(
    kpi: KpiService, kpi_db: str, auth: AuthHeaders
) -> None:
    project = kpi.registry.projects["IBDO"]
    organisation = kpi.registry.organisations["IBDO BV"]
    declared = await kpi.client.put(
        f"/v1/projects/{project}/kpis/ENTREPRENEURS_REACHED",
        json={"target_value": 1500, "target_date": "2019-12-31"},
        headers=auth(user="piet"),
    )
    assert declared.status_code == 200, declared.text
    issued = await kpi.client.post(
        "/v1/api-keys",
        json={"organisation_id": str(organisation), "name": "partner system"},
        headers=auth(Role.ADMIN, user="admin"),
    )
    key = issued.json()["key"]
    body = {"project": "IBDO", "indicator": "ENTREPRENEURS_REACHED", "period": "2019-Q1"}
    partner = {"Authorization": f"Bearer {key}"}
    for value in (400, 410):
        sent = await kpi.client.post(
            "/v1/reports", json=body | {"value": value, "comment": "Één"}, headers=partner
        )
        assert sent.status_code == 201, sent.text

    entries = await trail(kpi_db)
    assert [(e["actor"], e["action"]) for e in entries] == [
        ("staff:piet", "PUT /v1/projects/{project_id}/kpis/{indicator_code}"),
        ("staff:admin", "POST /v1/api-keys"),
        (f"organisation:{organisation}", "POST /v1/reports"),
        (f"organisation:{organisation}", "POST /v1/reports"),
    ]
    reports = [c for e in entries[2:] for c in e["changes"] if c["table"] == "reports"]
    assert [(r["op"], r["new"]["value"], r["new"]["version"]) for r in reports] == [
        ("insert", "400", 1),
        ("insert", "410", 2),
    ]
    assert reports[0]["new"]["comment"] == "Één"
    assert key not in json.dumps(entries)
    issued_row = entries[1]["changes"][0]
    assert issued_row["new"]["key_hash"] == "<redacted>"
    # what the replica learnt from registry events is nobody's change
    assert not any(c["table"].startswith("replica_") for e in entries for c in e["changes"])
    assert (await verify("kpi", kpi_db))[0] == 0


async def test_a_webhook_secret_never_reaches_the_trail(
    notifications_db: str, auth: AuthHeaders
) -> None:
    secret = "partner-secret-" + "x" * 16
    async with notifications_api(notifications_settings(notifications_db)) as api:
        body = {
            "kind": "organisation",
            "name": "IBDO BV",
            "organisation_id": "00000000-0000-0000-0000-000000000001",
            "webhook_url": "https://ibdo.example/hook",
            "webhook_secret": secret,
        }
        created = await api.client.post("/v1/subscribers", json=body, headers=auth(Role.ADMIN))
        assert created.status_code == 201, created.text
    entries = await trail(notifications_db)
    assert [e["action"] for e in entries] == ["POST /v1/subscribers"]
    subscriber = next(c for c in entries[0]["changes"] if c["table"] == "subscribers")
    assert subscriber["new"]["name"] == "IBDO BV"
    assert subscriber["new"]["webhook_secret"] == "<redacted>"
    assert secret not in json.dumps(entries)
