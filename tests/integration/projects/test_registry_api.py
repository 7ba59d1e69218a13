"""The registry's REST API on SQLite and PostgreSQL, as staff and partner tools use it."""

import httpx
import pytest

from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.integration.projects import builders


async def test_registers_a_project_with_partners_and_goals(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth()
    lead = await builders.organisation(registry_client, h, kind="knowledge_institution")
    partner = await builders.organisation(registry_client, h, kind="municipality")
    programme, line, goal = await builders.programme_with_goals(registry_client, h)

    created = await builders.project(
        registry_client,
        h,
        programme["id"],
        lead["id"],
        partners=[{"organisation_id": partner["id"], "role": "co_financier"}],
        goal_ids=[goal["id"], line["id"]],
        municipality="Noordenveld",
    )

    fetched = (
        await registry_client.get(f"/v1/projects/{created['id']}", headers=auth(Role.VIEWER))
    ).json()
    assert fetched["status"] == "draft"
    assert fetched["allowed_transitions"] == ["submitted", "withdrawn"]
    assert fetched["members"] == [
        {"organisation_id": lead["id"], "role": "lead"},
        {"organisation_id": partner["id"], "role": "co_financier"},
    ]
    assert sorted(fetched["goal_ids"]) == sorted([goal["id"], line["id"]])


async def test_goal_tree_nests_goals_under_their_lines(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth()
    programme, line, goal = await builders.programme_with_goals(registry_client, h)
    path = f"/v1/programmes/{programme['id']}/goals"
    sub = await builders.create(
        registry_client,
        path,
        {"kind": "sub_goal", "code": "SG-1", "name": "Start-ups", "parent_id": goal["id"]},
        h,
    )

    tree = (await registry_client.get(path, headers=h)).json()
    assert [n["id"] for n in tree] == [line["id"]]
    assert [n["id"] for n in tree[0]["children"]] == [goal["id"]]
    assert [n["id"] for n in tree[0]["children"][0]["children"]] == [sub["id"]]


async def test_moving_a_goal_beneath_its_own_child_is_refused(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth()
    programme, _, goal = await builders.programme_with_goals(registry_client, h)
    path = f"/v1/programmes/{programme['id']}/goals"
    sub = await builders.create(
        registry_client,
        path,
        {"kind": "sub_goal", "code": "S1", "name": "a", "parent_id": goal["id"]},
        h,
    )
    subsub = await builders.create(
        registry_client,
        path,
        {"kind": "sub_goal", "code": "S2", "name": "b", "parent_id": sub["id"]},
        h,
    )
    response = await registry_client.patch(
        f"{path}/{sub['id']}", json={"parent_id": subsub["id"]}, headers=h
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "parent_id"]


async def test_lists_projects_by_status_goal_and_organisation_with_pagination(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth()
    lead = await builders.organisation(registry_client, h)
    other = await builders.organisation(registry_client, h)
    programme, line, goal = await builders.programme_with_goals(registry_client, h)
    on_goal = [
        await builders.project(
            registry_client, h, programme["id"], lead["id"], goal_ids=[goal["id"]]
        )
        for _ in range(3)
    ]
    elsewhere = await builders.project(
        registry_client,
        h,
        programme["id"],
        other["id"],
        goal_ids=[line["id"]],
        partners=[{"organisation_id": lead["id"]}],
    )
    await registry_client.post(
        f"/v1/projects/{elsewhere['id']}/status", json={"status": "submitted"}, headers=h
    )

    by_goal = (
        await registry_client.get("/v1/projects", params={"goal": goal["id"]}, headers=h)
    ).json()
    assert by_goal["count"] == 3
    assert {p["id"] for p in by_goal["data"]} == {p["id"] for p in on_goal}

    by_org = (
        await registry_client.get("/v1/projects", params={"organisation": lead["id"]}, headers=h)
    ).json()
    assert by_org["count"] == 4  # three as lead, one as partner

    submitted = (
        await registry_client.get("/v1/projects", params={"status": "submitted"}, headers=h)
    ).json()
    assert [p["id"] for p in submitted["data"]] == [elsewhere["id"]]

    page1 = (
        await registry_client.get("/v1/projects", params={"limit": 2, "offset": 0}, headers=h)
    ).json()
    page2 = (
        await registry_client.get("/v1/projects", params={"limit": 2, "offset": 2}, headers=h)
    ).json()
    assert page1["count"] == page2["count"] == 4
    assert len(page1["data"]) == len(page2["data"]) == 2
    assert not {p["id"] for p in page1["data"]} & {p["id"] for p in page2["data"]}


async def test_status_moves_along_the_lifecycle_and_keeps_history(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth(user="pm-anna")
    lead = await builders.organisation(registry_client, h)
    programme, _, _ = await builders.programme_with_goals(registry_client, h)
    project = await builders.project(registry_client, h, programme["id"], lead["id"])
    path = f"/v1/projects/{project['id']}"
    for status in ("submitted", "approved", "running"):
        response = await registry_client.post(f"{path}/status", json={"status": status}, headers=h)
        assert response.status_code == 200, response.text

    refused = await registry_client.post(f"{path}/status", json={"status": "draft"}, headers=h)
    assert refused.status_code == 409
    assert refused.json()["allowed_transitions"] == ["closed"]
    assert "allowed: closed" in refused.json()["detail"]

    history = (await registry_client.get(f"{path}/status-history", headers=h)).json()
    assert [(c["from_status"], c["to_status"], c["actor"]) for c in history] == [
        ("draft", "submitted", "pm-anna"),
        ("submitted", "approved", "pm-anna"),
        ("approved", "running", "pm-anna"),
    ]
    assert (await registry_client.get(path, headers=h)).json()["version"] == 4


async def test_updates_change_only_what_is_sent(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth()
    lead = await builders.organisation(registry_client, h)
    partner = await builders.organisation(registry_client, h)
    programme, _, goal = await builders.programme_with_goals(registry_client, h)
    project = await builders.project(
        registry_client,
        h,
        programme["id"],
        lead["id"],
        partners=[{"organisation_id": partner["id"]}],
        goal_ids=[goal["id"]],
    )
    response = await registry_client.patch(
        f"/v1/projects/{project['id']}",
        json={"name": "Health Hub Roden II", "end_date": "2025-06-30"},
        headers=h,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Health Hub Roden II"
    assert updated["end_date"] == "2025-06-30"
    assert updated["members"] == project["members"]
    assert updated["goal_ids"] == project["goal_ids"]
    assert updated["version"] == 2


async def test_bad_input_names_every_bad_field(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await registry_client.post(
        "/v1/projects",
        json={
            "code": "has spaces",
            "name": "",
            "programme_id": "not-a-uuid",
            "start_date": "2020-13-01",
            "colour": "red",
        },
        headers=auth(),
    )
    assert response.status_code == 422
    bad = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert {
        ("body", "code"),
        ("body", "name"),
        ("body", "programme_id"),
        ("body", "start_date"),
        ("body", "end_date"),
        ("body", "lead_organisation_id"),
        ("body", "colour"),
    } <= bad


async def test_malformed_json_is_a_422(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await registry_client.post(
        "/v1/organisations",
        content=b'{"name": "x", ',
        headers={**auth(), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_unknown_references_are_422_and_write_nothing(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth()
    lead = await builders.organisation(registry_client, h)
    programme, _, _ = await builders.programme_with_goals(registry_client, h)
    _, _, foreign_goal = await builders.programme_with_goals(registry_client, h)
    missing = "00000000-0000-0000-0000-000000000001"
    response = await registry_client.post(
        "/v1/projects",
        json={
            "code": "P-BAD",
            "name": "x",
            "programme_id": programme["id"],
            "lead_organisation_id": lead["id"],
            "partners": [{"organisation_id": missing}],
            "goal_ids": [foreign_goal["id"]],
            "start_date": "2020-01-01",
            "end_date": "2021-01-01",
        },
        headers=h,
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [
        ["body", "partners", 0, "organisation_id"],
        ["body", "goal_ids", 0],
    ]
    listed = (await registry_client.get("/v1/projects", params={"code": "P-BAD"}, headers=h)).json()
    assert listed["count"] == 0


async def test_end_before_start_is_422(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth()
    lead = await builders.organisation(registry_client, h)
    programme, _, _ = await builders.programme_with_goals(registry_client, h)
    response = await registry_client.post(
        "/v1/projects",
        json={
            "code": "P-DATES",
            "name": "x",
            "programme_id": programme["id"],
            "lead_organisation_id": lead["id"],
            "start_date": "2022-01-01",
            "end_date": "2021-01-01",
        },
        headers=h,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "end_date"],
            "msg": "the end date lies before the start date",
            "type": "value_error",
        }
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/projects/{id}",
        "/v1/organisations/{id}",
        "/v1/programmes/{id}",
        "/v1/programmes/{id}/goals",
    ],
)
async def test_unknown_ids_are_404(
    registry_client: httpx.AsyncClient, auth: AuthHeaders, path: str
) -> None:
    response = await registry_client.get(
        path.format(id="00000000-0000-0000-0000-000000000042"), headers=auth()
    )
    assert response.status_code == 404
    assert "not found" in response.json()["detail"]


async def test_duplicate_codes_and_names_are_409(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth()
    lead = await builders.organisation(registry_client, h, kvk_number="12345678")
    programme, _, _ = await builders.programme_with_goals(registry_client, h)
    project = await builders.project(registry_client, h, programme["id"], lead["id"])

    again = await registry_client.post(
        "/v1/projects",
        json={
            "code": project["code"].lower(),
            "name": "copy",
            "programme_id": programme["id"],
            "lead_organisation_id": lead["id"],
            "start_date": "2020-01-01",
            "end_date": "2021-01-01",
        },
        headers=h,
    )
    assert again.status_code == 409
    assert again.json()["field"] == "code"

    same_name = await registry_client.post(
        "/v1/organisations", json={"name": lead["name"].upper(), "kind": "other"}, headers=h
    )
    assert same_name.status_code == 409
    same_kvk = await registry_client.post(
        "/v1/organisations",
        json={"name": "Other BV", "kind": "company", "kvk_number": "12345678"},
        headers=h,
    )
    assert same_kvk.status_code == 409
    assert same_kvk.json()["field"] == "kvk_number"


async def test_closed_projects_cannot_be_edited(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    h = auth()
    lead = await builders.organisation(registry_client, h)
    programme, _, _ = await builders.programme_with_goals(registry_client, h)
    project = await builders.project(registry_client, h, programme["id"], lead["id"])
    await registry_client.post(
        f"/v1/projects/{project['id']}/status", json={"status": "withdrawn"}, headers=h
    )
    response = await registry_client.patch(
        f"/v1/projects/{project['id']}", json={"name": "late"}, headers=h
    )
    assert response.status_code == 409


async def test_reading_needs_a_token_and_writing_needs_a_role(
    registry_client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    assert (await registry_client.get("/v1/projects")).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await registry_client.get("/v1/projects", headers=bad)).status_code == 401
    viewer = auth(Role.VIEWER)
    assert (await registry_client.get("/v1/projects", headers=viewer)).status_code == 200
    body = {"name": "Viewer BV", "kind": "company"}
    forbidden = await registry_client.post("/v1/organisations", json=body, headers=viewer)
    assert forbidden.status_code == 403
    assert (
        await registry_client.post("/v1/organisations", json=body, headers=auth(Role.ADMIN))
    ).status_code == 201


async def test_health_and_readiness(registry_client: httpx.AsyncClient) -> None:
    assert (await registry_client.get("/healthz")).json() == {"status": "ok"}
    ready = await registry_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["broker"].startswith(
        "unavailable"
    )  # no broker behind this client
