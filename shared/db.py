"""Database plumbing: engines, the platform's own tables (outbox, inbox), readiness.

SQLite (aiosqlite) serves the embedded default, PostgreSQL (asyncpg) production
and tests. Each service has its own SQLModel registry, so one process can hold
several services' models without one service's tables leaking into another's
database; the platform tables live in a registry of their own that every
service's migrations include.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


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


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """An async engine; SQLite gets WAL and foreign keys, PostgreSQL a bounded pool."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        sync_engine: Engine = engine.sync_engine
        event.listen(sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_timeout=5
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
