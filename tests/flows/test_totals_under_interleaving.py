"""Totals are a function of the facts, whatever order they arrive in (ADR 0008).

Staff restructure a programme — sub-goals moved between lines, goals moved, projects'
goal links changed, projects closed — while partners report, revise, and staff approve and
return reports; two KPI worker instances share the partitions. Once everything is applied,
every node total (programme, line, goal, sub-goal; current and approved; with and without
a range, however the range is written) must equal a recomputation from the reports the KPI
service stored and the registry's *current* tree and links.
"""

import asyncio
import random
import secrets
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from services.kpi.domain.periods import Period
from services.kpi.main import create_app, run_worker
from services.kpi.models import Report
from shared.auth import Role
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.faults.platform_load import rows
from tests.integration.kpi.harness import kpi_settings
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key
from tests.running import RunningService, running_service

FLOW, STOCK, RATIO = "MEETINGS_ORGANISED", "COMPANIES_CONNECTED", "PLACEMENT_RATE"
KINDS = {FLOW: "flow", STOCK: "stock", RATIO: "ratio"}
QUARTERS = [f"{y}-Q{q}" for y in (2019, 2020, 2021) for q in (1, 2, 3, 4)]
# Ranges as a user writes them; some spell the same periods differently.
RANGES: list[tuple[str | None, str | None]] = [
    (None, None),
    ("2019-Q1", "2022-Q4"),
    ("2019", "2022"),
    ("2020", "2020"),
    ("2020-Q1", "2020-Q4"),
    ("2019-Q3", "2020-Q2"),
    (None, "2020-Q2"),
    ("2021", None),
]
BATCHES, BATCH_SIZE, CHANGES = 20, 60, 24


@dataclass
class Tree:
    """The registry as the test made it, and as it is after the changes (read back)."""

    programme: str = ""
    lines: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    subgoals: list[str] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def nodes(self) -> list[str]:
        return [self.programme, *self.lines, *self.goals, *self.subgoals]


@pytest.fixture
async def platform(
    kafka: Kafka, registry_pg_db: str, kpi_db: str
) -> AsyncIterator[tuple[RunningService, RunningService, str]]:
    """The registry (API, relay) and the KPI API with two worker instances in one group."""
    group = f"t{secrets.token_hex(3)}."
    settings = kpi_settings(kpi_db, kafka.bootstrap_servers, consumer_group_prefix=group)
    second, stop = None, asyncio.Event()
    async with (
        running_registry(registry_settings(registry_pg_db, kafka.bootstrap_servers)) as registry,
        running_service(create_app(settings), lambda s: run_worker(settings, s)) as kpi,
    ):
        second = asyncio.create_task(run_worker(settings, stop))
        try:
            yield registry, kpi, kpi_db
        finally:
            stop.set()
            await second


async def _tree(registry: httpx.AsyncClient, staff: dict[str, str]) -> Tree:
    tree = Tree()
    programme, line, goal = await builders.programme_with_goals(registry, staff)
    tree.programme, tree.lines, tree.goals = programme["id"], [line["id"]], [goal["id"]]
    path = f"/v1/programmes/{programme['id']}/goals"
    for n in range(2):
        new_line = await builders.create(
            registry,
            path,
            {"kind": "guiding_line", "code": builders.unique("L"), "name": f"L{n}"},
            staff,
        )
        tree.lines.append(new_line["id"])
        new_goal = await builders.create(
            registry,
            path,
            {
                "kind": "goal",
                "code": builders.unique("G"),
                "name": "G",
                "parent_id": new_line["id"],
            },
            staff,
        )
        tree.goals.append(new_goal["id"])
    for parent in tree.goals:
        sub = await builders.create(
            registry,
            path,
            {"kind": "sub_goal", "code": builders.unique("S"), "name": "S", "parent_id": parent},
            staff,
        )
        tree.subgoals.append(sub["id"])
    return tree


async def _projects(
    registry: httpx.AsyncClient, kpi: httpx.AsyncClient, staff: dict[str, str], tree: Tree
) -> str:
    """Six projects on overlapping goals, two of them ending in 2019; returns the lead."""
    lead = await builders.organisation(registry, staff)
    s, g = tree.subgoals, tree.goals
    links = [[s[0]], [s[0], g[1]], [s[1]], [s[2], s[0]], [g[0]], [s[1], s[2]]]
    for n, goal_ids in enumerate(links):
        end = "2019-12-31" if n in (1, 4) else "2021-12-31"
        tree.projects.append(
            await builders.project(
                registry,
                staff,
                tree.programme,
                lead["id"],
                goal_ids=goal_ids,
                start_date="2019-01-01",
                end_date=end,
            )
        )

    async def declared() -> bool:
        for p in tree.projects:
            for code in KINDS:
                path = f"/v1/projects/{p['id']}/kpis/{code}"
                if (await kpi.put(path, json={}, headers=staff)).status_code != 200:
                    return False
        return True

    await eventually(declared, timeout_s=60, interval_s=0.2)
    return str(lead["id"])


