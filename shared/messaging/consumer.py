"""The idempotent consumer loop: inbox, bounded retries, dead letters, commit after the database.

For each message: read the CloudEvent, look up its contract, and run the
handler in a unit of work that also records the event id in the inbox; the
Kafka offset is committed only after that transaction. A redelivered event is
found in the inbox and skipped. A message that cannot be decoded, has an unknown
type, or fails `max_attempts` times goes to `<topic>.dlq` with the error in its
headers. Losing the database is different: the event is not at fault, so the loop
waits and retries it rather than dead-lettering good data.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from aiokafka.errors import CommitFailedError, IllegalStateError
from opentelemetry import trace
from pydantic import ValidationError

from shared.contracts.base import Event, event_type_for
from shared.contracts.envelope import Attributes, EnvelopeError, header_map
from shared.contracts.topics import dlq
from shared.db import is_database_outage
from shared.messaging.kafka import OutgoingMessage, make_consumer
from shared.messaging.outbox import Publisher
from shared.metrics import DEAD_LETTERS, EVENT_FAILURES, EVENTS
from shared.telemetry import context_from_traceparent, tracer, tracing_enabled
from shared.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

U = TypeVar("U", bound=SqlUnitOfWork)
Handler = Callable[[Any, U], Awaitable[None]]
# Applies many events of the handled types in one transaction, in order.
BatchHandler = Callable[[list[Any], U], Awaitable[None]]


class PoisonMessageError(Exception):
    """The message itself is at fault; retrying cannot help."""


class ReceivedMessage(NamedTuple):
    """What the loop needs of a Kafka record; independent of the client library (a named
    tuple: the loop makes one per message)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


