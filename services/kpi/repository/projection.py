"""The aggregation projection's tables: writes queued to commit (shared.pending), reads that
include them."""

import uuid
from collections.abc import Callable, Iterable, Sequence, Set
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Dialect
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import (
    CellVersion,
    IdentifiedVersion,
    NodeTotal,
    ProgressState,
    ProjectTotal,
    TargetState,
)
from services.kpi.repository.rows import (
    _CELL,
    _KEY,
    _MEASURES,
    _TOTAL,
    _TOTAL_KEY,
    _VERSION_KEY,
    Key,
    ProgressRow,
    TargetRow,
    TotalRow,
    VersionRow,
    _rows_in,
    _upsert_rows,
)
from shared.db import (
    PreparedWrite,
    as_tuples,
    prepare_upsert,
    table_of,
)
from shared.pending import PendingWrites


class ProjectionWrites:
    """The projection's queued writes, registered with the unit of work's pending writes
    (shared.pending), which prepares them at commit: a projection batch then holds
    SQLite's one write lock for its writes only, not while it reads and computes (intake
    waited up to a batch's whole length). Projection tables are derived data, outside the
    audit trail."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.versions: dict[tuple[Any, ...], VersionRow] = {}  # by _VERSION_KEY
        self.targets: dict[Key, TargetRow] = {}
        self.replaced_totals: list[dict[str, Any]] = []
        self.removed_totals: list[tuple[uuid.UUID, str, str, str]] = []
        self.added_project_totals: list[TotalRow] = []
        self.added_node_totals: list[dict[str, Any]] = []
        self.progress: dict[Key, dict[str, Any]] = {}
        self.identified: dict[tuple[Any, ...], dict[str, Any]] = {}

    def prepare(self, dialect: Dialect) -> list[PreparedWrite | None]:
        """Every queued write, in an order in which none undoes another."""
        node_key, node_add = ["node_id", *_TOTAL_KEY[1:]], [*_MEASURES, "projects"]
        node_names, node_rows = as_tuples(self.added_node_totals)
        return [
            _upsert_rows(dialect, TargetState, [t._asdict() for t in self.targets.values()], _KEY),
            prepare_upsert(
                dialect,
                table_of(CellVersion),
                VersionRow._fields,
                list(self.versions.values()),
                list(_VERSION_KEY),
            ),
            _upsert_rows(dialect, ProjectTotal, self.replaced_totals, _TOTAL_KEY),
            *_total_removals(self.removed_totals),
            prepare_upsert(
                dialect,
                table_of(ProjectTotal),
                TotalRow._fields,
                self.added_project_totals,
                _TOTAL_KEY,
                add=_MEASURES,
            ),
            prepare_upsert(
                dialect, table_of(NodeTotal), node_names, node_rows, node_key, add=node_add
            ),
            _upsert_rows(dialect, ProgressState, list(self.progress.values()), _KEY),
            _upsert_rows(dialect, IdentifiedVersion, list(self.identified.values()), _VERSION_KEY),
        ]

    def versions_where(self, wanted: Callable[[tuple[Any, ...]], bool]) -> list[VersionRow]:
        """The queued cell versions whose key (_VERSION_KEY) is `wanted`."""
        return [row for key, row in self.versions.items() if wanted(key)]


def _total_removals(removals: list[tuple[uuid.UUID, str, str, str]]) -> list[PreparedWrite]:
    table = table_of(ProjectTotal)
    key = tuple_(*(table.c[c] for c in _TOTAL_KEY))
    return [
        PreparedWrite(delete(table).where(key.in_(removals[start : start + 500])), None, None)
        for start in range(0, len(removals), 500)
    ]


class ProjectionRepository:
    """The projection's tables. Writes are queued (`ProjectionWrites`) and go in at commit;
    reads of cell versions and targets include what this transaction has queued (the
    projection reads its own writes, as it would read flushed rows); reads change nothing
    queued."""

    def __init__(self, session: AsyncSession, pending: PendingWrites) -> None:
        self.session = session
        self._queued = pending.register(ProjectionWrites())

    def put_identified(self, version: VersionRow, hashes: Sequence[str]) -> None:
        """The hashes a version listed (domain.distinct); only versions that list any."""
        self._queued.identified[version[:5]] = {
            **dict(zip(_VERSION_KEY, version[:5], strict=True)),
            "hashes": list(hashes),
        }

    async def identified(
        self, indicator_code: str, project_ids: Set[uuid.UUID]
    ) -> dict[tuple[uuid.UUID, str, str, str], dict[int, list[str]]]:
        """Per cell of these projects: the hashes each of its identified versions listed."""
        table = table_of(IdentifiedVersion)
        statement = sa_select(*(table.c[k] for k in _VERSION_KEY), table.c.hashes).where(
            table.c.indicator_code == indicator_code
        )
        found: dict[tuple[uuid.UUID, str, str, str], dict[int, list[str]]] = {}
        for *key, version, hashes in await (await self.session.connection()).execute(statement):
            if key[0] in project_ids:
                found.setdefault(tuple(key), {})[version] = list(hashes)
        return found

    def put_versions(self, rows: Iterable[VersionRow]) -> None:
        versions = self._queued.versions
        for row in rows:
            versions[row[:5]] = row  # _VERSION_KEY

    async def versions(self, keys: Iterable[Key]) -> dict[Key, list[VersionRow]]:
        grouped: dict[Key, dict[tuple[Any, ...], VersionRow]] = {k: {} for k in set(keys)}
        stored = await _rows_in(self.session, CellVersion, VersionRow, _KEY, grouped)
        for v in [*stored, *self._queued.versions_where(lambda k: k[:2] in grouped)]:
            grouped[(v.project_id, v.indicator_code)][v[:5]] = v
        return {k: list(vs.values()) for k, vs in grouped.items()}

    async def keys_of_projects(self, project_ids: Iterable[uuid.UUID]) -> set[Key]:
        result = await self.session.exec(
            select(CellVersion.project_id, CellVersion.indicator_code)
            .where(col(CellVersion.project_id).in_(set(project_ids)))
            .distinct()
        )
        keys = set(result.all())
        targets = await self.session.exec(
            select(TargetState.project_id, TargetState.indicator_code).where(
                col(TargetState.project_id).in_(set(project_ids))
            )
        )
        return keys | set(targets.all())

    async def project_totals(self, keys: Iterable[Key]) -> list[TotalRow]:
        """As stored before this transaction (its own changes are still queued)."""
        return await _rows_in(self.session, ProjectTotal, TotalRow, _KEY, set(keys))

    async def cell_versions(
        self, cells: Iterable[tuple[uuid.UUID, str, str, str]]
    ) -> dict[tuple[uuid.UUID, str, str, str], list[VersionRow]]:
        wanted = set(cells)
        grouped: dict[tuple[uuid.UUID, str, str, str], dict[tuple[Any, ...], VersionRow]] = {}
        stored = await _rows_in(self.session, CellVersion, VersionRow, _CELL, wanted)
        for v in [*stored, *self._queued.versions_where(lambda k: k[:4] in wanted)]:
            grouped.setdefault(v[:4], {})[v[:5]] = v
        return {cell: list(vs.values()) for cell, vs in grouped.items()}

    async def totals_at(self, totals: Iterable[tuple[uuid.UUID, str, str, str]]) -> list[TotalRow]:
        """The stored project totals at exactly these (project, indicator, view, period) keys,
        as stored before this transaction."""
        return await _rows_in(self.session, ProjectTotal, TotalRow, _TOTAL, set(totals))

    def add_to_project_totals(self, rows: list[TotalRow]) -> None:
        """Each row a difference to add to the stored total at its key."""
        self._queued.added_project_totals += rows

    def write_project_totals(
        self, upserts: list[dict[str, Any]], removals: list[tuple[uuid.UUID, str, str, str]]
    ) -> None:
        self._queued.replaced_totals += upserts
        self._queued.removed_totals += removals

    def add_to_node_totals(self, rows: list[dict[str, Any]]) -> None:
        self._queued.added_node_totals += rows

    async def targets(self, keys: Iterable[Key]) -> dict[Key, TargetRow]:
        wanted = set(keys)
        rows = await _rows_in(self.session, TargetState, TargetRow, _KEY, wanted)
        found = {(t.project_id, t.indicator_code): t for t in rows}
        found.update((k, t) for k, t in self._queued.targets.items() if k in wanted)
        return found

    def put_target(self, target: TargetRow) -> None:
        self._queued.targets[(target.project_id, target.indicator_code)] = target

    async def realised(self, keys: Iterable[Key]) -> dict[Key, Decimal | None]:
        """Each key's realised value to date, as the projection last counted it."""
        return {k: p.realised for k, p in (await self.progress(keys)).items()}

    async def progress(self, keys: Iterable[Key]) -> dict[Key, ProgressRow]:
        rows = await _rows_in(self.session, ProgressState, ProgressRow, _KEY, keys)
        return {(p.project_id, p.indicator_code): p for p in rows}

    def put_progress(self, rows: list[dict[str, Any]]) -> None:
        progress = self._queued.progress
        for row in rows:
            progress[(row["project_id"], row["indicator_code"])] = row
