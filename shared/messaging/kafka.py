"""Kafka clients configured for both Apache Kafka and the embedded Tansu broker.

Tansu has no idempotent producer and no transactions, so delivery is
at-least-once with ``acks="all"`` and consumers are idempotent; offsets start
from "earliest" because Tansu's "latest" is wrong for multi-record batches.
"""

import asyncio
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner

from shared.contracts.topics import TopicSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def make_producer(bootstrap_servers: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
    )


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
    and an accumulator lookup per message: for the relay of a thousand reports that was
    a seventh of the worker's time (profiled under benchmark (b)).
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, messages: Iterable[OutgoingMessage]) -> None:
        by_partition: dict[tuple[str, int], list[OutgoingMessage]] = {}
        partitions: dict[str, tuple[int, ...]] = {}
        for m in messages:
            if m.topic not in partitions:
                partitions[m.topic] = tuple(sorted(await self._producer.partitions_for(m.topic)))
            by_partition.setdefault((m.topic, _partition(m.key, partitions[m.topic])), []).append(m)
        delivered = []
        for (topic, partition), group in by_partition.items():
            delivered += await self._send(topic, partition, group)
        await asyncio.gather(*delivered)

    async def _send(
        self, topic: str, partition: int, messages: list[OutgoingMessage]
    ) -> list["asyncio.Future[object]"]:
        """Fill record batches in order; a message too big for any batch goes alone."""
        producer, delivered = self._producer, []
        batch = producer.create_batch()
        for m in messages:
            if batch.append(timestamp=None, key=m.key, value=m.value, headers=m.headers):
                continue
            if batch.record_count():
                delivered.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                if batch.append(timestamp=None, key=m.key, value=m.value, headers=m.headers):
                    continue
            # Larger than a batch may be: the producer's own path sizes it, or refuses it.
            delivered.append(
                await producer.send(
                    topic, m.value, key=m.key, partition=partition, headers=m.headers
                )
            )
        if batch.record_count():
            delivered.append(await producer.send_batch(batch, topic, partition=partition))
        return delivered


def _partition(key: bytes | None, partitions: tuple[int, ...]) -> int:
    """A keyed message's partition is the key's (as every Kafka client picks it); an
    unkeyed one's is any."""
    return partition_of(key, partitions) if key is not None else random.choice(partitions)


async def create_topics(bootstrap_servers: str, specs: Iterable[TopicSpec]) -> None:
    """Create topics with their partition counts; existing ones are left as they are.

    Explicit creation matters: Tansu auto-creates 4 partitions for any unknown
    topic a client so much as asks about.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(s.name, num_partitions=s.partitions, replication_factor=1)
            for s in specs
            if s.name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another client")
    finally:
        await admin.close()


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


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        return max(self.end - self.committed, 0)


async def group_lag(bootstrap: str, group: str, topics: Sequence[str]) -> list[PartitionLag]:
    """A consumer group's committed offsets against the partitions' end offsets.

    Read by a consumer in the group that never subscribes, so it does not join the group
    and the running members keep their partitions. (On the embedded broker an end offset
    can be early by a batch: see TANSU.md.)
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        committed = {tp: await consumer.committed(tp) for tp in partitions}
        held = {tp: offset for tp, offset in committed.items() if offset is not None}
        ends = await consumer.end_offsets(list(held)) if held else {}
        return [
            PartitionLag(tp.topic, tp.partition, offset, ends.get(tp, 0))
            for tp, offset in sorted(held.items(), key=lambda i: (i[0].topic, i[0].partition))
        ]
    finally:
        await consumer.stop()
