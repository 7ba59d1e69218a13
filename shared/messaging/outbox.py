"""The outbox relay: publishes committed outbox rows in order and marks them sent.

At-least-once: a crash between the broker's acknowledgement and the update of
`sent_at` republishes the batch, which the consumers' inbox makes harmless.
On PostgreSQL an advisory lock keeps two relays of one service (two worker
replicas) from publishing the same rows at once; order within a key holds because
rows leave in id order and one batch is acknowledged before the next is read.
"""

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

from opentelemetry import trace
from sqlalchemy import func, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import binary_headers
from shared.db import OutboxMessage, fetch_rows, utcnow
from shared.messaging.kafka import OutgoingMessage
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OUTBOX_PUBLISHED
from shared.sqlite import write_turns
from shared.telemetry import (
    context_from_traceparent,
    current_traceparent,
    tracer,
    tracing_enabled,
)

log = logging.getLogger(__name__)


class Publisher(Protocol):
    async def publish(self, messages: Sequence[OutgoingMessage]) -> None: ...


class OutboxRow(NamedTuple):
    id: int
    event_id: str
    topic: str
    key: str
    type: str
    source: str
    subject: str
    time: datetime
    data: str
    traceparent: str | None


_UNSENT = OutboxMessage.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    _UNSENT.c.id,
    _UNSENT.c.event_id,
    _UNSENT.c.topic,
    _UNSENT.c.key,
    _UNSENT.c.type,
    _UNSENT.c.source,
    _UNSENT.c.subject,
    _UNSENT.c.time,
    _UNSENT.c.data,
    _UNSENT.c.traceparent,
)


def _publish_traceparent(row: "OutboxRow", traced: bool) -> str | None:
    """The context to send: a `<topic> publish` span's when tracing is on, else the stored one."""
    if not traced:
        return row.traceparent
    with tracer(__name__).start_as_current_span(
        f"{row.topic} publish",
        context=context_from_traceparent(row.traceparent),
        kind=trace.SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": row.topic,
            "messaging.message.id": row.event_id,
        },
    ):
        return current_traceparent() or row.traceparent


def _to_message(row: "OutboxRow", traced: bool) -> OutgoingMessage:
    """The row as a CloudEvents binary-mode message."""
    traceparent = _publish_traceparent(row, traced)
    headers = binary_headers(row.event_id, row.source, row.type, row.subject, row.time, traceparent)
    return OutgoingMessage(row.topic, row.key.encode(), row.data.encode(), headers)


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: Publisher,
        lock_name: str,
        batch_size: int = 500,
        poll_interval_s: float = 0.05,
        service: str = "",
        gauge_interval_s: float = 5.0,
    ) -> None:
        self._service = service
        self._gauge_interval_s = gauge_interval_s
        self._gauged_at = 0.0
        self._sessions = sessions
        self._publisher = publisher
        self._lock_key = zlib.crc32(lock_name.encode())
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()
        self._unsent = (
            sa_select(*_COLUMNS)
            .where(_UNSENT.c.sent_at.is_(None))
            .order_by(_UNSENT.c.id)
            .limit(batch_size)
        )

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows, so they leave without waiting a poll."""
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; return how many left."""
        async with self._sessions() as session:
            if not await self._take_lock(session):
                return 0
            # Plain rows, not ORM objects: the relay reads thousands a second.
            connection = await session.connection()
            rows = await fetch_rows(connection, self._unsent, OutboxRow)
            if not rows:
                return 0
            traced = tracing_enabled()
            await self._publisher.publish([_to_message(r, traced) for r in rows])
            turns = write_turns(connection.engine.url)
            if turns is not None:
                # End the read: SQLite then marks them in a transaction of its own, which
                # waits its turn among the writers (a read snapshot could not take the write
                # lock once another writer committed). One relay per SQLite database:
                # nothing else sends them.
                await session.commit()
            async with turns.turn() if turns is not None else contextlib.nullcontext():
                connection = await session.connection()
                await connection.execute(
                    update(_UNSENT)
                    .where(_UNSENT.c.id.in_([r.id for r in rows]))
                    .values(sent_at=utcnow())
                )
                await session.commit()
            OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
            return len(rows)

    async def _update_gauges(self) -> None:
        """Backlog and the age of the oldest unsent row, for the alerts; every few seconds."""
        if time.monotonic() - self._gauged_at < self._gauge_interval_s:
            return
        self._gauged_at = time.monotonic()
        backlog, oldest = await outbox_state(self._sessions)
        OUTBOX_BACKLOG.labels(self._service).set(backlog)
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.labels(self._service).set(max(age, 0.0))

    async def _take_lock(self, session: AsyncSession) -> bool:
        connection = await session.connection()
        if connection.dialect.name != "postgresql":
            return True
        got = await connection.execute(
            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self._lock_key}
        )
        return bool(got.scalar())

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; failures (broker or database away) back off and retry."""
        backoff = self._poll_interval_s
        while not stop.is_set():
            self._wake.clear()
            try:
                await self._update_gauges()
                sent = await self.publish_pending()
                backoff = self._poll_interval_s
            except Exception:
                log.warning("outbox relay failed; retrying in %.1fs", backoff, exc_info=True)
                sent = 0
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if sent < self._batch_size:
                await self._wait_for_work(stop)

    async def _wait_for_work(self, stop: asyncio.Event) -> None:
        """Sleep one poll interval, or less when a commit in this process wakes us.

        Polling stays because the API that writes the rows may be another process.
        """
        waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(
            waiters, timeout=self._poll_interval_s, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def outbox_backlog(sessions: async_sessionmaker[AsyncSession]) -> int:
    return (await outbox_state(sessions))[0]


async def outbox_state(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, datetime | None]:
    """How many rows wait to be published, and when the oldest of them was written."""
    async with sessions() as session:
        result = await session.exec(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                col(OutboxMessage.sent_at).is_(None)
            )
        )
        count, oldest = result.one()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return int(count), oldest


async def mark_all_unsent(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Recovery after the broker lost its data: publish every event again.

    Safe because consumers are idempotent; their projections converge.
    """
    async with sessions() as session:
        result = await session.exec(update(OutboxMessage).values(sent_at=None))
        await session.commit()
        return int(result.rowcount)
