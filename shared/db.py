"""Database plumbing: engines, the platform's own tables (outbox, inbox), readiness.

SQLite (aiosqlite) serves the embedded default, PostgreSQL (asyncpg) production
and tests. Each service has its own SQLModel registry, so one process can hold
several services' models without one service's tables leaking into another's
database; the platform tables live in a registry of their own that every
service's migrations include.
"""

import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    BigInteger,
    Executable,
    Index,
    Insert,
    Integer,
    Select,
    Table,
    TypeDecorator,
    event,
    insert,
    text,
    tuple_,
    type_coerce,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import registry
from sqlalchemy.types import NullType
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import audit
from shared.sqlite import WRITE_INTENT, begin_transaction, is_sqlite, sqlite_pragmas

R = TypeVar("R")


def utcnow() -> datetime:
    return datetime.now(UTC)


class PlatformBase(SQLModel, registry=registry()):
    """Tables that every service database holds, owned by the platform library."""


class OutboxMessage(PlatformBase, table=True):
    """An event written in the same transaction as the change it announces."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "id"),)

    # BIGINT on PostgreSQL; SQLite only autoincrements a plain INTEGER primary key.
    id: int | None = Field(
        default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    event_id: str = Field(max_length=64, unique=True)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    type: str = Field(max_length=200)
    source: str = Field(max_length=200)
    subject: str = Field(max_length=200)
    time: datetime
    data: str
    traceparent: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None)


class ProcessedEvent(PlatformBase, table=True):
    """The inbox: which consumer has applied which event, committed with the effects."""

    __tablename__ = "processed_events"

    consumer: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=64)
    processed_at: datetime = Field(default_factory=utcnow)


class AuditEntry(PlatformBase, table=True):
    """The audit trail (shared.audit): one committed command of a member of staff or a
    partner — who, when, which request, and every row it changed — chained by hash."""

    __tablename__ = "audit_log"

    seq: int = Field(
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
        sa_column_kwargs={"autoincrement": False},
    )
    at: str = Field(max_length=40)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=300)
    changes: str
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class TableVersion(PlatformBase, table=True):
    """How often a table has changed: raised by triggers (`shared.migrations.
    create_table_versions`) in the databases of services that cache tables in memory."""

    __tablename__ = "table_versions"

    table_name: str = Field(primary_key=True, max_length=64)
    version: int = Field(sa_type=BigInteger)


async def table_versions(session: AsyncSession) -> dict[str, int]:
    """Every versioned table's version number, in one round trip."""
    connection = await session.connection()
    versions = table_of(TableVersion)
    result = await connection.execute(sa_select(versions.c.table_name, versions.c.version))
    return {name: int(version) for name, version in result}


def is_database_outage(exc: BaseException) -> bool:
    """The database (or the way to it) is away, as opposed to a bad statement or bad data:
    the request may be retried later, the event is not poison."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, ConnectionError | OSError | TimeoutError)


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """An async engine; SQLite gets WAL and foreign keys, PostgreSQL a bounded pool."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        sync_engine: Engine = engine.sync_engine
        event.listen(sync_engine, "connect", sqlite_pragmas)
        event.listen(sync_engine, "begin", begin_transaction)
        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_timeout=5
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


_WRITERS: "weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine]" = weakref.WeakKeyDictionary()


def writing(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool), for transactions that will write: on SQLite they begin
    by taking the write lock (`shared.sqlite.begin_transaction`); PostgreSQL ignores it."""
    found = _WRITERS.get(engine)
    if found is None:
        found = _WRITERS[engine] = engine.execution_options(**{WRITE_INTENT: True})
    return found


async def advisory_locks(session: AsyncSession, names: Iterable[str], shared: bool) -> None:
    """PostgreSQL: hold a lock per name until the transaction ends, taken in name order (two
    transactions asking for the same names cannot deadlock). A shared lock excludes only
    the exclusive holders of the name."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    statement = text(f"SELECT {function}(hashtextextended(:name, 0))")
    connection = await session.connection()
    for name in sorted(set(names)):
        await connection.execute(statement, {"name": name})


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


class FixedDecimal(TypeDecorator[Decimal]):
    """Exact decimals as scaled integers (micro-units), the same on SQLite and PostgreSQL.

    SQL can then add them (`total = total + delta` in an upsert) exactly on both
    databases, which NUMERIC on SQLite cannot. Six decimals, up to ±9.2 trillion.
    """

    impl = BigInteger
    cache_ok = True
    SCALE = Decimal(10) ** 6

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * self.SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than 6 decimals")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(int(value)) / self.SCALE


@dataclass(frozen=True)
class _Compiled:
    """A statement compiled for one dialect and one set of given columns, with the bind
    processor of each positional parameter; `sql` None: take SQLAlchemy's own path."""

    statement: Insert
    sql: str | None
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


