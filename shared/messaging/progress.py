"""How far each consumer group is behind what the platform's producers were acknowledged.

Not the broker's end offsets: the embedded broker (Tansu) reports a partition's end as
one past the first record of its newest batch (TANSU.md), so lag computed from it
under-reports. Instead every producer of the platform records, after each acknowledged
send, the offset after the last record the broker acknowledged on each partition (the
*produced mark*), as the committed offsets of a consumer group no consumer joins:
`koers.produced`. Any Kafka-protocol broker stores those; a group's lag on a partition is
the mark minus the group's committed offset (ADR 0028).
"""

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

# The pseudo consumer group whose committed offsets are the produced marks. Not prefixed
# with a deployment's consumer-group prefix: a mark belongs to the partition, whoever reads.
PRODUCED_GROUP = "koers.produced"


class ProducedMarks:
    """Commits produced marks for one process, never moving a mark back.

    A member-less consumer of `PRODUCED_GROUP`: it assigns itself the partitions it
    records (paused, so it never fetches) and commits with auto-commit off. The commit is
    awaited, so a caller that goes on (the relay marking rows sent) does so only once the
    mark is stored; a failure raises, and the relay sends the batch again.
    """

    def __init__(
        self, bootstrap_servers: str, group: str = PRODUCED_GROUP, timeout_s: float = 15.0
    ) -> None:
        self._bootstrap_servers, self._group, self._timeout_s = bootstrap_servers, group, timeout_s
        self._consumer: AIOKafkaConsumer | None = None
        self._marks: dict[TopicPartition, int] = {}
        self._lock = asyncio.Lock()

    async def record(self, marks: Mapping[tuple[str, int], int]) -> None:
        async with self._lock:
            ahead = {
                TopicPartition(topic, partition): mark
                for (topic, partition), mark in marks.items()
                if mark > self._marks.get(TopicPartition(topic, partition), -1)
            }
            if ahead:
                await asyncio.wait_for(self._commit(ahead), self._timeout_s)
                self._marks.update(ahead)

    async def _commit(self, marks: dict[TopicPartition, int]) -> None:
        consumer = await self._started()
        held = consumer.assignment()
        if not held >= marks.keys():
            wanted = held | marks.keys()
            consumer.assign(list(wanted))
            consumer.pause(*wanted)
        await consumer.commit(dict(marks))

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap_servers,
                group_id=self._group,
                enable_auto_commit=False,
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


@dataclass(frozen=True)
class PartitionLag:
    """One group on one partition: what it committed against what was produced there."""

    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group has committed nothing here
    produced: int | None  # None: no producer of the platform has recorded a mark here

    @property
    def lag(self) -> int:
        """Records produced and not yet committed; a group never consumed is behind by all."""
        return max((self.produced or 0) - (self.committed or 0), 0)


class LagReader:
    """Reads the produced marks and groups' committed offsets with one admin client, kept
    open between reads (and opened again after a failure)."""

    def __init__(self, bootstrap_servers: str, timeout_s: float = 3.0) -> None:
        self._bootstrap_servers, self._timeout_s = bootstrap_servers, timeout_s
        self._admin: AIOKafkaAdminClient | None = None

    async def lags(self, groups: Mapping[str, Sequence[str]]) -> list[PartitionLag]:
        """Every partition of each group's topics that was produced to or committed on.

        The marks are read before the groups' offsets: a group found at or past a mark
        has applied everything acknowledged before that mark was read.
        """
        try:
            return await asyncio.wait_for(self._read(groups), self._timeout_s)
        except BaseException:
            await self.close()
            raise

    async def _read(self, groups: Mapping[str, Sequence[str]]) -> list[PartitionLag]:
        admin = await self._started()
        topics = sorted({t for names in groups.values() for t in names})
        partitions = await _partitions(admin, topics)
        produced = await _offsets(admin, PRODUCED_GROUP, _flatten(partitions.values()))
        found = []
        for group, names in groups.items():
            wanted = _flatten(partitions.get(t, []) for t in names)
            committed = await _offsets(admin, group, wanted)
            found += [
                PartitionLag(group, tp.topic, tp.partition, committed.get(tp), produced.get(tp))
                for tp in wanted
                if tp in committed or tp in produced
            ]
        return found

    async def _started(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self._bootstrap_servers,
                request_timeout_ms=int(self._timeout_s * 1000),
            )
            await admin.start()
            self._admin = admin
        return self._admin

    async def close(self) -> None:
        if self._admin is not None:
            admin, self._admin = self._admin, None
            await admin.close()


def _flatten(groups: Iterable[Sequence[TopicPartition]]) -> list[TopicPartition]:
    return [tp for group in groups for tp in group]


async def _partitions(
    admin: AIOKafkaAdminClient, topics: Sequence[str]
) -> dict[str, list[TopicPartition]]:
    """Asked of the cluster by name (a consumer's metadata may hold none: ADR 0027)."""
    described = await admin.describe_topics(list(topics))
    return {
        t["topic"]: [
            TopicPartition(t["topic"], number)
            for number in sorted(int(p["partition"]) for p in t["partitions"])
        ]
        for t in described
        if t["error_code"] == 0
    }


async def _offsets(
    admin: AIOKafkaAdminClient, group: str, partitions: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """The group's committed offsets; partitions it never committed on are left out.

    Partitions are named: the embedded broker answers nothing without them (TANSU.md)."""
    if not partitions:
        return {}
    found = await admin.list_consumer_group_offsets(group, partitions=partitions)
    return {tp: meta.offset for tp, meta in found.items() if meta.offset >= 0}


async def group_lag(bootstrap: str, group: str, topics: Sequence[str]) -> list[PartitionLag]:
    """One group's lag, read once (the ops command)."""
    reader = LagReader(bootstrap)
    try:
        return await reader.lags({group: topics})
    finally:
        await reader.close()
