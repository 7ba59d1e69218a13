"""Kafka clients configured for both Apache Kafka and the embedded Tansu broker.

Tansu has no idempotent producer and no transactions, so delivery is
at-least-once with ``acks="all"`` and consumers are idempotent; offsets start
from "earliest" because Tansu's "latest" is wrong for multi-record batches. On
Apache Kafka the producer is idempotent as well (a setting: ProducerOptions), and
topics are replicated (TopicLayout); ADR 0027 says what was tested.
"""

import asyncio
import logging
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner

from shared.config import ServiceSettings, TopicSettings
from shared.contracts.topics import TopicSpec
from shared.messaging.progress import ProducedMarks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class ProducerOptions:
    """What differs between the embedded broker and Apache Kafka on the producing side.

    The default suits both; `enable_idempotence` only Apache Kafka (Tansu fails at
    start with it). Idempotence stops the producer's own retries from writing a batch
    twice; the outbox relay may still send a row again, which consumers drop.
    """

    enable_idempotence: bool = False
    compression_type: str = "none"
    linger_ms: int = 5

    @classmethod
    def of(cls, settings: ServiceSettings) -> "ProducerOptions":
        return cls(
            enable_idempotence=settings.kafka_enable_idempotence,
            compression_type=settings.kafka_compression_type,
            linger_ms=settings.kafka_linger_ms,
        )


def make_producer(
    bootstrap_servers: str, options: ProducerOptions = ProducerOptions()
) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=options.enable_idempotence,
        compression_type=None if options.compression_type == "none" else options.compression_type,
        linger_ms=options.linger_ms,
        max_batch_size=256 * 1024,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
    )


METADATA_MAX_AGE_MS = 10_000


def make_consumer(
    bootstrap_servers: str,
    group_id: str,
    topics: Sequence[str],
    fetch_max_wait_ms: int,
    session_timeout_ms: int,
) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=fetch_max_wait_ms,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(session_timeout_ms // 3, 100),
        max_poll_records=500,
        # aiokafka 0.14 does not refresh metadata when looking up a partition's start
        # offset fails with NotLeaderForPartition: a member that must start a partition
        # whose leader moved (a broker cut off, then back) asked the old leader until the
        # metadata aged out, 5 minutes by default. Measured on three brokers (ADR 0027).
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
    )


@lru_cache(maxsize=65536)
def partition_of(key: bytes, partitions: tuple[int, ...]) -> int:
    """Kafka's own choice of partition for a key (murmur2, as the Java client), remembered:
    aiokafka computes it in Python for every message, and an aggregate's key repeats."""
    return int(DefaultPartitioner()(key, list(partitions), list(partitions)))


class KafkaPublisher:
    """Sends a batch and returns only when the broker has acknowledged all of it.

    Messages go out as one record batch per partition (aiokafka's `send_batch`), in
    their order within each partition. Sending them one by one cost a future, a callback
    and an accumulator lookup per message, a share of the worker's time worth saving for
    the relay (bench/README.md, "Figures behind the decisions", ADR 22).

    With `marks`, it then records each partition's produced mark (the offset after the
    last record acknowledged) before returning: what consumer lag is measured against
    (shared.messaging.progress, ADR 0028).
    """

    def __init__(self, producer: AIOKafkaProducer, marks: ProducedMarks | None = None) -> None:
        self._producer = producer
        self._marks = marks

    async def publish(self, messages: Iterable[OutgoingMessage]) -> None:
        by_partition: dict[tuple[str, int], list[OutgoingMessage]] = {}
        partitions: dict[str, tuple[int, ...]] = {}
        for m in messages:
            if m.topic not in partitions:
                partitions[m.topic] = tuple(sorted(await self._producer.partitions_for(m.topic)))
            by_partition.setdefault((m.topic, _partition(m.key, partitions[m.topic])), []).append(m)
        sent: list[tuple[asyncio.Future[Any], int]] = []
        for (topic, partition), group in by_partition.items():
            sent += await self._send(topic, partition, group)
        acknowledged = await asyncio.gather(*(future for future, _ in sent))
        if self._marks is not None:
            marks: dict[tuple[str, int], int] = {}
            for metadata, (_, records) in zip(acknowledged, sent, strict=True):
                key = (metadata.topic, metadata.partition)
                # A batch's acknowledgement holds its base offset; a lone record's, its own.
                marks[key] = max(marks.get(key, 0), metadata.offset + records)
            await self._marks.record(marks)

    async def _send(
        self, topic: str, partition: int, messages: list[OutgoingMessage]
    ) -> list[tuple["asyncio.Future[Any]", int]]:
        """Fill record batches in order; a message too big for any batch goes alone.
        Returns each send's acknowledgement and how many records it carries."""
        producer, sent = self._producer, []
        batch = producer.create_batch()
        for m in messages:
            if batch.append(timestamp=None, key=m.key, value=m.value, headers=m.headers):
                continue
            if batch.record_count():
                records = batch.record_count()
                sent.append((await producer.send_batch(batch, topic, partition=partition), records))
                batch = producer.create_batch()
                if batch.append(timestamp=None, key=m.key, value=m.value, headers=m.headers):
                    continue
            # Larger than a batch may be: the producer's own path sizes it, or refuses it.
            lone = await producer.send(
                topic, m.value, key=m.key, partition=partition, headers=m.headers
            )
            sent.append((lone, 1))
        if batch.record_count():
            records = batch.record_count()
            sent.append((await producer.send_batch(batch, topic, partition=partition), records))
        return sent