_COMPILED: dict[tuple[Hashable, ...], _Compiled] = {}


def _compiled(
    build: Callable[[], Insert], key: Hashable, dialect: Dialect, given: tuple[str, ...]
) -> _Compiled:
    """Compiled once per process (compiling an upsert costs about a millisecond)."""
    cache_key = (key, dialect.name, dialect.driver, given)
    found = _COMPILED.get(cache_key)
    if found is not None:
        return found
    statement = build()
    compiled = statement.compile(dialect=dialect, column_keys=list(given))
    names = compiled.positiontup
    if names is None or compiled.insert_prefetch or any(n not in given for n in names):
        found = _Compiled(statement, None, (), ())
    else:
        found = _Compiled(
            statement,
            compiled.string,
            tuple(names),
            tuple(
                compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
            ),
        )
    _COMPILED[cache_key] = found
    return found


def as_tuples(rows: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """The first row's column names, and every row's values in that order (none: none)."""
    if not rows:
        return (), []
    names = tuple(rows[0])
    if len(names) == 1:
        return names, [(r[names[0]],) for r in rows]
    values = itemgetter(*names)
    return names, [values(r) for r in rows]


class PreparedWrite(NamedTuple):
    """A bulk statement with its parameters already processed for the driver.

    Running it (`run_writes`) is the SQL alone. A unit of work prepares all its queued
    writes before the first: SQLite has one write lock per database, taken at a
    transaction's first write and held to its commit, and the API and the worker both
    waited on the other's Python work done while holding it (ADR 22)."""

    statement: Executable
    sql: str | None  # None: the statement's own path, with `params` as dicts (or none)
    params: list[Any] | None


def prepare_tuples(
    dialect: Dialect,
    build: Callable[[], Insert],
    key: Hashable,
    names: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
) -> PreparedWrite | None:
    """An INSERT (or upsert, `build()`, known by `key`) of `rows`, prepared as SQLAlchemy
    would, but cheaper; None for no rows.

    SQLAlchemy builds a parameter dictionary and runs each type's bind processor per row
    and value; for the thousands of rows of a batch of reports or a projection batch that
    cost as much as the database itself. Here the statement is compiled once per
    process, each column's values go through that same bind processor a column at a time,
    each distinct value once (a batch repeats its project, organisation, time and value
    over and over), and the driver gets plain tuples. Statements whose defaults
    SQLAlchemy would have to compute per row take the ordinary path.
    """
    if not rows:
        return None
    compiled = _compiled(build, key, dialect, names)
    if compiled.sql is None:
        return PreparedWrite(
            compiled.statement, None, [dict(zip(names, r, strict=True)) for r in rows]
        )
    by_name = dict(zip(names, zip(*rows, strict=True), strict=True))
    columns = [
        list(by_name[name]) if process is None else _each_distinct_once(by_name[name], process)
        for name, process in zip(compiled.names, compiled.processors, strict=True)
    ]
    return PreparedWrite(compiled.statement, compiled.sql, list(zip(*columns, strict=True)))


def prepare_rows(
    dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]]
) -> PreparedWrite | None:
    """`prepare_tuples` of a plain INSERT of `rows` (dicts with the same keys)."""
    names, tuples = as_tuples(rows)
    return prepare_tuples(dialect, lambda: insert(table), ("insert", table), names, tuples)


async def run_writes(connection: AsyncConnection, writes: Iterable[PreparedWrite | None]) -> None:
    """Run prepared writes in order, back to back."""
    for write in writes:
        if write is None:
            continue
        if write.sql is not None:
            await connection.exec_driver_sql(write.sql, write.params)
        elif write.params is None:
            await connection.execute(write.statement)
        else:
            await connection.execute(write.statement, write.params)


_MISSING = object()


def _each_distinct_once(
    values: Sequence[Any], process: Callable[[Any], Any], share: bool = True
) -> list[Any]:
    """`process` applied to every value, computed once per distinct value.

    An aware datetime equals the same instant in another zone, so those are told apart by
    their offset; unhashable values are processed each time; with `share` off, a result
    that can be changed in place (a list from a JSON column) is never handed to two rows.
    """
    keys: Sequence[Any] = values
    if values and type(values[0]) is datetime:
        keys = [None if v is None else (v, v.utcoffset()) for v in values]
    done: dict[Any, Any] = {None: None}
    out = []
    try:
        for key, value in zip(keys, values, strict=True):
            processed = done.get(key, _MISSING)
            if processed is _MISSING:
                processed = process(value)
                if share or not isinstance(processed, list | dict | set):
                    done[key] = processed
            out.append(processed)
    except TypeError:  # unhashable (a JSON value)
        return [None if v is None else process(v) for v in values]
    return out