class MessageProcessor(Generic[U]):
    """Applies one message at a time; the Kafka loop and the tests both drive it."""

    def __init__(
        self,
        consumer_name: str,
        handlers: Mapping[str, Handler[U]],
        uow_factory: Callable[[], U],
        dead_letters: Publisher,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        batch_handler: BatchHandler[U] | None = None,
    ) -> None:
        self.consumer_name = consumer_name
        self._batch_handler = batch_handler
        self._handlers = handlers
        self._uow_factory = uow_factory
        self._dead_letters = dead_letters
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s

    async def process(self, message: ReceivedMessage) -> str:
        """Apply `message`; return what happened: applied, duplicate, skipped or dead-lettered."""
        try:
            envelope, event = self._decode(message)
        except PoisonMessageError as exc:
            await self._dead_letter(message, exc, attempts=0)
            self._count("undecodable", "dead-lettered")
            return "dead-lettered"
        handler = self._handlers.get(envelope.type)
        if handler is None:
            self._count(envelope.type, "skipped")
            return "skipped"
        outcome = await self._process_decoded(message, envelope, event, handler)
        self._count(envelope.type, outcome)
        return outcome

    def _count(self, event_type: str, outcome: str) -> None:
        EVENTS.labels(self.consumer_name, event_type, outcome).inc()

    async def _process_decoded(
        self, message: ReceivedMessage, envelope: Attributes, event: Event, handler: Handler[U]
    ) -> str:
        with tracer(__name__).start_as_current_span(
            f"{message.topic} process",
            context=context_from_traceparent(envelope.traceparent),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": message.topic,
                "messaging.message.id": envelope.id,
                "messaging.consumer.group.name": self.consumer_name,
            },
        ):
            outcome = await self._apply_with_retries(message, envelope, event, handler)
            log.info(
                "%s %s: %s",
                envelope.type,
                envelope.id,
                outcome,
                extra={
                    "consumer": self.consumer_name,
                    "event_id": envelope.id,
                    "event_type": envelope.type,
                    "topic": message.topic,
                    "partition": message.partition,
                    "offset": message.offset,
                    "project_id": str(getattr(event, "project_id", "")) or None,
                    "outcome": outcome,
                },
            )
            return outcome

    async def process_many(self, messages: Sequence[ReceivedMessage]) -> None:
        """Apply a fetched batch in one transaction when a batch handler exists.

        Poison is dead-lettered first; if the batch fails for any other reason than a
        lost database, the messages are applied one by one, so one bad event cannot
        hold back the rest.
        """
        if self._batch_handler is None or len(messages) == 1:
            for message in messages:
                await self.process(message)
            return
        ready: list[tuple[ReceivedMessage, Attributes, Event]] = []
        for message in messages:
            headers = header_map(message.headers)
            if self._not_ours(headers):
                continue
            try:
                envelope, event = self._decode(message, headers)
            except PoisonMessageError as exc:
                await self._dead_letter(message, exc, attempts=0)
                continue
            if envelope.type in self._handlers:
                ready.append((message, envelope, event))
        while ready:
            try:
                await self._apply_batch(ready)
                return
            except Exception as exc:
                if not is_database_outage(exc):
                    log.warning(
                        "batch of %d failed; applying one by one", len(ready), exc_info=True
                    )
                    for message, _, _ in ready:
                        await self.process(message)
                    return
                log.warning("database unavailable; retrying a batch of %d", len(ready))
                await asyncio.sleep(self._retry_backoff_s)

    async def _apply_batch(
        self, ready: Sequence[tuple[ReceivedMessage, Attributes, Event]]
    ) -> None:
        assert self._batch_handler is not None
        links = (
            [
                trace.Link(ctx)
                for _, envelope, _ in ready
                if (
                    ctx := trace.get_current_span(
                        context_from_traceparent(envelope.traceparent)
                    ).get_span_context()
                ).is_valid
            ]
            if tracing_enabled()
            else []
        )
        with tracer(__name__).start_as_current_span(
            f"{ready[0][0].topic} process",
            kind=trace.SpanKind.CONSUMER,
            links=links,
            attributes={
                "messaging.system": "kafka",
                "messaging.batch.message_count": len(ready),
                "messaging.consumer.group.name": self.consumer_name,
            },
        ):
            async with self._uow_factory() as uow:
                seen = await uow.processed_among(self.consumer_name, [e.id for _, e, _ in ready])
                fresh: dict[str, Event] = {}
                for _, envelope, event in ready:
                    if envelope.id not in seen and envelope.id not in fresh:
                        fresh[envelope.id] = event
                if fresh:
                    await self._batch_handler(list(fresh.values()), uow)
                    uow.mark_many_processed(self.consumer_name, list(fresh))
                await uow.commit()
            counts = Counter(
                (envelope.type, "applied" if envelope.id in fresh else "duplicate")
                for _, envelope, _ in ready
            )
            for (event_type, outcome), n in counts.items():
                EVENTS.labels(self.consumer_name, event_type, outcome).inc(n)
            log.info(
                "applied a batch of %d events (%d new)",
                len(ready),
                len(fresh),
                extra={"consumer": self.consumer_name, "topic": ready[0][0].topic},
            )

    def _not_ours(self, headers: Mapping[str, bytes | None]) -> bool:
        """A known event this consumer has no handler for: skipped without reading its body
        (consumers that handle it judge whether it is poison)."""
        value = headers.get("ce_type")
        if not isinstance(value, bytes):
            return False
        name = value.decode(errors="replace")
        return name not in self._handlers and event_type_for(name) is not None

    def _decode(
        self, message: ReceivedMessage, headers: Mapping[str, bytes | None] | None = None
    ) -> tuple[Attributes, Event]:
        """The attributes from the headers, the data parsed once into its contract."""
        try:
            attributes = Attributes.from_header_map(
                header_map(message.headers) if headers is None else headers
            )
        except EnvelopeError as exc:
            raise PoisonMessageError(str(exc)) from exc
        event_type = event_type_for(attributes.type)
        if event_type is None:
            raise PoisonMessageError(f"unknown event type {attributes.type!r}")
        try:
            return attributes, event_type.model_validate_json(message.value or b"")
        except ValidationError as exc:
            raise PoisonMessageError(f"data does not match {attributes.type}: {exc}") from exc

    async def _apply_with_retries(
        self, message: ReceivedMessage, envelope: Attributes, event: Event, handler: Handler[U]
    ) -> str:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._apply(envelope, event, handler)
            except Exception as exc:
                if is_database_outage(exc):
                    log.warning("database unavailable; retrying event %s", envelope.id)
                    await asyncio.sleep(min(self._retry_backoff_s * attempt, 5.0))
                    attempt = 0
                    continue
                EVENT_FAILURES.labels(self.consumer_name, envelope.type).inc()
                if attempt >= self._max_attempts:
                    await self._dead_letter(message, exc, attempts=attempt)
                    return "dead-lettered"
                log.warning(
                    "handler failed (attempt %d) for %s", attempt, envelope.id, exc_info=True
                )
                await asyncio.sleep(self._retry_backoff_s * attempt)

    async def _apply(self, envelope: Attributes, event: Event, handler: Handler[U]) -> str:
        async with self._uow_factory() as uow:
            if await uow.already_processed(self.consumer_name, envelope.id):
                return "duplicate"
            await handler(event, uow)
            uow.mark_processed(self.consumer_name, envelope.id)
            await uow.commit()
            return "applied"

    async def _dead_letter(
        self, message: ReceivedMessage, exc: BaseException, attempts: int
    ) -> None:
        log.error(
            "dead-lettering %s[%d]@%d: %s", message.topic, message.partition, message.offset, exc
        )
        headers = [
            *list(message.headers),
            ("dlq_error", f"{type(exc).__name__}: {exc}"[:2000].encode()),
            ("dlq_consumer", self.consumer_name.encode()),
            ("dlq_original_topic", message.topic.encode()),
            ("dlq_original_partition", str(message.partition).encode()),
            ("dlq_original_offset", str(message.offset).encode()),
            ("dlq_attempts", str(attempts).encode()),
        ]
        await self._dead_letters.publish(
            [OutgoingMessage(dlq(message.topic), message.key, message.value, headers)]
        )
        DEAD_LETTERS.labels(dlq(message.topic)).inc()