def _partition(key: bytes | None, partitions: tuple[int, ...]) -> int:
    """A keyed message's partition is the key's (as every Kafka client picks it); an
    unkeyed one's is any."""
    return partition_of(key, partitions) if key is not None else random.choice(partitions)


@dataclass(frozen=True)
class TopicLayout:
    """How topics are laid out on the cluster: one broker by default (the embedded one)."""

    replication_factor: int = 1
    min_insync_replicas: int | None = None
    # Partition counts raised above the contract's, by topic name.
    partitions: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: TopicSettings) -> "TopicLayout":
        return cls(
            settings.replication_factor, settings.min_insync_replicas, settings.topic_partitions
        )

    def new_topic(self, spec: TopicSpec) -> NewTopic:
        configs = {}
        if self.min_insync_replicas is not None:
            configs["min.insync.replicas"] = str(self.min_insync_replicas)
        return NewTopic(
            spec.name,
            num_partitions=self.partitions_of(spec),
            replication_factor=self.replication_factor,
            topic_configs=configs,
        )

    def partitions_of(self, spec: TopicSpec) -> int:
        return max(spec.partitions, self.partitions.get(spec.name, spec.partitions))


async def create_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec], layout: TopicLayout = TopicLayout()
) -> None:
    """Create topics with their partition counts; existing ones are left as they are.

    Explicit creation matters: Tansu auto-creates 4 partitions for any unknown
    topic a client so much as asks about. A topic the cluster refuses (a replication
    factor above its broker count, say) raises: aiokafka returns such refusals as
    error codes, not exceptions.
    """
    if layout.min_insync_replicas and layout.min_insync_replicas > layout.replication_factor:
        raise ValueError("min.insync.replicas above the replication factor: no write succeeds")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [layout.new_topic(s) for s in specs if s.name not in existing]
        if wanted:
            try:
                response = await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another client")
                return
            _raise_refusals(response)
    finally:
        await admin.close()


def _raise_refusals(response: Any) -> None:
    refused = [
        f"{error[0]}: error {error[1]} {error[2] if len(error) > 2 else ''}".strip()
        for error in response.topic_errors
        if error[1] not in (0, TopicAlreadyExistsError.errno)
    ]
    if refused:
        raise RuntimeError("topics refused: " + "; ".join(refused))


async def broker_reachable(bootstrap_servers: str, timeout_s: float = 2.0) -> None:
    """Raise if no broker answers a metadata request within `timeout_s`."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=int(timeout_s * 1000)
    )
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.list_topics(), timeout_s)
    finally:
        await admin.close()


async def topic_partitions(bootstrap_servers: str, topics: Sequence[str]) -> dict[str, list[int]]:
    """Each existing topic's partition numbers, asked of the cluster by name.

    A consumer's `partitions_for_topic` answers only from metadata it already holds, and
    on Apache Kafka a consumer that subscribes to nothing holds none (`topics()` does not
    keep what it fetches); Tansu volunteers every topic's metadata, which hid this. So
    `ops lag` listed no offsets and the KPI rebuild read nothing on Apache Kafka.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return {
        t["topic"]: sorted(int(p["partition"]) for p in t["partitions"])
        for t in described
        if t["error_code"] == 0
    }
