"""The unit of work: a service's repositories, its outbox and its inbox in one transaction.

Service layers depend on this, never on a session: everything a use case or an
event reaction changes, including the events it announces and the fact that it
consumed an event, commits or rolls back together.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from opentelemetry import context as otel_context
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.base import Event, encode_fields, key_of
from shared.db import (
    OutboxMessage,
    ProcessedEvent,
    advisory_locks,
    run_writes,
    table_of,
    utcnow,
    writing,
)
from shared.ids import new_event_id
from shared.pending import PendingWrites, QueuedRows
from shared.sqlite import write_turns
from shared.telemetry import traceparent_for_new_event

T = TypeVar("T")
LOCKED_ATTEMPTS = 8
INBOX_SLICE = 10_000  # event ids per inbox query (a statement's parameters are bounded)


class SqlUnitOfWork:
    """Base for every service's unit of work; subclasses add their repositories in `_start`,
    handing `self.pending` to those that queue writes (shared.pending)."""

    session: AsyncSession
    pending: PendingWrites
    _outbox: QueuedRows
    _processed: QueuedRows

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        source: str,
        on_commit: Callable[[], None] | None = None,
        *,
        write: bool = True,
    ) -> None:
        self._sessions = sessions
        self.source = source
        self.write = write
        self._on_commit = on_commit
        self._now: datetime | None = None
        self._traced: tuple[otel_context.Context, str] | None = None
        self._give_turn_back: Callable[[], None] | None = None

    @property
    def now(self) -> datetime:
        """The transaction's time: what it writes and the events it publishes happen at once
        (one clock reading, and one conversion when a thousand rows carry it)."""
        if self._now is None:
            self._now = utcnow()
        return self._now

    async def __aenter__(self) -> Self:
        """A unit of work that will write takes SQLite's write lock before its first read
        (ADR 24), after waiting its turn among the file's writers (`shared.sqlite.WriteTurns`);
        one that only reads (a GET) takes none and never waits for writers."""
        bind = self._sessions.kw.get("bind")
        engine = bind if self.write and isinstance(bind, AsyncEngine) else None  # a writer's
        turns = write_turns(engine.url) if engine is not None else None
        self._give_turn_back = await turns.take() if turns is not None else None
        self.session = self._sessions(bind=writing(engine)) if engine else self._sessions()
        self._now = None
        # One owner of this transaction's queued writes: the repositories' (registered as
        # `_start` builds them), then the outbox and the inbox.
        self.pending = PendingWrites(self.session.sync_session)
        self._start()
        self._outbox = self.pending.rows(table_of(OutboxMessage))
        self._processed = self.pending.rows(table_of(ProcessedEvent))
        return self

    def _start(self) -> None:
        """Hook for subclasses to build repositories on `self.session` (and `self.pending`)."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back what was not committed without expiring what was read,
        # so results stay usable after the block.
        try:
            await self.session.close()
        finally:
            self._forget_pending()
            self._end_turn()

    def _end_turn(self) -> None:
        if self._give_turn_back is not None:
            self._give_turn_back()
            self._give_turn_back = None

    async def commit(self) -> None:
        """Write what is queued, then commit. Every queued write is prepared (parameters
        processed for the driver) before the first runs: on SQLite the first write takes
        the database's one write lock, which the other processes then wait for."""
        dialect = self.session.get_bind().dialect  # known without taking a connection
        published = bool(self._outbox.rows)
        writes = self.pending.prepare(dialect)
        if writes:
            await run_writes(await self.session.connection(), writes)
        await self.session.commit()
        self._end_turn()  # SQLite's write lock went with the commit
        if published and self._on_commit is not None:
            self._on_commit()
        self._forget_pending()

    async def retrying(self, transaction: Callable[[], Awaitable[T]]) -> T:
        """Run `transaction` (which enters this unit of work) again when SQLite refused it
        with "database is locked".

        SQLite (the embedded default) can refuse a transaction's write lock while another
        connection writes, without waiting: the request is fine, so it is tried again a
        little later. Any other error (PostgreSQL never gives this one) is the caller's."""
        for attempt in range(1, LOCKED_ATTEMPTS + 1):
            try:
                return await transaction()
            except OperationalError as exc:
                if attempt == LOCKED_ATTEMPTS or "database is locked" not in str(exc):
                    raise
            await asyncio.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    async def lock(self, *names: str, shared: bool = False) -> None:
        """Serialise this transaction with every other that locks one of `names` (exclusive)
        or, with `shared`, with those that lock it exclusively; held until commit or rollback.

        For rules that read, then write what another transaction may be writing at the same
        moment, in another process. On SQLite a writing unit of work already holds the one
        write lock from its start, so nothing more is taken."""
        if not self.write:
            raise RuntimeError("a read-only unit of work cannot lock for writing")
        if self.session.get_bind().dialect.name != "sqlite":
            await advisory_locks(self.session, names, shared)

    async def rollback(self) -> None:
        await self.session.rollback()
        self._forget_pending()

    def _forget_pending(self) -> None:
        self.pending.clear()
        self._now = None

    def publish(self, event: Event) -> None:
        """Queue `event` in the outbox; it leaves only if the transaction commits.

        Rows are inserted in bulk at commit, in the order they were published. The row
        holds the CloudEvent's attributes and its data as JSON, written once here by the
        event's own serializer.
        """
        self._queue(type(event), event.key, event.model_dump_json())

    def publish_fields(self, event_type: type[Event], fields: Mapping[str, Any]) -> None:
        """`publish` for an event whose fields are already checked and typed (a batch of
        reports publishes a thousand): encoded from the fields as the contract would."""
        self._queue(event_type, key_of(event_type, fields), encode_fields(event_type, fields))

    def _queue(self, event_type: type[Event], key: str, data: str) -> None:
        now = self.now
        self._outbox.rows.append(
            {
                "event_id": new_event_id(),
                "topic": event_type.topic,
                "key": key,
                "type": event_type.type,
                "source": self.source,
                "subject": key,
                "time": now,
                "data": data,
                "traceparent": self._traceparent(),
                "created_at": now,
                "sent_at": None,
            }
        )

    def next_request(self) -> None:
        """Events published from here on belong to another request (a group commit writes
        several in one transaction): untraced, they get a trace id of their own."""
        self._traced = None

    def _traceparent(self) -> str:
        """The trace context of an event: the same for every event published in one
        context (one request, or one waiting request of a group commit); asked once."""
        context = otel_context.get_current()
        if self._traced is None or self._traced[0] is not context:
            self._traced = (context, traceparent_for_new_event())
        return self._traced[1]

    async def already_processed(self, consumer: str, event_id: str) -> bool:
        row = await self.session.exec(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.consumer == consumer, ProcessedEvent.event_id == event_id
            )
        )
        return row.first() is not None

    def mark_processed(self, consumer: str, event_id: str) -> None:
        """One event, one object: through the session (the rule is in shared.pending)."""
        self.session.add(ProcessedEvent(consumer=consumer, event_id=event_id))

    async def processed_among(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """Which of `event_ids` this consumer has applied. Asked in slices: a rebuild's batch
        holds up to 100,000 events, and PostgreSQL's driver takes at most 32,767 parameters
        a statement (it refused the whole batch, which was then retried for ever)."""
        found: set[str] = set()
        for start in range(0, len(event_ids), INBOX_SLICE):
            result = await self.session.exec(
                select(ProcessedEvent.event_id).where(
                    ProcessedEvent.consumer == consumer,
                    col(ProcessedEvent.event_id).in_(event_ids[start : start + INBOX_SLICE]),
                )
            )
            found.update(result.all())
        return found

    def mark_many_processed(self, consumer: str, event_ids: Sequence[str]) -> None:
        """Queue the inbox rows of a batch; they go in at commit, with its other writes."""
        now = self.now
        self._processed.rows += [
            {"consumer": consumer, "event_id": i, "processed_at": now} for i in event_ids
        ]
