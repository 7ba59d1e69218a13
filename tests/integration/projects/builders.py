"""Readable random test data for the registry, created over its public API."""

import secrets
from typing import Any

import httpx


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


async def create(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def organisation(client: httpx.AsyncClient, headers: dict[str, str], **extra: Any) -> Any:
    body = {"name": unique("Org"), "kind": "company", **extra}
    return await create(client, "/v1/organisations", body, headers)


async def programme_with_goals(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> tuple[Any, Any, Any]:
    """A programme with one line and one goal beneath it."""
    programme = await create(
        client,
        "/v1/programmes",
        {"name": unique("Koers"), "period_start": 2020, "period_end": 2023, "region": "Drenthe"},
        headers,
    )
    path = f"/v1/programmes/{programme['id']}/goals"
    line = await create(
        client, path, {"kind": "guiding_line", "code": unique("GL"), "name": "Slim"}, headers
    )
    goal = await create(
        client,
        path,
        {"kind": "goal", "code": unique("G"), "name": "Innovatie", "parent_id": line["id"]},
        headers,
    )
    return programme, line, goal


async def project(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    programme_id: str,
    lead_id: str,
    **extra: Any,
) -> Any:
    body = {
        "code": unique("P"),
        "name": "Health Hub Roden",
        "programme_id": programme_id,
        "lead_organisation_id": lead_id,
        "start_date": "2020-01-01",
        "end_date": "2023-12-31",
        **extra,
    }
    return await create(client, "/v1/projects", body, headers)
