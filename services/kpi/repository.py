"""Data access for the KPI service, one repository per concern; no rules here."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import bindparam, delete, func, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Dialect
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import (
    ApiKey,
    CellVersion,
    ContributionLink,
    GoalInput,
    GoalReplica,
    GoalReview,
    IdempotencyRecord,
    IdentifiedVersion,
    Indicator,
    IndicatorDefinition,
    LockException,
    NodeTotal,
    OrganisationReplica,
    OutcomeIndicator,
    OutcomeMeasurement,
    PeriodLock,
    ProgrammeReplica,
    ProgressState,
    ProjectGoalReplica,
    ProjectKpi,
    ProjectMemberReplica,
    ProjectReplica,
    ProjectTotal,
    Report,
    ReportComment,
    TargetState,
)
from shared import audit
from shared.db import (
    PreparedWrite,
    ProcessedEvent,
    as_tuples,
    fetch_rows,
    prepare_rows,
    prepare_upsert,
    table_of,
    table_versions,
    upsert_replace,
)

Key = tuple[uuid.UUID, str]  # (project id, indicator code)


def _upsert_rows(
    dialect: Dialect, model: Any, rows: list[dict[str, Any]], keys: Sequence[str]
) -> PreparedWrite | None:
    """`prepare_upsert` (replacing) of rows given as dicts."""
    return prepare_upsert(dialect, table_of(model), *as_tuples(rows), list(keys))


class VersionRow(NamedTuple):
    """A cell version as the projection reads it (plain rows: thousands per batch)."""

    project_id: uuid.UUID
    indicator_code: str
    period: str
    dimension_key: str
    version: int
    kind: str
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    comment: str | None
    state: str
    flags: Sequence[str] = ()


R = TypeVar("R", bound=tuple[Any, ...])
_KEY = ("project_id", "indicator_code")
_CELL = ("project_id", "indicator_code", "period", "dimension_key")
_TOTAL = ("project_id", "indicator_code", "view", "period_key")


async def _rows_in(
    session: AsyncSession,
    model: Any,
    row_type: type[R],
    key: tuple[str, ...],
    wanted: Iterable[tuple[Any, ...]],
) -> list[R]:
    """Plain rows (no ORM objects: the projection reads thousands a batch) whose key is wanted.

    A row-value IN list costs a bound parameter per key column per key. Instead the keys
    are grouped by their columns after the first two (the period, the view…), and each
    group asks for its first two columns' values and drops the few extra rows here: a
    batch's keys are nearly every project and indicator of a handful of periods. A group
    whose values would combine into many more keys than it has asks for its keys themselves.
    """
    wanted = set(wanted)
    groups: dict[tuple[Any, ...], set[tuple[Any, ...]]] = defaultdict(set)
    for w in wanted:
        groups[w[2:]].add(w)
    rows: list[R] = []
    for tail, keys in groups.items():
        rows += await _group_rows(session, model, row_type, key, tail, keys)
    return rows


async def _group_rows(
    session: AsyncSession,
    model: Any,
    row_type: type[R],
    key: tuple[str, ...],
    tail: tuple[Any, ...],
    wanted: set[tuple[Any, ...]],
) -> list[R]:
    table = model.__table__
    columns = [table.c[name] for name in row_type._fields]  # type: ignore[attr-defined]
    connection = await session.connection()
    fixed = [table.c[name] == value for name, value in zip(key[2:], tail, strict=True)]
    heads = sorted({w[0] for w in wanted})
    seconds = sorted({w[1] for w in wanted}) if len(key) > 1 else []
    rows: list[R] = []
    if len(key) > 1 and len(heads) * len(seconds) <= 2 * len(wanted) + 100:
        key_of = itemgetter(*(row_type._fields.index(name) for name in key))  # type: ignore[attr-defined]
        for start in range(0, len(heads), 500):
            criteria = [
                table.c[key[0]].in_(heads[start : start + 500]),
                table.c[key[1]].in_(seconds),
                *fixed,
            ]
            found = await fetch_rows(connection, sa_select(*columns).where(*criteria), row_type)
            rows += [r for r in found if key_of(r) in wanted]
        return rows
    key_columns = tuple_(*(table.c[name] for name in key))
    listed = list(wanted)
    for start in range(0, len(listed), 500):
        statement = sa_select(*columns).where(key_columns.in_(listed[start : start + 500]))
        rows += await fetch_rows(connection, statement, row_type)
    return rows


_API_KEYS = table_of(ApiKey)
_KEY_OWNERS = sa_select(
    _API_KEYS.c.key_hash, _API_KEYS.c.organisation_id, _API_KEYS.c.revoked_at
).where(_API_KEYS.c.key_hash.in_(bindparam("key_hashes", expanding=True)))


class ProjectFacts(NamedTuple):
    """What intake and the projection need of a project (plain rows: thousands a batch)."""

    id: uuid.UUID
    programme_id: uuid.UUID
    code: str
    start_date: date
    end_date: date


class KpiRule(NamedTuple):
    """How a project reports an indicator: what intake checks each value against."""

    project_id: uuid.UUID
    indicator_code: str
    frequency: str
    dimensions: list[str]
    target_value: Decimal | None


class ReportRow(NamedTuple):
    """A version of a report without an ORM object: the latest of each cell as intake reads
    it, and each new version it writes (a batch makes a thousand). The fields are those of
    `ReportPublic`, in that order, so the row written is also the answer (plus its outcome).
    """

    id: uuid.UUID
    project_id: uuid.UUID
    indicator_code: str
    period: str
    dimension_key: str
    version: int
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    comment: str | None
    source_ref: str | None
    state: str
    organisation_id: uuid.UUID | None
    submitted_by: str
    submitted_at: datetime
    revision_reason: str | None
    review_reason: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    flags: Sequence[str] = ()  # domain.plausibility
    identifiers: Sequence[str] = ()  # keyed hashes (domain.distinct)


def _plain_select(model: Any, row_type: type[R]) -> Any:
    table = model.__table__
    return sa_select(*(table.c[name] for name in row_type._fields))  # type: ignore[attr-defined]


class IndicatorRow(NamedTuple):
    code: str
    name_en: str
    name_nl: str | None
    unit: str
    level: str
    kind: str
    direction: str
    decimals_allowed: bool
    negative_allowed: bool
    eu_code: str | None
    plausible_target_percent: Decimal | None
    plausible_jump_factor: Decimal | None
    counted_once: str | None
    definition_version: int


class ReferenceRepository:
    """Whole tables of reference data, as plain rows, for the per-process cache
    (`services.kpi.reference`), and the version numbers that tell when to read them again."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def versions(self) -> dict[str, int]:
        return await table_versions(self.session)

    async def projects(self) -> list[ProjectFacts]:
        return await self._all(ProjectReplica, ProjectFacts)

    async def members(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        table = table_of(ProjectMemberReplica)
        statement = sa_select(table.c.project_id, table.c.organisation_id)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def goal_parents(self) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
        table = table_of(GoalReplica)
        statement = sa_select(table.c.id, table.c.parent_id)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def project_goals(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        table = table_of(ProjectGoalReplica)
        statement = sa_select(table.c.project_id, table.c.goal_id)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def kpi_rules(self) -> list[KpiRule]:
        return await self._all(ProjectKpi, KpiRule)

    async def indicators(self) -> list[IndicatorRow]:
        return await self._all(Indicator, IndicatorRow)

    async def locks(self) -> list[tuple[uuid.UUID, str]]:
        table = table_of(PeriodLock)
        statement = sa_select(table.c.programme_id, table.c.period)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def lock_exceptions(self) -> list[tuple[uuid.UUID, str]]:
        table = table_of(LockException)
        statement = sa_select(table.c.project_id, table.c.period)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def _all(self, model: Any, row_type: type[R]) -> list[R]:
        connection = await self.session.connection()
        return await fetch_rows(connection, _plain_select(model, row_type), row_type)


def _pair(first: Any, second: Any) -> tuple[Any, Any]:
    return (first, second)


class TargetRow(NamedTuple):
    project_id: uuid.UUID
    indicator_code: str
    kind: str
    direction: str
    baseline_value: Decimal | None
    baseline_year: int | None
    target_value: Decimal | None
    target_date: date | None


class ProgressRow(NamedTuple):
    project_id: uuid.UUID
    indicator_code: str
    realised: Decimal | None
    as_of: date | None
    status: str | None
    approved: Decimal | None
    pending_reports: int
    pending_value: Decimal | None
    flagged_reports: int


class TotalRow(NamedTuple):
    project_id: uuid.UUID
    indicator_code: str
    view: str
    period_key: str
    value: Decimal
    numerator: Decimal
    denominator: Decimal
    projects: int


class NodeTotalRow(NamedTuple):
    """A node total as the read API uses it (plain rows: dashboards poll these)."""

    node_id: uuid.UUID
    indicator_code: str
    view: str
    period_key: str
    value: Decimal
    numerator: Decimal
    denominator: Decimal
    projects: int


class CatalogueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str) -> Indicator | None:
        return await self.session.get(Indicator, code)

    async def many(self, codes: Iterable[str]) -> dict[str, Indicator]:
        result = await self.session.exec(
            select(Indicator).where(col(Indicator.code).in_(set(codes)))
        )
        return {i.code: i for i in result.all()}

    async def definitions(self, code: str) -> list[IndicatorDefinition]:
        """The indicator's definitions, oldest first (none until a change is recorded)."""
        result = await self.session.exec(
            select(IndicatorDefinition)
            .where(IndicatorDefinition.code == code)
            .order_by(col(IndicatorDefinition.version))
        )
        return list(result.all())

    async def redefined(self) -> set[str]:
        """Indicators with a definition recorded since the catalogue shipped them."""
        result = await self.session.exec(select(IndicatorDefinition.code).distinct())
        return set(result.all())

    def add_definition(self, definition: IndicatorDefinition) -> None:
        self.session.add(definition)

    async def all(self) -> list[Indicator]:
        return list(
            (await self.session.exec(select(Indicator).order_by(col(Indicator.code)))).all()
        )

    async def by_eu_code(self) -> dict[str, list[str]]:
        result = await self.session.exec(
            select(Indicator.code, Indicator.eu_code).where(col(Indicator.eu_code).is_not(None))
        )
        grouped: dict[str, list[str]] = {}
        for code, eu_code in result.all():
            grouped.setdefault(str(eu_code), []).append(code)
        return grouped

    async def put(self, rows: list[dict[str, Any]]) -> None:
        await upsert_replace(self.session, table_of(Indicator), rows, ["code"])


class ProjectKpiRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, kpi: ProjectKpi) -> None:
        self.session.add(kpi)

    async def get(self, project_id: uuid.UUID, indicator_code: str) -> ProjectKpi | None:
        return await self.session.get(ProjectKpi, (project_id, indicator_code))

    async def of_project(self, project_id: uuid.UUID) -> list[ProjectKpi]:
        result = await self.session.exec(
            select(ProjectKpi)
            .where(ProjectKpi.project_id == project_id)
            .order_by(col(ProjectKpi.indicator_code))
        )
        return list(result.all())


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.pending: list[dict[str, Any]] = []

    def add_new(self, row: dict[str, Any]) -> None:
        """Queue a new version for the bulk insert at commit."""
        self.pending.append(row)

    def prepare_pending(self, dialect: Dialect) -> list[PreparedWrite | None]:
        """The queued versions' insert, recorded in the audit trail (unit of work commit)."""
        if not self.pending:
            return []
        audit.record(self.session.sync_session, str(table_of(Report).name), self.pending)
        write = prepare_rows(dialect, table_of(Report), self.pending)
        self.pending = []
        return [write]

    def add(self, report: Report) -> None:
        self.session.add(report)

    async def any_for_indicator(self, code: str) -> bool:
        table = table_of(Report)
        statement = sa_select(table.c.id).where(table.c.indicator_code == code).limit(1)
        return (await (await self.session.connection()).execute(statement)).first() is not None

    async def reported_periods(
        self, project_ids: Iterable[uuid.UUID]
    ) -> set[tuple[uuid.UUID, str, str]]:
        """(project, indicator, period) with a version that counts (not returned)."""
        table = table_of(Report)
        statement = (
            sa_select(table.c.project_id, table.c.indicator_code, table.c.period)
            .where(table.c.project_id.in_(set(project_ids)), table.c.state != "returned")
            .distinct()
        )
        result = await (await self.session.connection()).execute(statement)
        return {(p, code, period) for p, code, period in result}

    def add_comment(self, comment: ReportComment) -> None:
        self.session.add(comment)

    async def comments(self, report_id: uuid.UUID) -> list[ReportComment]:
        """A report's thread, oldest first."""
        result = await self.session.exec(
            select(ReportComment)
            .where(ReportComment.report_id == report_id)
            .order_by(col(ReportComment.created_at), col(ReportComment.id))
        )
        return list(result.all())

    async def get(self, report_id: uuid.UUID) -> Report | None:
        return await self.session.get(Report, report_id)

    async def cell_states(
        self, cells: Iterable[tuple[uuid.UUID, str, str, str]]
    ) -> tuple[
        dict[tuple[uuid.UUID, str, str, str], ReportRow], set[tuple[uuid.UUID, str, str, str]]
    ]:
        """The newest version of each (project, indicator, period, dimension) cell, and
        which cells have ever had a version approved."""
        latest: dict[tuple[uuid.UUID, str, str, str], ReportRow] = {}
        approved: set[tuple[uuid.UUID, str, str, str]] = set()
        for r in await _rows_in(self.session, Report, ReportRow, _CELL, cells):
            key = (r.project_id, r.indicator_code, r.period, r.dimension_key)
            if key not in latest or r.version > latest[key].version:
                latest[key] = r
            if r.state == "approved":
                approved.add(key)
        return latest, approved

    async def history(
        self, project_id: uuid.UUID, indicator_code: str | None = None
    ) -> list[Report]:
        query = select(Report).where(Report.project_id == project_id)
        if indicator_code:
            query = query.where(Report.indicator_code == indicator_code)
        result = await self.session.exec(
            query.order_by(
                col(Report.indicator_code),
                col(Report.period),
                col(Report.dimension_key),
                col(Report.version),
            )
        )
        return list(result.all())

    async def last_event_processed_at(self) -> datetime | None:
        result = await self.session.exec(select(func.max(ProcessedEvent.processed_at)))
        found = result.one()
        return found if found is None or found.tzinfo else found.replace(tzinfo=UTC)

    async def queue(
        self, state: str, programme_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[list[Report], int]:
        query = select(Report).where(Report.state == state)
        if programme_id:
            query = query.where(
                col(Report.project_id).in_(
                    select(ProjectReplica.id).where(ProjectReplica.programme_id == programme_id)
                )
            )
        total = (await self.session.exec(select(func.count()).select_from(query.subquery()))).one()
        rows = await self.session.exec(
            query.order_by(col(Report.submitted_at)).limit(limit).offset(offset)
        )
        return list(rows.all()), int(total)


class AccessRepository:
    """API keys, period locks and lock exceptions, idempotency records."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, item: ApiKey | PeriodLock | LockException | IdempotencyRecord) -> None:
        self.session.add(item)

    async def key_owners(
        self, key_hashes: Sequence[str]
    ) -> dict[str, tuple[uuid.UUID, datetime | None]]:
        """Organisation and revocation time per key: asked on every partner request, so
        plain rows through a statement built once."""
        connection = await self.session.connection()
        result = await connection.execute(_KEY_OWNERS, {"key_hashes": list(key_hashes)})
        return {h: (organisation, revoked) for h, organisation, revoked in result}

    async def key(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def keys(self, organisation_id: uuid.UUID | None) -> list[ApiKey]:
        query = select(ApiKey).order_by(col(ApiKey.created_at))
        if organisation_id:
            query = query.where(ApiKey.organisation_id == organisation_id)
        return list((await self.session.exec(query)).all())

    async def lock(self, programme_id: uuid.UUID, period: str) -> PeriodLock | None:
        result = await self.session.exec(
            select(PeriodLock).where(
                PeriodLock.programme_id == programme_id, PeriodLock.period == period
            )
        )
        return result.first()

    async def lock_exception(self, project_id: uuid.UUID, period: str) -> LockException | None:
        return await self.session.get(LockException, (project_id, period))

    async def idempotency(self, principal: str, key: str) -> IdempotencyRecord | None:
        return await self.session.get(IdempotencyRecord, (principal, key))

    async def idempotency_many(
        self, principal: str, keys: Iterable[str]
    ) -> dict[str, IdempotencyRecord]:
        wanted = list(set(keys))
        if not wanted:
            return {}
        result = await self.session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal, col(IdempotencyRecord.key).in_(wanted)
            )
        )
        return {r.key: r for r in result.all()}


class ReplicaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def project(self, project_id: uuid.UUID) -> ProjectReplica | None:
        return await self.session.get(ProjectReplica, project_id)

    async def project_by_code(self, code: str) -> ProjectReplica | None:
        result = await self.session.exec(
            select(ProjectReplica).where(func.lower(ProjectReplica.code) == code.lower())
        )
        return result.first()

    async def projects(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ProjectFacts]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {p.id: p for p in await self._facts(col(ProjectReplica.id).in_(wanted))}

    async def _facts(self, where: Any) -> list[ProjectFacts]:
        connection = await self.session.connection()
        statement = _plain_select(ProjectReplica, ProjectFacts).where(where)
        return await fetch_rows(connection, statement, ProjectFacts)

    async def is_member(self, project_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
        row = await self.session.get(ProjectMemberReplica, (project_id, organisation_id))
        return row is not None

    async def goal_ids(self, project_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
        result = await self.session.exec(
            select(ProjectGoalReplica).where(
                col(ProjectGoalReplica.project_id).in_(set(project_ids))
            )
        )
        grouped: dict[uuid.UUID, set[uuid.UUID]] = {}
        for link in result.all():
            grouped.setdefault(link.project_id, set()).add(link.goal_id)
        return grouped

    async def projects_on_goals(self, goal_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.session.exec(
            select(ProjectGoalReplica.project_id).where(
                col(ProjectGoalReplica.goal_id).in_(set(goal_ids))
            )
        )
        return set(result.all())

    async def goals(self, programme_id: uuid.UUID) -> list[GoalReplica]:
        result = await self.session.exec(
            select(GoalReplica).where(GoalReplica.programme_id == programme_id)
        )
        return list(result.all())

    async def goal(self, goal_id: uuid.UUID) -> GoalReplica | None:
        return await self.session.get(GoalReplica, goal_id)

    async def programme(self, programme_id: uuid.UUID) -> ProgrammeReplica | None:
        return await self.session.get(ProgrammeReplica, programme_id)

    async def node_exists(self, node_id: uuid.UUID) -> bool:
        """A programme or a goal of one: the nodes totals are kept for."""
        return (
            await self.session.get(ProgrammeReplica, node_id) is not None
            or await self.session.get(GoalReplica, node_id) is not None
        )

    async def organisation(self, organisation_id: uuid.UUID) -> OrganisationReplica | None:
        return await self.session.get(OrganisationReplica, organisation_id)

    async def put(
        self, item: ProgrammeReplica | GoalReplica | OrganisationReplica | ProjectReplica
    ) -> None:
        await self.session.merge(item)

    async def replace_project_links(
        self,
        project_id: uuid.UUID,
        members: Sequence[tuple[uuid.UUID, str]],
        goal_ids: Iterable[uuid.UUID],
    ) -> None:
        await self.session.exec(
            delete(ProjectMemberReplica).where(col(ProjectMemberReplica.project_id) == project_id)
        )
        await self.session.exec(
            delete(ProjectGoalReplica).where(col(ProjectGoalReplica.project_id) == project_id)
        )
        self.session.add_all(
            ProjectMemberReplica(project_id=project_id, organisation_id=o, role=r)
            for o, r in members
        )
        self.session.add_all(
            ProjectGoalReplica(project_id=project_id, goal_id=g) for g in set(goal_ids)
        )


_VERSION_KEY = ("project_id", "indicator_code", "period", "dimension_key", "version")
TOTAL_COLUMNS = (*_TOTAL, "value", "numerator", "denominator", "projects")
_TOTAL_KEY = ["project_id", "indicator_code", "view", "period_key"]
_MEASURES = ["value", "numerator", "denominator"]


class ProjectionRepository:
    """The projection's tables. Writes are queued and go in together at commit
    (`prepare_pending`): a projection batch then holds SQLite's one write lock for its writes
    only, not while it reads and computes (intake waited up to a batch's whole length).
    Reads of cell versions and targets include what the transaction has queued."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._reset()

    def _reset(self) -> None:
        self._versions: dict[tuple[Any, ...], VersionRow] = {}
        self._targets: dict[Key, TargetRow] = {}
        self._replaced_totals: list[dict[str, Any]] = []
        self._removed_totals: list[tuple[uuid.UUID, str, str, str]] = []
        self._added_project_totals: list[tuple[Any, ...]] = []  # in TOTAL_COLUMNS order
        self._added_node_totals: list[dict[str, Any]] = []
        self._progress: dict[Key, dict[str, Any]] = {}
        self._identified: dict[tuple[Any, ...], dict[str, Any]] = {}

    def prepare_pending(self, dialect: Dialect) -> list[PreparedWrite | None]:
        """Every queued write, in an order in which none undoes another (the unit of work
        runs them at commit). Projection tables are derived data, outside the audit trail."""
        node_key, node_add = ["node_id", *_TOTAL_KEY[1:]], [*_MEASURES, "projects"]
        node_names, node_rows = as_tuples(self._added_node_totals)
        writes = [
            _upsert_rows(dialect, TargetState, [t._asdict() for t in self._targets.values()], _KEY),
            prepare_upsert(
                dialect,
                table_of(CellVersion),
                VersionRow._fields,
                list(self._versions.values()),
                list(_VERSION_KEY),
            ),
            _upsert_rows(dialect, ProjectTotal, self._replaced_totals, _TOTAL_KEY),
            *self._total_removals(self._removed_totals),
            prepare_upsert(
                dialect,
                table_of(ProjectTotal),
                TOTAL_COLUMNS,
                self._added_project_totals,
                _TOTAL_KEY,
                add=_MEASURES,
            ),
            prepare_upsert(
                dialect, table_of(NodeTotal), node_names, node_rows, node_key, add=node_add
            ),
            _upsert_rows(dialect, ProgressState, list(self._progress.values()), _KEY),
            _upsert_rows(dialect, IdentifiedVersion, list(self._identified.values()), _VERSION_KEY),
        ]
        self._reset()
        return writes

    def put_identified(self, version: VersionRow, hashes: Sequence[str]) -> None:
        """The hashes a version listed (domain.distinct); only versions that list any."""
        self._identified[version[:5]] = {
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
        for row in rows:
            self._versions[row[:5]] = row  # _VERSION_KEY

    def _queued_versions(self, wanted: Any) -> list[VersionRow]:
        return [row for key, row in self._versions.items() if wanted(key)]

    async def versions(self, keys: Iterable[Key]) -> dict[Key, list[VersionRow]]:
        grouped: dict[Key, dict[tuple[Any, ...], VersionRow]] = {k: {} for k in set(keys)}
        stored = await _rows_in(self.session, CellVersion, VersionRow, _KEY, grouped)
        for v in [*stored, *self._queued_versions(lambda k: k[:2] in grouped)]:
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
        for v in [*stored, *self._queued_versions(lambda k: k[:4] in wanted)]:
            grouped.setdefault(v[:4], {})[v[:5]] = v
        return {cell: list(vs.values()) for cell, vs in grouped.items()}

    async def totals_at(self, totals: Iterable[tuple[uuid.UUID, str, str, str]]) -> list[TotalRow]:
        """The stored project totals at exactly these (project, indicator, view, period) keys,
        as stored before this transaction."""
        return await _rows_in(self.session, ProjectTotal, TotalRow, _TOTAL, set(totals))

    def add_to_project_totals(self, rows: list[tuple[Any, ...]]) -> None:
        """Rows in TOTAL_COLUMNS order, each a difference to add."""
        self._added_project_totals += rows

    def write_project_totals(
        self, upserts: list[dict[str, Any]], removals: list[tuple[uuid.UUID, str, str, str]]
    ) -> None:
        self._replaced_totals += upserts
        self._removed_totals += removals

    @staticmethod
    def _total_removals(removals: list[tuple[uuid.UUID, str, str, str]]) -> list[PreparedWrite]:
        table = table_of(ProjectTotal)
        key = tuple_(*(table.c[c] for c in _TOTAL_KEY))
        return [
            PreparedWrite(delete(table).where(key.in_(removals[start : start + 500])), None, None)
            for start in range(0, len(removals), 500)
        ]

    def add_to_node_totals(self, rows: list[dict[str, Any]]) -> None:
        self._added_node_totals += rows

    async def targets(self, keys: Iterable[Key]) -> dict[Key, TargetRow]:
        wanted = set(keys)
        rows = await _rows_in(self.session, TargetState, TargetRow, _KEY, wanted)
        found = {(t.project_id, t.indicator_code): t for t in rows}
        found.update((k, t) for k, t in self._targets.items() if k in wanted)
        return found

    def put_target(self, target: TargetRow) -> None:
        self._targets[(target.project_id, target.indicator_code)] = target

    async def realised(self, keys: Iterable[Key]) -> dict[Key, Decimal | None]:
        """Each key's realised value to date, as the projection last counted it."""
        return {k: p.realised for k, p in (await self.progress(keys)).items()}

    async def progress(self, keys: Iterable[Key]) -> dict[Key, ProgressRow]:
        rows = await _rows_in(self.session, ProgressState, ProgressRow, _KEY, keys)
        return {(p.project_id, p.indicator_code): p for p in rows}

    def put_progress(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._progress[(row["project_id"], row["indicator_code"])] = row


class TotalsRepository:
    """Reads of the projection's totals (the read API never recomputes them)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def node_totals(
        self, node_id: uuid.UUID, view: str, indicator_code: str | None
    ) -> list[NodeTotalRow]:
        table = table_of(NodeTotal)
        query = _plain_select(NodeTotal, NodeTotalRow).where(
            table.c.node_id == node_id, table.c.view == view
        )
        if indicator_code:
            query = query.where(table.c.indicator_code == indicator_code)
        return await fetch_rows(await self.session.connection(), query, NodeTotalRow)

    async def node_all_totals(
        self, node_id: uuid.UUID, view: str, codes: Sequence[str]
    ) -> list[NodeTotal]:
        result = await self.session.exec(
            select(NodeTotal).where(
                NodeTotal.node_id == node_id,
                NodeTotal.view == view,
                NodeTotal.period_key == "all",
                col(NodeTotal.indicator_code).in_(codes),
            )
        )
        return list(result.all())

    async def project_totals(self, project_id: uuid.UUID, view: str) -> list[ProjectTotal]:
        result = await self.session.exec(
            select(ProjectTotal).where(
                ProjectTotal.project_id == project_id, ProjectTotal.view == view
            )
        )
        return list(result.all())

    async def progress(self, project_id: uuid.UUID) -> dict[str, ProgressState]:
        result = await self.session.exec(
            select(ProgressState).where(ProgressState.project_id == project_id)
        )
        return {p.indicator_code: p for p in result.all()}

    async def texts(
        self, project_id: uuid.UUID
    ) -> dict[str, list[tuple[str, str, int, str | None, str]]]:
        """Per indicator: (period, dimension, version, comment, state) of every version."""
        result = await self.session.exec(
            select(CellVersion).where(
                CellVersion.project_id == project_id, CellVersion.kind == "qualitative"
            )
        )
        grouped: dict[str, list[tuple[str, str, int, str | None, str]]] = {}
        for v in result.all():
            grouped.setdefault(v.indicator_code, []).append(
                (v.period, v.dimension_key, v.version, v.comment, v.state)
            )
        return grouped


class ChainRepository:
    """The results chain: outcome indicators, measurements, links, reviews, money per goal."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self, item: OutcomeIndicator | OutcomeMeasurement | ContributionLink | GoalReview
    ) -> None:
        self.session.add(item)

    async def outcome(self, outcome_id: uuid.UUID) -> OutcomeIndicator | None:
        return await self.session.get(OutcomeIndicator, outcome_id)

    async def outcome_by_code(self, programme_id: uuid.UUID, code: str) -> OutcomeIndicator | None:
        result = await self.session.exec(
            select(OutcomeIndicator).where(
                OutcomeIndicator.programme_id == programme_id, OutcomeIndicator.code == code
            )
        )
        return result.first()

    async def outcomes_of(self, goal_ids: Iterable[uuid.UUID]) -> list[OutcomeIndicator]:
        result = await self.session.exec(
            select(OutcomeIndicator)
            .where(col(OutcomeIndicator.goal_id).in_(set(goal_ids)))
            .order_by(col(OutcomeIndicator.code))
        )
        return list(result.all())

    async def outcomes_by_codes(
        self, programme_id: uuid.UUID, codes: Iterable[str]
    ) -> dict[str, OutcomeIndicator]:
        result = await self.session.exec(
            select(OutcomeIndicator).where(
                OutcomeIndicator.programme_id == programme_id,
                col(OutcomeIndicator.code).in_(set(codes)),
            )
        )
        return {o.code: o for o in result.all()}

    async def measurements(self, outcome_ids: Iterable[uuid.UUID]) -> list[OutcomeMeasurement]:
        result = await self.session.exec(
            select(OutcomeMeasurement)
            .where(col(OutcomeMeasurement.outcome_id).in_(set(outcome_ids)))
            .order_by(
                col(OutcomeMeasurement.period),
                col(OutcomeMeasurement.published_on),
                col(OutcomeMeasurement.revision),
            )
        )
        return list(result.all())

    async def last_revision(self, outcome_id: uuid.UUID, period: str) -> int:
        result = await self.session.exec(
            select(func.max(OutcomeMeasurement.revision)).where(
                OutcomeMeasurement.outcome_id == outcome_id, OutcomeMeasurement.period == period
            )
        )
        return int(result.one() or 0)

    async def links(self, goal_id: uuid.UUID) -> list[ContributionLink]:
        result = await self.session.exec(
            select(ContributionLink)
            .where(ContributionLink.goal_id == goal_id)
            .order_by(col(ContributionLink.output_indicator))
        )
        return list(result.all())

    async def link(
        self, goal_id: uuid.UUID, output_indicator: str, outcome_id: uuid.UUID
    ) -> ContributionLink | None:
        return await self.session.get(ContributionLink, (goal_id, output_indicator, outcome_id))

    async def reviews(self, goal_id: uuid.UUID) -> list[GoalReview]:
        result = await self.session.exec(
            select(GoalReview)
            .where(GoalReview.goal_id == goal_id)
            .order_by(col(GoalReview.reviewed_at), col(GoalReview.id))
        )
        return list(result.all())

    async def inputs(self, goal_id: uuid.UUID) -> list[GoalInput]:
        result = await self.session.exec(
            select(GoalInput).where(GoalInput.goal_id == goal_id).order_by(col(GoalInput.fund))
        )
        return list(result.all())

    async def put_input(self, row: GoalInput) -> None:
        table = table_of(GoalInput)
        await upsert_replace(self.session, table, [row.model_dump()], ["goal_id", "fund"])
