"""The unit of work: a service's repositories, its outbox and its inbox in one transaction.

Service layers depend on this, never on a session: everything a use case or an
event reaction changes, including the events it announces and the fact that it
consumed an event, commits or rolls back together.
"""

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.base import Event
from shared.contracts.envelope import CloudEvent
from shared.db import OutboxMessage, ProcessedEvent, utcnow
from shared.telemetry import traceparent_for_new_event


class SqlUnitOfWork:
    """Base for every service's unit of work; subclasses add their repositories in `_start`."""

    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        source: str,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self.source = source
        self._on_commit = on_commit
        self._outbox: list[dict[str, object]] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._outbox = []
        self._start()
        return self

    def _start(self) -> None:
        """Hook for subclasses to build repositories on `self.session`."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back what was not committed without expiring what was read,
        # so results stay usable after the block.
        await self.session.close()
        self._outbox = []

    async def commit(self) -> None:
        await self._write_pending()
        await self.session.commit()
        if self._outbox and self._on_commit is not None:
            self._on_commit()
        self._outbox = []

    async def rollback(self) -> None:
        await self.session.rollback()
        self._outbox = []

    async def _write_pending(self) -> None:
        """Rows queued for bulk insert go in just before the commit; subclasses add theirs."""
        if self._outbox:
            connection = await self.session.connection()
            await connection.execute(insert(OutboxMessage), self._outbox)

    def publish(self, event: Event) -> CloudEvent:
        """Queue `event` in the outbox; it leaves only if the transaction commits.

        Rows are inserted in bulk at commit, in the order they were published.
        """
        envelope = CloudEvent.wrap(
            event, source=self.source, traceparent=traceparent_for_new_event()
        )
        self._outbox.append(
            {
                "event_id": envelope.id,
                "topic": event.topic,
                "key": event.key,
                "type": envelope.type,
                "source": envelope.source,
                "subject": envelope.subject,
                "time": envelope.time,
                "data": envelope.value().decode(),
                "traceparent": envelope.traceparent,
                "created_at": envelope.time,
                "sent_at": None,
            }
        )
        return envelope

    async def already_processed(self, consumer: str, event_id: str) -> bool:
        row = await self.session.exec(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.consumer == consumer, ProcessedEvent.event_id == event_id
            )
        )
        return row.first() is not None

    def mark_processed(self, consumer: str, event_id: str) -> None:
        self.session.add(ProcessedEvent(consumer=consumer, event_id=event_id))

    async def processed_among(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        result = await self.session.exec(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.consumer == consumer, col(ProcessedEvent.event_id).in_(event_ids)
            )
        )
        return set(result.all())

    async def mark_many_processed(self, consumer: str, event_ids: Sequence[str]) -> None:
        if event_ids:
            connection = await self.session.connection()
            now = utcnow()
            await connection.execute(
                insert(ProcessedEvent),
                [{"consumer": consumer, "event_id": i, "processed_at": now} for i in event_ids],
            )
