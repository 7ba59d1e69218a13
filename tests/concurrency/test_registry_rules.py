"""The registry's rules hold when requests arrive together at two registry API processes:
a project's lifecycle and version, goal moves that could close a cycle, and unique codes
and names (issue 25), on SQLite and PostgreSQL. Refusals are 409 or 422 with the reason."""

import itertools
import uuid
from typing import Any

from tests.concurrency.conftest import RegistryRace
from tests.concurrency.harness import Call, race, staff_headers
from tests.integration.projects import builders

N = 8
STAFF = staff_headers()


async def _programme(registry: RegistryRace) -> tuple[dict[str, Any], dict[str, Any]]:
    """A programme with a line and a goal beneath it; returns (programme, goal)."""
    programme, _, goal = await builders.programme_with_goals(registry.local, STAFF)
    return programme, goal


async def _project(registry: RegistryRace) -> Any:
    programme, goal = await _programme(registry)
    lead = await builders.organisation(registry.local, STAFF)
    return await builders.create(
        registry.local,
        "/v1/projects",
        {
            "code": builders.unique("P"),
            "name": "Race",
            "programme_id": programme["id"],
            "lead_organisation_id": lead["id"],
            "goal_ids": [goal["id"]],
            "start_date": "2020-01-01",
            "end_date": "2023-12-31",
        },
        STAFF,
    )


async def _get(registry: RegistryRace, path: str) -> Any:
    response = await registry.local.get(path, headers=STAFF)
    assert response.status_code == 200, response.text
    return response.json()


