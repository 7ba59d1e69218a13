"""Reference data: what every report is checked against, kept in memory per process.

Projects, their members, KPI declarations, the indicator catalogue and period locks change
a few times a day; reports arrive by the thousand. Reading them for every request cost a
batch of a thousand reports about a fifth of its time (a round trip and an IN list of
hundreds of ids per table). Instead each request reads the tables' version numbers — one
small query; triggers raise a table's number on every insert, update and delete (migration
0005) — and a table is read again only when its number moved. A change therefore applies
from the next request on, on every instance, whichever path wrote it.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from services.kpi.domain.distinct import CountedOnce
from services.kpi.domain.indicators import Direction, Indicator, IndicatorKind, Level
from services.kpi.models import Indicator as IndicatorModel
from services.kpi.repository import IndicatorRow, Key, KpiRule, ProjectFacts, ReferenceRepository


@dataclass(frozen=True)
class Reference:
    """One consistent view of the reference data (each part as of its table's version)."""

    projects: dict[str, ProjectFacts]  # by id (as text) and by lower-case code
    projects_by_id: dict[uuid.UUID, ProjectFacts]
    members: frozenset[tuple[uuid.UUID, uuid.UUID]]  # (project, organisation)
    goal_parents: dict[uuid.UUID, uuid.UUID | None]
    project_goals: dict[uuid.UUID, frozenset[uuid.UUID]]
    kpis: dict[Key, KpiRule]
    indicators: dict[str, Indicator]
    locks: frozenset[tuple[uuid.UUID, str]]  # (programme, period)
    exceptions: frozenset[tuple[uuid.UUID, str]]  # (project, period)

    def project(self, ref: str) -> ProjectFacts | None:
        """A project by its id or its code (any case)."""
        return self.projects.get(ref) or self.projects.get(ref.lower())

    def projects_among(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ProjectFacts]:
        return {i: p for i in ids if (p := self.projects_by_id.get(i)) is not None}

    def nodes_of(self, project_id: uuid.UUID, programme_id: uuid.UUID) -> set[uuid.UUID]:
        """Every node a project counts in: its goals, their ancestors, its programme."""
        nodes = {programme_id}
        for goal in self.project_goals.get(project_id, ()):
            cursor: uuid.UUID | None = goal
            while cursor is not None and cursor not in nodes:
                nodes.add(cursor)
                cursor = self.goal_parents.get(cursor)
        return nodes


def _projects(rows: list[ProjectFacts]) -> dict[str, ProjectFacts]:
    by_ref: dict[str, ProjectFacts] = {}
    for p in rows:
        by_ref[p.code.lower()] = p
        by_ref[str(p.id)] = p
    return by_ref


def indicator_of(row: IndicatorRow | IndicatorModel) -> Indicator:
    """A catalogue row as the domain's indicator."""
    return Indicator(
        code=row.code,
        name_en=row.name_en,
        name_nl=row.name_nl,
        unit=row.unit,
        level=Level(row.level),
        kind=IndicatorKind(row.kind),
        direction=Direction(row.direction),
        decimals_allowed=row.decimals_allowed,
        negative_allowed=row.negative_allowed,
        eu_code=row.eu_code,
        plausible_target_percent=row.plausible_target_percent,
        plausible_jump_factor=row.plausible_jump_factor,
        counted_once=CountedOnce(row.counted_once) if row.counted_once else None,
        definition_version=row.definition_version,
    )


Loader = Callable[[ReferenceRepository], Awaitable[Any]]


async def _load_projects(
    repo: ReferenceRepository,
) -> tuple[dict[str, ProjectFacts], dict[uuid.UUID, ProjectFacts]]:
    rows = await repo.projects()
    return _projects(rows), {p.id: p for p in rows}


async def _load_members(repo: ReferenceRepository) -> frozenset[tuple[uuid.UUID, uuid.UUID]]:
    return frozenset(await repo.members())


async def _load_goal_parents(repo: ReferenceRepository) -> dict[uuid.UUID, uuid.UUID | None]:
    return dict(await repo.goal_parents())


async def _load_project_goals(repo: ReferenceRepository) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    goals: dict[uuid.UUID, set[uuid.UUID]] = {}
    for project_id, goal_id in await repo.project_goals():
        goals.setdefault(project_id, set()).add(goal_id)
    return {project_id: frozenset(ids) for project_id, ids in goals.items()}


async def _load_kpis(repo: ReferenceRepository) -> dict[Key, KpiRule]:
    return {(r.project_id, r.indicator_code): r for r in await repo.kpi_rules()}


async def _load_indicators(repo: ReferenceRepository) -> dict[str, Indicator]:
    return {r.code: indicator_of(r) for r in await repo.indicators()}


async def _load_locks(repo: ReferenceRepository) -> frozenset[tuple[uuid.UUID, str]]:
    return frozenset(await repo.locks())


async def _load_exceptions(repo: ReferenceRepository) -> frozenset[tuple[uuid.UUID, str]]:
    return frozenset(await repo.lock_exceptions())


# Each table the cache holds, and how it is read; migration 0005 versions exactly these.
LOADERS: dict[str, Loader] = {
    "replica_projects": _load_projects,
    "replica_project_members": _load_members,
    "replica_goals": _load_goal_parents,
    "replica_project_goals": _load_project_goals,
    "project_kpis": _load_kpis,
    "indicators": _load_indicators,
    "period_locks": _load_locks,
    "lock_exceptions": _load_exceptions,
}


class ReferenceCache:
    """The reference data of one process, read again table by table as versions move."""

    def __init__(self) -> None:
        self._versions: dict[str, int | None] = {}
        self._parts: dict[str, Any] = {}
        self._reloading = asyncio.Lock()

    async def current(self, repo: ReferenceRepository) -> Reference:
        """As of the versions the database reports now, in the caller's transaction."""
        versions = await repo.versions()
        if not all(self._fresh(t, versions) for t in LOADERS):
            async with self._reloading:  # concurrent requests read a changed table once
                for table, load in LOADERS.items():
                    if not self._fresh(table, versions):
                        self._parts[table] = await load(repo)
                        self._versions[table] = versions.get(table)
        p = self._parts
        return Reference(
            projects=p["replica_projects"][0],
            projects_by_id=p["replica_projects"][1],
            members=p["replica_project_members"],
            goal_parents=p["replica_goals"],
            project_goals=p["replica_project_goals"],
            kpis=p["project_kpis"],
            indicators=p["indicators"],
            locks=p["period_locks"],
            exceptions=p["lock_exceptions"],
        )

    def _fresh(self, table: str, versions: dict[str, int]) -> bool:
        """Held and unchanged; a table without a version number is read every time."""
        version = versions.get(table)
        return version is not None and table in self._parts and self._versions[table] == version
