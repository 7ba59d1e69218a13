"""Every field of every partial update (PATCH), sent as null on a real record: where the
OpenAPI schema says the field is nullable, null is accepted and stored (it clears the field);
where it does not, null is a 422 naming the field. The PATCH operations are read from each
app's schema, so a new one fails here until it has a record to update. This was a 500 for
organisation kind, programme region and period_start and goal name, and a 422 for fields the
schema called nullable."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.projects.main import create_app as projects_app
from shared.auth import Role
from tests.conftest import AuthHeaders, registry_settings
from tests.security.apps import SERVICES, Operation, migrated_app, operations

Record = Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[str]]


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _created(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, **body: Any
) -> Any:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _organisation(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    org = await _created(client, headers, "/v1/organisations", name=_unique("Org"), kind="company")
    return f"/v1/organisations/{org['id']}"


async def _programme_made(client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    return await _created(
        client,
        headers,
        "/v1/programmes",
        name=_unique("P"),
        period_start=2020,
        period_end=2023,
        region="R",
    )


async def _programme(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    return f"/v1/programmes/{(await _programme_made(client, headers))['id']}"


async def _goal(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    programme = (await _programme_made(client, headers))["id"]
    path = f"/v1/programmes/{programme}/goals"
    goal = await _created(client, headers, path, kind="programme_line", code="PL1", name="Line")
    return f"{path}/{goal['id']}"


async def _project(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    programme = (await _programme_made(client, headers))["id"]
    lead = await _created(
        client, headers, "/v1/organisations", name=_unique("Lead"), kind="company"
    )
    project = await _created(
        client,
        headers,
        "/v1/projects",
        code=_unique("PRJ"),
        name="Project",
        programme_id=programme,
        lead_organisation_id=lead["id"],
        start_date="2020-01-01",
        end_date="2022-12-31",
        municipality="Assen",
    )
    return f"/v1/projects/{project['id']}"


async def _rule(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    rules = (await client.get("/v1/rules", headers=headers)).json()
    return f"/v1/rules/{rules[0]['rule']}"


# A fresh record for each PATCH operation, by its path in the schema.
RECORDS: dict[str, Record] = {
    "/v1/organisations/{organisation_id}": _organisation,
    "/v1/programmes/{programme_id}": _programme,
    "/v1/programmes/{programme_id}/goals/{goal_id}": _goal,
    "/v1/projects/{project_id}": _project,
    "/v1/rules/{rule}": _rule,
}


def _nullable(operation: Operation, schema: dict[str, Any]) -> bool:
    variants = [operation.resolve(s) for s in schema.get("anyOf", [schema])]
    return any(v.get("type") == "null" for v in variants)


async def _null_each_field(app: FastAPI, headers: dict[str, str]) -> list[Any]:
    """Every PATCH field set to null on a fresh record; what disagreed with the schema."""
    failures: list[Any] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://edge"
    ) as client:
        for operation in operations(app, ("patch",)):
            assert operation.path in RECORDS, f"{operation}: add a record to update"
            body = operation.body_media()["application/json"]
            for field, schema in body["properties"].items():
                url = await RECORDS[operation.path](client, headers)
                response = await client.patch(url, json={field: None}, headers=headers)
                if _nullable(operation, schema):
                    stored = response.json() if response.is_success else {}
                    if response.status_code != 200 or stored.get(field, None) is not None:
                        failures.append((str(operation), field, response.status_code))
                elif response.status_code != 422 or response.json()["detail"][0]["loc"] != [
                    "body",
                    field,
                ]:
                    failures.append((str(operation), field, response.status_code, response.text))
    return failures


async def test_the_registry_takes_null_exactly_where_its_schema_says(
    registry_db: str, auth: AuthHeaders
) -> None:
    app = projects_app(registry_settings(registry_db))
    try:
        assert await _null_each_field(app, auth(Role.ADMIN)) == []
    finally:
        await app.state.runtime.close()


@pytest.mark.parametrize("name", sorted(set(SERVICES) - {"projects"}))
async def test_every_other_service_takes_null_exactly_where_its_schema_says(
    name: str, tmp_path: Path, auth: AuthHeaders
) -> None:
    app = await _in_thread(name, tmp_path)
    try:
        assert await _null_each_field(app, auth(Role.ADMIN)) == []
    finally:
        await app.state.runtime.close()


async def _in_thread(name: str, folder: Path) -> FastAPI:
    """(Migrations run their own event loop.)"""
    return await asyncio.to_thread(migrated_app, name, folder)