async def test_status_changes_each_start_where_the_last_one_left(
    registry_race: RegistryRace,
) -> None:
    project = await _project(registry_race)
    path = f"/v1/projects/{project['id']}/status"
    targets = ["submitted", "withdrawn"] * (N // 2)
    figures = race(
        "project status transitions",
        registry_race.database,
        registry_race.servers.ports,
        [Call("POST", path, {"status": t, "reason": "race"}, STAFF) for t in targets],
    ).check({409})
    # From draft: submitted (then only withdrawn may follow) or withdrawn (final).
    assert 1 <= len(figures.accepted) <= 2
    assert all("cannot become" in a.reason() for a in figures.refused)
    history = await _get(registry_race, f"/v1/projects/{project['id']}/status-history")
    chain = [(c["from_status"], c["to_status"]) for c in history]
    assert len(chain) == len(figures.accepted)
    assert chain[0][0] == "draft"
    assert all(a[1] == b[0] for a, b in itertools.pairwise(chain))
    now = await _get(registry_race, f"/v1/projects/{project['id']}")
    assert now["status"] == chain[-1][1]
    assert now["version"] == 1 + len(figures.accepted)


async def test_concurrent_edits_of_a_project_lose_no_version(registry_race: RegistryRace) -> None:
    project = await _project(registry_race)
    calls = [
        Call("PATCH", f"/v1/projects/{project['id']}", {"name": f"Name {n}"}, STAFF)
        for n in range(N)
    ]
    figures = race(
        "project version (concurrent edits)",
        registry_race.database,
        registry_race.servers.ports,
        calls,
    ).check({409})
    assert len(figures.accepted) == N
    assert sorted(a.body["version"] for a in figures.accepted) == list(range(2, N + 2))
    now = await _get(registry_race, f"/v1/projects/{project['id']}")
    last = max(figures.accepted, key=lambda a: a.body["version"])
    assert (now["version"], now["name"]) == (N + 1, last.body["name"])


async def test_goal_moves_that_would_close_a_cycle_are_refused(
    registry_race: RegistryRace,
) -> None:
    programme, goal = await _programme(registry_race)
    path = f"/v1/programmes/{programme['id']}/goals"
    subs = [
        await builders.create(
            registry_race.local,
            path,
            {
                "kind": "sub_goal",
                "code": builders.unique("S"),
                "name": "S",
                "parent_id": goal["id"],
            },
            STAFF,
        )
        for _ in range(4)
    ]
    # each sub-goal under the next, around a ring: all of them together would be a cycle
    calls = [
        Call(
            "PATCH",
            f"{path}/{subs[n % 4]['id']}",
            {"parent_id": subs[(n + 1) % 4]["id"]},
            STAFF,
        )
        for n in range(N)
    ]
    figures = race(
        "goal moves never form a cycle",
        registry_race.database,
        registry_race.servers.ports,
        calls,
    ).check({422})
    assert figures.refused, "four moves around a ring cannot all be accepted"
    assert all("under itself or one of its descendants" in a.reason() for a in figures.refused)
    tree = await _get(registry_race, path)
    reachable: list[str] = []
    stack = list(tree)
    while stack and len(reachable) < 100:
        node = stack.pop()
        reachable.append(node["id"])
        stack.extend(node["children"])
    assert {s["id"] for s in subs} <= set(reachable), "a sub-goal fell off the tree"
    moved = {a.body["id"]: a.body["parent_id"] for a in figures.accepted}
    for sub in subs:  # the last accepted move of each sub-goal is where it is
        node = next(n for n in _flatten(tree) if n["id"] == sub["id"])
        assert node["parent_id"] == moved.get(sub["id"], goal["id"])


def _flatten(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for node in nodes:
        found += [node, *_flatten(node["children"])]
    return found


async def test_a_project_code_is_registered_once(registry_race: RegistryRace) -> None:
    programme, goal = await _programme(registry_race)
    lead = await builders.organisation(registry_race.local, STAFF)
    code = builders.unique("SAME")
    body = {
        "code": code,
        "name": "Twice",
        "programme_id": programme["id"],
        "lead_organisation_id": lead["id"],
        "goal_ids": [goal["id"]],
        "start_date": "2020-01-01",
        "end_date": "2023-12-31",
    }
    figures = race(
        "project codes unique",
        registry_race.database,
        registry_race.servers.ports,
        [Call("POST", "/v1/projects", body, STAFF)] * N,
    ).check({409})
    assert len(figures.accepted) == 1
    assert all(code in a.reason() for a in figures.refused)
    found = await _get(registry_race, f"/v1/projects?code={code}")
    assert [p["id"] for p in found["data"]] == [figures.accepted[0].body["id"]]


async def test_an_organisation_name_is_registered_once_in_any_case(
    registry_race: RegistryRace,
) -> None:
    name = builders.unique("Acme")
    spellings = [name, name.upper(), name.lower(), name.title()]
    calls = [
        Call("POST", "/v1/organisations", {"name": spellings[n % 4], "kind": "company"}, STAFF)
        for n in range(N)
    ]
    figures = race(
        "organisation names unique (any case)",
        registry_race.database,
        registry_race.servers.ports,
        calls,
    ).check({409})
    assert len(figures.accepted) == 1
    assert all("name" in a.reason() for a in figures.refused)
    found = await _get(registry_race, f"/v1/organisations?q={name}&limit=50")
    assert [o["id"] for o in found["data"]] == [figures.accepted[0].body["id"]]


async def test_a_goal_code_is_used_once_in_a_programme(registry_race: RegistryRace) -> None:
    programme, _ = await _programme(registry_race)
    code = builders.unique("G")
    figures = race(
        "goal codes unique in a programme",
        registry_race.database,
        registry_race.servers.ports,
        [
            Call(
                "POST",
                f"/v1/programmes/{programme['id']}/goals",
                {"kind": "guiding_line", "code": code, "name": f"Line {n}"},
                STAFF,
            )
            for n in range(N)
        ],
    ).check({409})
    assert len(figures.accepted) == 1
    tree = await _get(registry_race, f"/v1/programmes/{programme['id']}/goals")
    assert [n["id"] for n in _flatten(tree) if n["code"] == code] == [
        figures.accepted[0].body["id"]
    ]


async def test_a_programme_name_is_used_once(registry_race: RegistryRace) -> None:
    name = f"Koers {uuid.uuid4().hex[:8]}"
    body = {"name": name, "period_start": 2020, "period_end": 2023, "region": "Drenthe"}
    figures = race(
        "programme names unique",
        registry_race.database,
        registry_race.servers.ports,
        [Call("POST", "/v1/programmes", body, STAFF)] * N,
    ).check({409})
    assert len(figures.accepted) == 1
    programmes = await _get(registry_race, "/v1/programmes")
    assert [p["id"] for p in programmes if p["name"] == name] == [figures.accepted[0].body["id"]]