def _item(rng: random.Random, tree: Tree) -> dict[str, Any]:
    project = rng.choice(tree.projects)
    code = rng.choice(list(KINDS))
    item: dict[str, Any] = {"project": project["code"], "indicator": code, "reason": "recount"}
    last = 4 if project["end_date"].startswith("2019") else len(QUARTERS)
    item["period"] = rng.choice(QUARTERS[:last])
    if code == RATIO:
        denominator = rng.randint(1, 40)
        item |= {"numerator": rng.randint(0, denominator), "denominator": denominator}
    else:
        item["value"] = rng.randint(0, 90)
    return item


async def _report_traffic(
    rng: random.Random,
    kpi: httpx.AsyncClient,
    partner: dict[str, str],
    staff: dict[str, str],
    tree: Tree,
) -> None:
    """Batches, single reports (new cells and revisions), approvals and returns."""
    accepted: list[str] = []
    for _ in range(BATCHES):
        items = [_item(rng, tree) for _ in range(BATCH_SIZE)]
        answer = await kpi.post("/v1/reports/batch", json={"reports": items}, headers=partner)
        assert answer.status_code == 200, answer.text
        accepted += [r["report"]["id"] for r in answer.json()["results"] if r.get("report")]
        single = await kpi.post("/v1/reports", json=_item(rng, tree), headers=partner)
        assert single.status_code in (200, 201), single.text
        for report_id in rng.sample(accepted, min(8, len(accepted))):
            decision = rng.choice(["approve", "approve", "return"])
            body: dict[str, Any] = {"decision": decision}
            if decision == "return":
                body["reason"] = "please check the attendance list"
            review = await kpi.post(f"/v1/reports/{report_id}/review", json=body, headers=staff)
            assert review.status_code in (200, 409), review.text
        await asyncio.sleep(rng.uniform(0.0, 0.05))


async def _registry_changes(
    rng: random.Random, registry: httpx.AsyncClient, staff: dict[str, str], tree: Tree
) -> None:
    """Sub-goals moved between goals of different lines, goals moved between lines, goal
    links added and removed, a project closed."""
    path = f"/v1/programmes/{tree.programme}/goals"
    closed: set[str] = set()
    for n in range(CHANGES):
        what = n % 4
        if what in (0, 1):
            sub = rng.choice(tree.subgoals)
            answer = await registry.patch(
                f"{path}/{sub}", json={"parent_id": rng.choice(tree.goals)}, headers=staff
            )
        elif what == 2:
            goal = rng.choice(tree.goals)
            answer = await registry.patch(
                f"{path}/{goal}", json={"parent_id": rng.choice(tree.lines)}, headers=staff
            )
        else:
            project = rng.choice([p for p in tree.projects if p["id"] not in closed])
            goal_ids = rng.sample(tree.goals + tree.subgoals, rng.randint(1, 3))
            answer = await registry.patch(
                f"/v1/projects/{project['id']}", json={"goal_ids": goal_ids}, headers=staff
            )
        assert answer.status_code == 200, answer.text
        if n == CHANGES // 2:
            closed.add(await _close(registry, staff, tree.projects[2]["id"]))
        await asyncio.sleep(rng.uniform(0.02, 0.15))


async def _close(registry: httpx.AsyncClient, staff: dict[str, str], project_id: str) -> str:
    for status in ("submitted", "approved", "running", "closed"):
        answer = await registry.post(
            f"/v1/projects/{project_id}/status", json={"status": status}, headers=staff
        )
        assert answer.status_code == 200, answer.text
    return project_id


# --- the recomputation: plain rules, written apart from the projection's code ---------

Cell = tuple[str, str, str, str]  # project, indicator, period, dimension
Figure = tuple[Decimal, Decimal, Decimal]  # value, numerator, denominator


def _counted(reports: Iterable[Any], view: str) -> dict[Cell, Figure]:
    """Per cell: the latest version not returned (current) or the latest approved one."""
    chosen: dict[Cell, tuple[int, Figure]] = {}
    for r in reports:
        eligible = r.state != "returned" if view == "current" else r.state == "approved"
        cell = (str(r.project_id), r.indicator_code, r.period, r.dimension_key)
        if eligible and (cell not in chosen or r.version > chosen[cell][0]):
            figure = (r.value or Decimal(0), r.numerator or Decimal(0), r.denominator or Decimal(0))
            chosen[cell] = (r.version, figure)
    return {cell: figure for cell, (_, figure) in chosen.items()}


def _quarters(first: str | None, last: str | None) -> tuple[Period | None, Period | None]:
    start = Period.parse(first) if first else None
    end = Period.parse(last) if last else None
    return (
        (Period(start.year, start.quarter or 1) if start else None),
        (end.last_quarter if end else None),
    )


