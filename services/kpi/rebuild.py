"""Rebuild the aggregation projection from the topics, and compare it with the live one.

    python -m services.kpi rebuild --into sqlite+aiosqlite:////tmp/kpi-rebuilt.db --compare

Replays projects.events.v1 (the replica) and then kpi.events.v1 (the projection) from
the beginning into a fresh database, through the same handlers the worker runs, and
reports the rate. A topic is read until it has been idle for `idle_s` (the embedded
broker's end offsets cannot be trusted). `--compare` lists every total that differs
from the live database's; none should.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlmodel import select

from services.kpi.catalogue import load_catalogue
from services.kpi.consumers import projection_batch_handler, projection_handlers, registry_handlers
from services.kpi.main import MIGRATIONS
from services.kpi.models import NodeTotal, ProgressState, ProjectTotal
from services.kpi.projection import Options
from services.kpi.reference import ReferenceCache
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import topics
from shared.db import create_engine, session_factory
from shared.messaging.consumer import MessageProcessor, ReceivedMessage, received_message
from shared.messaging.kafka import OutgoingMessage, topic_partitions
from shared.migrations import upgrade
from shared.runtime import collecting_for_throughput


class SkippedLetters:
    """During a rebuild, poison is counted, not dead-lettered again (it was, when it came)."""

    def __init__(self) -> None:
        self.count = 0

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        self.count += len(messages)


@dataclass(frozen=True)
class RebuildStats:
    registry_events: int
    kpi_events: int
    seconds: float
    skipped: int

    @property
    def kpi_events_per_second(self) -> float:
        return self.kpi_events / self.seconds if self.seconds else 0.0


async def read_topic(
    bootstrap_servers: str, topic: str, idle_s: float = 2.0, batch: int = 100_000
) -> AsyncIterator[list[ReceivedMessage]]:
    """Every message of `topic` from the start, in order per partition, without a group,
    in batches of up to `batch`: the projection's cost per batch falls the more of a
    key's events one batch holds (a total is written once per batch, not per event;
    partners report a quarter at a time, so a batch must span several quarters)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        numbers = (await topic_partitions(bootstrap_servers, [topic])).get(topic, [])
        partitions = [TopicPartition(topic, p) for p in numbers]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < idle_s:
            messages = await _fetch_up_to(consumer, batch)
            if messages:  # one batch across partitions: each partition's order is kept within it
                yield messages
                idle_since = time.monotonic()  # idle counts from when we ask again: applying
                # a batch can take longer than idle_s
    finally:
        await consumer.stop()


async def _fetch_up_to(consumer: AIOKafkaConsumer, batch: int) -> list[ReceivedMessage]:
    """What the broker has ready, up to `batch` messages (several fetches if need be)."""
    messages: list[ReceivedMessage] = []
    while len(messages) < batch:
        fetched = await consumer.getmany(timeout_ms=100, max_records=batch - len(messages))
        more = [received_message(r) for records in fetched.values() for r in records]
        if not more:
            break
        messages += more
    return messages


async def rebuild(bootstrap_servers: str, into_url: str, idle_s: float = 2.0) -> RebuildStats:
    await asyncio.to_thread(upgrade, MIGRATIONS, into_url)
    await load_catalogue(into_url)
    engine = create_engine(into_url)
    sessions = session_factory(engine)
    skipped = SkippedLetters()
    opts = Options(announce=False)
    reference = ReferenceCache()

    def uow() -> KpiUnitOfWork:
        return KpiUnitOfWork(sessions, source="kpi-rebuild", reference=reference)

    replica = MessageProcessor("rebuild.replica", registry_handlers(opts), uow, skipped)
    aggregates = MessageProcessor(
        "rebuild.aggregates",
        projection_handlers(opts),
        uow,
        skipped,
        batch_handler=projection_batch_handler(opts),
    )
    try:
        with collecting_for_throughput():
            registry_count = 0
            async for batch in read_topic(bootstrap_servers, topics.PROJECTS, idle_s):
                await replica.process_many(batch)
                registry_count += len(batch)
            started, kpi_count = time.perf_counter(), 0
            async for batch in read_topic(bootstrap_servers, topics.KPI, idle_s):
                await aggregates.process_many(batch)
                kpi_count += len(batch)
            seconds = time.perf_counter() - started - idle_s
    finally:
        await engine.dispose()
    return RebuildStats(registry_count, kpi_count, max(seconds, 1e-9), skipped.count)


def _rows(
    items: Sequence[Any], key: tuple[str, ...], values: tuple[str, ...]
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    out = {}
    for item in items:
        vals = tuple(getattr(item, v) for v in values)
        if any(v not in (None, 0, Decimal(0)) for v in vals):
            out[tuple(getattr(item, k) for k in key)] = vals
    return out


async def snapshot(url: str) -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            nodes = (await s.exec(select(NodeTotal))).all()
            projects = (await s.exec(select(ProjectTotal))).all()
            progress = (await s.exec(select(ProgressState))).all()
    finally:
        await engine.dispose()
    measures = ("value", "numerator", "denominator")
    return {
        "node totals": _rows(
            nodes, ("node_id", "indicator_code", "view", "period_key"), (*measures, "projects")
        ),
        "project totals": _rows(
            projects, ("project_id", "indicator_code", "view", "period_key"), measures
        ),
        "progress": _rows(
            progress,
            ("project_id", "indicator_code"),
            ("realised", "expected", "percent_of_target", "status", "as_of"),
        ),
    }


async def differences(live_url: str, rebuilt_url: str) -> list[str]:
    live, rebuilt = await snapshot(live_url), await snapshot(rebuilt_url)
    found = []
    for table, rows in live.items():
        other = rebuilt[table]
        for key in sorted(rows.keys() | other.keys(), key=str):
            if rows.get(key) != other.get(key):
                found.append(f"{table} {key}: live {rows.get(key)} rebuilt {other.get(key)}")
    return found


def default_target() -> str:
    return f"sqlite+aiosqlite:////tmp/kpi-rebuilt-{uuid.uuid4().hex[:8]}.db"
