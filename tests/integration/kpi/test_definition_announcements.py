"""The KPI service announces indicator definitions (kpi.indicator.defined.v1, every version,
oldest first): for the whole catalogue when it migrates, and when an indicator is defined
or redefined, so the funding service's transmissions can name the versions they counted
under (ADR 30, 32). On SQLite and PostgreSQL."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from services.kpi.catalogue import EU_CSV, PROGRAMME_INDICATORS
from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.integration.kpi.harness import KpiService, kpi_service


@pytest.fixture
async def kpi(kpi_db: str) -> AsyncIterator[KpiService]:
    async for service in kpi_service(kpi_db):
        yield service


async def announced(kpi: KpiService, code: str | None = None) -> list[dict[str, Any]]:
    async with kpi.uow() as uow:
        rows = await uow.session.exec(  # type: ignore[call-overload]
            text("SELECT data FROM outbox WHERE type = 'kpi.indicator.defined.v1' ORDER BY id")
        )
        found = [json.loads(r[0]) for r in rows.all()]
    return [e for e in found if code is None or e["indicator_code"] == code]


async def test_the_shipped_catalogue_is_announced_when_the_service_migrates(
    kpi: KpiService,
) -> None:
    shipped = len(EU_CSV.read_text(encoding="utf-8").splitlines()) - 1 + len(PROGRAMME_INDICATORS)
    found = await announced(kpi)
    assert len({e["indicator_code"] for e in found}) == shipped
    [rco01] = [e for e in found if e["indicator_code"] == "RCO01"]
    assert rco01["counted_once"] == "enterprise"
    [first] = rco01["definitions"]
    assert (first["version"], first["effective_from"], first["unit"], first["eu_code"]) == (
        1,
        "1900-01-01",
        "enterprises",
        "RCO01",
    )


async def test_defining_and_redefining_an_indicator_announce_every_version(
    kpi: KpiService, auth: AuthHeaders
) -> None:
    manager = auth(Role.PROGRAMME_MANAGER)
    defined = await kpi.client.post(
        "/v1/indicators",
        json={
            "code": "TRAILS_BUILT",
            "name_en": "Trails built",
            "unit": "km",
            "level": "output",
            "kind": "flow",
        },
        headers=manager,
    )
    assert defined.status_code == 201, defined.text
    changed = await kpi.client.post(
        "/v1/indicators/TRAILS_BUILT/definitions",
        json={
            "effective_from": "2021-07-01",
            "name_en": "Cycle trails built",
            "methodology": "Length of cycle trail opened to the public.",
            "reason": "cycle trails only",
        },
        headers=manager,
    )
    assert changed.status_code == 201, changed.text
    first, second = await announced(kpi, "TRAILS_BUILT")
    assert [d["version"] for d in first["definitions"]] == [1]
    assert [
        (d["version"], d["effective_from"], d["name_en"], d["methodology"], d["defined_by"])
        for d in second["definitions"]
    ] == [
        (1, "1900-01-01", "Trails built", None, "catalogue"),
        (
            2,
            "2021-07-01",
            "Cycle trails built",
            "Length of cycle trail opened to the public.",
            "tester",
        ),
    ]
