"""The unit of work's pending writes (shared.pending): prepared in the order registered,
all before the first runs, and forgotten when the transaction rolls back."""

import uuid
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlmodel import select

from shared.contracts import projects as events
from shared.db import (
    OutboxMessage,
    PlatformBase,
    PreparedWrite,
    ProcessedEvent,
    create_engine,
    prepare_rows,
    session_factory,
    table_of,
)
from shared.pending import PendingWrites
from shared.uow import SqlUnitOfWork

INBOX = table_of(ProcessedEvent)
OUTBOX = table_of(OutboxMessage)


class _Part:
    """A repository's own part: one inbox row per queued id, and how often it was cleared."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.cleared = 0

    def prepare(self, dialect: Dialect) -> Iterable[PreparedWrite | None]:
        rows = [{"consumer": "part", "event_id": i} for i in self.ids]
        return [prepare_rows(dialect, INBOX, rows), None]

    def clear(self) -> None:
        self.ids = []
        self.cleared += 1


def _tables(writes: list[PreparedWrite]) -> list[str]:
    return [w.statement.table.name for w in writes]  # type: ignore[attr-defined]


def test_writes_are_prepared_in_the_order_registered_and_only_once() -> None:
    pending = PendingWrites(Session())
    outbox = pending.rows(OUTBOX)
    part = pending.register(_Part())
    inbox = pending.rows(INBOX)
    empty = pending.rows(OUTBOX)  # nothing queued: no statement
    inbox.rows.append({"consumer": "c", "event_id": "e1"})  # queued first, registered last
    part.ids.append("p1")
    outbox.rows.append({"topic": "t", "key": "k", "event_id": "e2"})

    writes = pending.prepare(sqlite.dialect())

    assert _tables(writes) == ["outbox", "processed_events", "processed_events"]
    assert [[row["event_id"] for row in w.params or []] for w in writes] == [["e2"], ["p1"], ["e1"]]
    assert (outbox.rows, inbox.rows, empty.rows, part.ids) == ([], [], [], [])
    assert pending.prepare(sqlite.dialect()) == []  # prepared once, then gone


async def _count(uow: SqlUnitOfWork, model: type[PlatformBase]) -> int:
    result = await uow.session.exec(select(func.count()).select_from(model))
    return int(result.one())


async def test_a_rollback_forgets_what_was_queued_before_it(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'uow.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(PlatformBase.metadata.create_all)
    announced: list[bool] = []
    uow = SqlUnitOfWork(session_factory(engine), "test", lambda: announced.append(True))
    try:
        async with uow:
            uow.publish(
                events.OrganisationRegistered(
                    organisation_id=uuid.uuid4(),
                    name="Hanzehogeschool",
                    kind="knowledge_institution",
                    kvk_number=None,
                    actor="test",
                )
            )
            uow.mark_many_processed("c", ["before"])
            await uow.rollback()
            uow.mark_many_processed("c", ["after"])
            await uow.commit()
        async with uow:
            assert await _count(uow, OutboxMessage) == 0
            found = await uow.session.exec(select(ProcessedEvent.event_id))
            assert list(found.all()) == ["after"]
        assert announced == []  # nothing was published, so the relay is not woken
    finally:
        await engine.dispose()
