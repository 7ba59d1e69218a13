"""Intake's reference data is kept per process and read again when a table's version moves
(services.kpi.reference): every change applies to the next report, whoever made it."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from services.kpi.reference import LOADERS
from shared.db import create_engine
from tests.conftest import AuthHeaders
from tests.integration.kpi.harness import KpiService, kpi_service
from tests.integration.kpi.test_intake_api import declare, partner_key, report


@pytest.fixture
async def kpi(kpi_db: str) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_db):
        r = service.registry
        r.goal("LINE", kind="programme_line")
        r.organisation("IBDO BV")
        r.project("IBDO", lead="IBDO BV", goals=["LINE"])
        await service.deliver()
        yield service


@pytest.fixture
async def other_instance(kpi_db: str) -> AsyncIterator[KpiService]:
    """A second API instance on the same database, with a cache of its own."""
    async for service in kpi_service(kpi_db):
        yield service


async def versions(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as c:
            rows = await c.execute(text("SELECT table_name, version FROM table_versions"))
            return {name: int(version) for name, version in rows}
    finally:
        await engine.dispose()


async def execute(url: str, statement: str, **params: object) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as c:
            await c.execute(text(statement), params)
    finally:
        await engine.dispose()


async def test_every_table_the_cache_holds_has_a_version(kpi_db: str) -> None:
    assert set(await versions(kpi_db)) == set(LOADERS)


@pytest.mark.parametrize(
    ("insert", "update", "delete"),
    [
        (
            "INSERT INTO period_locks (programme_id, period, locked_by, locked_at)"
            " VALUES (:id, '2019-Q1', 'anna', '2019-04-01 00:00:00')",
            "UPDATE period_locks SET locked_by = 'bert'",
            "DELETE FROM period_locks",
        ),
        (
            "INSERT INTO indicators (code, name_en, unit, level, kind, direction,"
            " decimals_allowed, negative_allowed) VALUES ('X_TEST', 'x', 'items', 'output',"
            " 'flow', 'higher_is_better', false, false)",
            "UPDATE indicators SET name_en = 'y' WHERE code = 'X_TEST'",
            "DELETE FROM indicators WHERE code = 'X_TEST'",
        ),
    ],
)
async def test_inserts_updates_and_deletes_each_raise_the_version(
    kpi_db: str, insert: str, update: str, delete: str
) -> None:
    table = insert.split()[2]
    before = (await versions(kpi_db))[table]
    for step, statement in enumerate((insert, update, delete), start=1):
        await execute(kpi_db, statement, id=uuid.uuid4().hex)
        assert (await versions(kpi_db))[table] > before + step - 1


async def test_a_lock_set_on_another_instance_holds_for_the_next_report(
    kpi: KpiService, other_instance: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    assert (await kpi.client.post("/v1/reports", json=report(), headers=key)).status_code == 201
    lock = {"programme_id": str(kpi.registry.programme), "period": "2019-Q1"}
    set_lock = await other_instance.client.post("/v1/period-locks", json=lock, headers=auth())
    assert set_lock.status_code == 204
    refused = await kpi.client.post("/v1/reports", json=report(value=401), headers=key)
    assert refused.status_code == 409


async def test_a_kpi_declared_on_another_instance_is_reportable_at_once(
    kpi: KpiService, other_instance: KpiService, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    assert (await kpi.client.post("/v1/reports", json=report(), headers=key)).status_code == 201
    events = report(indicator="MEETINGS_ORGANISED", value=12)
    assert (await kpi.client.post("/v1/reports", json=events, headers=key)).status_code == 422
    project = kpi.registry.projects["IBDO"]
    declared = await other_instance.client.put(
        f"/v1/projects/{project}/kpis/MEETINGS_ORGANISED", json={}, headers=auth()
    )
    assert declared.status_code == 200, declared.text
    assert (await kpi.client.post("/v1/reports", json=events, headers=key)).status_code == 201


async def test_a_membership_ended_by_plain_sql_is_refused_at_the_next_report(
    kpi: KpiService, kpi_db: str, auth: AuthHeaders
) -> None:
    await declare(kpi, auth, "IBDO", "ENTREPRENEURS_REACHED")
    key = await partner_key(kpi, auth, "IBDO BV")
    assert (await kpi.client.post("/v1/reports", json=report(), headers=key)).status_code == 201
    await execute(kpi_db, "DELETE FROM replica_project_members")
    refused = await kpi.client.post("/v1/reports", json=report(value=401), headers=key)
    assert refused.status_code == 403