def _expected(
    counted: dict[Cell, Figure], members: set[str], code: str, first: str | None, last: str | None
) -> tuple[Figure, int]:
    """A node's figure for one indicator and range, and how many projects report in it."""
    start, end = _quarters(first, last)
    cells = [(c, f) for c, f in counted.items() if c[0] in members and c[1] == code]
    if KINDS[code] == "stock":  # per project and dimension, the latest at or before the end
        latest: dict[tuple[str, str], tuple[Period, Figure]] = {}
        for (project, _, period, dimension), figure in cells:
            p = Period.parse(period)
            if end is not None and end < p:
                continue
            if (project, dimension) not in latest or latest[(project, dimension)][0] < p:
                latest[(project, dimension)] = (p, figure)
        picked = [f for _, f in latest.values()]
        projects = {project for project, _ in latest}
    else:  # flows and ratios: every cell within the range
        inside = [
            (c, f)
            for c, f in cells
            if (start is None or start <= Period.parse(c[2]))
            and (end is None or Period.parse(c[2]) <= end)
        ]
        picked = [f for _, f in inside]
        projects = {c[0] for c, _ in inside}
    total = (
        sum((f[0] for f in picked), Decimal(0)),
        sum((f[1] for f in picked), Decimal(0)),
        sum((f[2] for f in picked), Decimal(0)),
    )
    return total, len(projects)


async def _closure_members(
    registry: httpx.AsyncClient, staff: dict[str, str], tree: Tree
) -> dict[str, set[str]]:
    """Per node, the projects that count in it under the registry's current tree and links."""
    goals = (await registry.get(f"/v1/programmes/{tree.programme}/goals", headers=staff)).json()
    parents: dict[str, str | None] = {}

    def walk(nodes: list[dict[str, Any]], parent: str | None) -> None:
        for node in nodes:
            parents[node["id"]] = parent
            walk(node.get("children", []), node["id"])

    walk(goals, None)
    members: dict[str, set[str]] = defaultdict(set)
    for p in tree.projects:
        project = (await registry.get(f"/v1/projects/{p['id']}", headers=staff)).json()
        members[tree.programme].add(p["id"])
        for goal in project["goal_ids"]:
            cursor: str | None = goal
            while cursor is not None:
                members[cursor].add(p["id"])
                cursor = parents.get(cursor)
    return members


def _shown(aggregate: dict[str, Any] | None) -> Figure:
    total = (aggregate or {}).get("total") or {}
    return (
        Decimal(total.get("value") or 0),
        Decimal(total.get("numerator") or 0),
        Decimal(total.get("denominator") or 0),
    )


async def _differences(
    kpi: httpx.AsyncClient,
    registry: httpx.AsyncClient,
    staff: dict[str, str],
    tree: Tree,
    kpi_db: str,
) -> list[str]:
    reports = await rows(
        kpi_db,
        select(
            *(
                col(c)
                for c in (
                    Report.project_id,
                    Report.indicator_code,
                    Report.period,
                    Report.dimension_key,
                    Report.version,
                    Report.state,
                    Report.value,
                    Report.numerator,
                    Report.denominator,
                )
            )
        ),
    )
    members = await _closure_members(registry, staff, tree)
    problems = []
    for view in ("current", "approved"):
        counted = _counted(reports, view)
        for node in tree.nodes:
            for first, last in RANGES:
                params: dict[str, Any] = {"approved_only": view == "approved"}
                params["programme" if node == tree.programme else "goal"] = node
                params |= {k: v for k, v in (("from", first), ("to", last)) if v}
                answer = await kpi.get("/v1/aggregates", params=params, headers=staff)
                assert answer.status_code == 200, answer.text
                shown = {a["indicator_code"]: a for a in answer.json()}
                for code in KINDS:
                    want, projects = _expected(counted, members[node], code, first, last)
                    got = _shown(shown.get(code))
                    if got != want:
                        problems.append(
                            f"{view} {node[:8]} {code} {first}..{last}: {got} != {want}"
                        )
                    if first is None and last is None and any(want):
                        count = ((shown.get(code) or {}).get("total") or {}).get("projects")
                        if count != projects:
                            problems.append(
                                f"{view} {node[:8]} {code}: {count} projects != {projects}"
                            )
    return problems


async def test_node_totals_equal_a_recomputation_after_restructuring_under_report_traffic(
    platform: tuple[RunningService, RunningService, str], auth: AuthHeaders
) -> None:
    registry, kpi, kpi_db = platform
    staff = auth(Role.ADMIN)
    seed = secrets.randbelow(2**32)
    rng = random.Random(seed)
    tree = await _tree(registry.client, staff)
    lead = await _projects(registry.client, kpi.client, staff, tree)
    partner = await partner_key(kpi.client, staff, lead)

    await asyncio.gather(
        _report_traffic(random.Random(rng.random()), kpi.client, partner, staff, tree),
        _registry_changes(random.Random(rng.random()), registry.client, staff, tree),
    )

    last: list[list[str]] = [[]]

    async def converged() -> bool:
        last[0] = await _differences(kpi.client, registry.client, staff, tree, kpi_db)
        return not last[0]

    try:
        await eventually(converged, timeout_s=90, interval_s=1.0)
    except AssertionError:
        shown = "\n".join(last[0][:40])
        raise AssertionError(f"seed {seed}: {len(last[0])} totals differ:\n{shown}") from None
    assert uuid.UUID(tree.programme)