RawHandler = Callable[[ReceivedMessage, U], Awaitable[None]]


class DeadLetterProcessor(MessageProcessor[U]):
    """Watches dead-letter topics: hands each message over as it is, never decoding it (a
    dead letter is often undecodable) and never dead-lettering it again. The inbox key is
    the message's place on its topic, so a redelivered one has no second effect."""

    def __init__(
        self,
        consumer_name: str,
        handler: RawHandler[U],
        uow_factory: Callable[[], U],
        dead_letters: Publisher,
        retry_backoff_s: float = 0.2,
    ) -> None:
        super().__init__(consumer_name, {}, uow_factory, dead_letters, 1, retry_backoff_s)
        self._raw_handler = handler

    async def process(self, message: ReceivedMessage) -> str:
        event_id = f"{message.topic}:{message.partition}:{message.offset}"
        while True:
            try:
                async with self._uow_factory() as uow:
                    if await uow.already_processed(self.consumer_name, event_id):
                        return "duplicate"
                    await self._raw_handler(message, uow)
                    uow.mark_processed(self.consumer_name, event_id)
                    await uow.commit()
                    return "applied"
            except Exception as exc:
                if not is_database_outage(exc):
                    log.error("cannot record dead letter %s", event_id, exc_info=True)
                    return "skipped"
                await asyncio.sleep(self._retry_backoff_s)


class KafkaEventConsumer(Generic[U]):
    """Runs a MessageProcessor over a consumer group; commits each partition after its batch."""

    def __init__(
        self,
        processor: MessageProcessor[U],
        topics: list[str],
        bootstrap_servers: str,
        fetch_max_wait_ms: int = 100,
        session_timeout_ms: int = 6000,
        max_records: int = 1000,
    ) -> None:
        self.processor = processor
        self._max_records = max_records
        self._topics = topics
        self._bootstrap_servers = bootstrap_servers
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._session_timeout_ms = session_timeout_ms
        self.assignment: frozenset[tuple[str, int]] = frozenset()  # what this member holds now

    async def run(self, stop: asyncio.Event) -> None:
        consumer = make_consumer(
            self._bootstrap_servers,
            self.processor.consumer_name,
            self._topics,
            self._fetch_max_wait_ms,
            self._session_timeout_ms,
        )
        await consumer.start()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=200, max_records=self._max_records)
                self.assignment = frozenset(
                    (tp.topic, tp.partition) for tp in consumer.assignment()
                )
                if not batches:
                    continue
                # One batch across partitions (each partition's order kept), then one commit.
                await self.processor.process_many(
                    [received_message(r) for records in batches.values() for r in records]
                )
                offsets = {tp: records[-1].offset + 1 for tp, records in batches.items() if records}
                try:
                    await consumer.commit(offsets)
                except (CommitFailedError, IllegalStateError):
                    # Partitions moved to another member mid-batch; they redeliver from the
                    # last commit and the inbox drops the repeats.
                    log.info("commit refused after a rebalance")
        finally:
            await consumer.stop()


def received_message(record: Any) -> ReceivedMessage:
    return ReceivedMessage(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers=tuple(record.headers or ()),
    )
