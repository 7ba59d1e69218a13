"""The plain rows the KPI repositories read and write (no ORM objects: the projection
moves thousands a batch), and the helpers that read them."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import select as sa_select
from sqlalchemy import tuple_
from sqlalchemy.engine import Dialect
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import (
    PreparedWrite,
    as_tuples,
    fetch_rows,
    prepare_upsert,
    table_of,
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


_VERSION_KEY = ("project_id", "indicator_code", "period", "dimension_key", "version")
_TOTAL_KEY = ["project_id", "indicator_code", "view", "period_key"]
_MEASURES = ["value", "numerator", "denominator"]