async def fetch_rows(
    connection: AsyncConnection, statement: Select[Any], row_type: Callable[..., R]
) -> list[R]:
    """Run a SELECT of plain columns and build a `row_type` from each row, cheaper than
    SQLAlchemy's own rows.

    SQLAlchemy runs each column's result processor per row and value (a UUID column builds
    a UUID per row); projection batches and batch intake read thousands of rows. Here the
    columns come back unprocessed and each column's values go through that same processor a
    column at a time, each distinct value once.
    """
    columns = list(statement.selected_columns)
    raw = statement.with_only_columns(*(type_coerce(c, NullType()).label(c.key) for c in columns))
    rows = (await connection.execute(raw)).all()
    if not rows:
        return []
    dialect = connection.dialect
    processed = []
    for column, values in zip(columns, zip(*rows, strict=True), strict=True):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        processed.append(
            values if process is None else _each_distinct_once(list(values), process, share=False)
        )
    return list(map(row_type, *processed))


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table (for bulk statements); typed, unlike `Model.__table__`."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


async def upsert_replace(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """Insert rows, or overwrite the existing row's other columns; audited when someone
    acts (the trail gets each row with the row it overwrites)."""
    if not rows:
        return
    if audit.wanted(session.sync_session, table.name):
        await _audit_upsert(session, table, rows, keys)
    connection = await session.connection()
    names, tuples = as_tuples(rows)
    write = _upsert_write(connection.dialect, table, names, tuples, _replacing(table, keys))
    await run_writes(connection, [write])


class _Upsert(NamedTuple):
    """How an upsert resolves a conflict, and the key its compiled form is cached by."""

    on_conflict: Callable[[Any], Insert]
    key: Hashable


def _adding(table: Table, keys: list[str], add: list[str]) -> _Upsert:
    def on_conflict(statement: Any) -> Insert:
        set_ = {c: table.c[c] + statement.excluded[c] for c in add}
        upsert: Insert = statement.on_conflict_do_update(index_elements=keys, set_=set_)
        return upsert

    return _Upsert(on_conflict, ("add", table, tuple(keys), tuple(add)))


def _replacing(table: Table, keys: list[str]) -> _Upsert:
    def on_conflict(statement: Any) -> Insert:
        others = [c.name for c in table.columns if c.name not in keys]
        upsert: Insert = (
            statement.on_conflict_do_update(
                index_elements=keys, set_={c: statement.excluded[c] for c in others}
            )
            if others
            else statement.on_conflict_do_nothing(index_elements=keys)
        )
        return upsert

    return _Upsert(on_conflict, ("replace", table, tuple(keys)))


def prepare_upsert(
    dialect: Dialect,
    table: Table,
    names: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    keys: list[str],
    add: list[str] | None = None,
) -> PreparedWrite | None:
    """Insert rows (tuples of `names`' values), or, where a row with the same `keys` exists,
    add their `add` columns to its own (atomic, no read first: two consumers adding to one
    total never lose an update) or, without `add`, overwrite its other columns.

    For tables outside the audit trail only: the trail would read the rows an upsert
    overwrites first (`upsert_replace` does)."""
    if audit.audited(table.name):
        raise ValueError(f"{table.name} is in the audit trail: upsert it with upsert_replace")
    how = _replacing(table, keys) if add is None else _adding(table, keys, add)
    return _upsert_write(dialect, table, names, rows, how)


def _upsert_write(
    dialect: Dialect,
    table: Table,
    names: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    how: _Upsert,
) -> PreparedWrite | None:
    """An INSERT ... ON CONFLICT in the dialect's own words."""
    upsert = sqlite_insert if dialect.name == "sqlite" else postgresql_insert
    return prepare_tuples(dialect, lambda: how.on_conflict(upsert(table)), how.key, names, rows)


async def _audit_upsert(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """Someone is acting (the caller asked `audit.wanted`): the trail gets each upserted
    row with the row it overwrites."""
    old = await _rows_by_key(session, table, rows, keys)
    audit.record(session.sync_session, table.name, rows, keys, old)


async def _rows_by_key(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], keys: list[str]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    connection = await session.connection()
    columns = [table.c[k] for k in keys]
    wanted = [tuple(row[k] for k in keys) for row in rows]
    result = await connection.execute(sa_select(table).where(tuple_(*columns).in_(wanted)))
    return {tuple(r._mapping[k] for k in keys): dict(r._mapping) for r in result}


async def delete_rows(session: AsyncSession, model: type[SQLModel], *where: Any) -> None:
    """Delete row by row through the ORM, so the audit trail records each row's old values;
    flushed at once, so rows added next with the same key do not collide."""
    for row in (await session.exec(select(model).where(*where))).all():
        await session.delete(row)
    await session.flush()
