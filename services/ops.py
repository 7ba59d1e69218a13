"""Commands for ops: backlog, consumer lag, dead letters (list, replay), readiness.

    python -m services ops backlog [--data-dir .data]
    python -m services ops lag --bootstrap-servers HOST:PORT [--group-prefix P]
    python -m services ops dlq list --bootstrap-servers HOST:PORT
    python -m services ops dlq replay --bootstrap-servers HOST:PORT [--topic T] [--offset N]
    python -m services ops readiness [--url name=http://host:port ...]
    python -m services ops audit verify [--service S] [--expect-head S=SEQ:HASH]
    python -m services ops audit show [--service S] [--limit N]

Database URLs come from each service's `<PREFIX>_DATABASE_URL`, else the embedded default's
files under --data-dir. Rebuilding the KPI totals is `python -m services.kpi rebuild`.
"""

import argparse
import asyncio
import json
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from sqlmodel import col, select

from services import embedded
from services.platform import SERVICES, ServiceSpec
from shared.audit import verify_entries
from shared.contracts.topics import EVENT_TOPICS, dlq
from shared.db import AuditEntry, create_engine, session_factory
from shared.messaging.kafka import KafkaPublisher, OutgoingMessage, make_producer
from shared.messaging.outbox import outbox_state
from shared.messaging.progress import LagReader, ProducedMarks

DLQ_HEADERS = (
    "dlq_error",
    "dlq_consumer",
    "dlq_original_topic",
    "dlq_original_partition",
    "dlq_original_offset",
    "dlq_attempts",
)


def database_url(spec: ServiceSpec, data_dir: Path) -> str:
    return os.environ.get(f"{spec.env_prefix}DATABASE_URL") or embedded.database_url(spec, data_dir)


async def backlog(data_dir: Path) -> list[str]:
    lines = []
    for spec in SERVICES:
        engine = create_engine(database_url(spec, data_dir))
        try:
            count, oldest = await outbox_state(session_factory(engine))
        finally:
            await engine.dispose()
        age = f"{(datetime.now(UTC) - oldest).total_seconds():.0f} s" if oldest else "-"
        lines.append(f"{spec.name:<14} backlog {count:>7}   oldest unsent {age}")
    return lines


async def audit_entries(url: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The audit trail of one service database in chain order (the newest `limit`)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            seq = col(AuditEntry.seq)
            query = select(AuditEntry)
            query = query.order_by(seq.desc()).limit(limit) if limit else query.order_by(seq)
            result = await connection.execute(query)
            rows = [dict(r._mapping) for r in result]
    finally:
        await engine.dispose()
    return rows[::-1] if limit else rows


async def verify_audit(
    specs: Sequence[ServiceSpec], data_dir: Path, heads: dict[str, tuple[int, str]]
) -> tuple[bool, list[str]]:
    lines, intact = [], True
    for spec in specs:
        entries = await audit_entries(database_url(spec, data_dir))
        verdict = verify_entries(entries, heads.get(spec.name))
        intact = intact and verdict.intact
        state = "intact" if verdict.intact else "BROKEN"
        lines.append(
            f"{spec.name:<14} {state:<7} {verdict.entries:>7} entries"
            f"   head {verdict.head_seq}:{verdict.head_hash}"
        )
        lines += [f"{'':<14} - {problem}" for problem in verdict.problems]
    return intact, lines


async def show_audit(specs: Sequence[ServiceSpec], data_dir: Path, limit: int) -> list[str]:
    lines = []
    for spec in specs:
        for e in await audit_entries(database_url(spec, data_dir), limit):
            changes = json.loads(e["changes"])
            tables = sorted({f"{c['table']}.{c['op']}" for c in changes})
            lines.append(
                f"{spec.name:<14} {e['seq']:>6} {e['at']} {e['actor']} {e['action']}"
                f"   {len(changes)} rows: {', '.join(tables)}"
            )
    return lines


def _heads(values: Sequence[str]) -> dict[str, tuple[int, str]]:
    heads = {}
    for value in values:
        name, _, head = value.partition("=")
        seq, _, digest = head.partition(":")
        heads[name] = (int(seq), digest)
    return heads


async def lag(bootstrap: str, group_prefix: str) -> list[str]:
    """Every consumer group's committed offsets against the produced marks: the offset after
    the last record the platform's producers were acknowledged on each partition (ADR 0028;
    not the broker's end offsets, which the embedded broker reports early). The figures of
    /v1/freshness and koers_consumer_lag."""
    groups = {
        group_prefix + group: list(topics)
        for spec in SERVICES
        for group, topics in spec.consumer_groups.items()
    }
    reader = LagReader(bootstrap, timeout_s=15.0)
    try:
        found = await reader.lags(groups)
    finally:
        await reader.close()
    lines = []
    for group in groups:
        # A partition the group never committed on is behind by all produced to it.
        mine = [p for p in found if p.group == group]
        lines += [
            f"{group:<40} {p.topic}[{p.partition}] committed {_figure(p.committed)} "
            f"produced {_figure(p.produced)} lag {p.lag}"
            for p in mine
        ] or [f"{group:<40} (nothing produced or committed)"]
    return lines


def _figure(offset: int | None) -> str:
    return "-" if offset is None else str(offset)


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str:
        return next((v.decode(errors="replace") for k, v in self.headers if k == name), "")

    def describe(self) -> str:
        return (
            f"{self.topic}[{self.partition}]@{self.offset} {self.header('ce_type') or '?'} "
            f"from {self.header('dlq_original_topic') or '?'} "
            f"({self.header('dlq_consumer')}): {self.header('dlq_error')}"
        )


async def dead_letters(
    bootstrap: str, topics: Sequence[str], idle_s: float = 2.0
) -> list[DeadLetter]:
    """Everything on the dead-letter topics, read from the start without committing."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=f"ops-dlq-{secrets.token_hex(4)}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[DeadLetter] = []
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=int(idle_s * 1000))
            if not batches:
                return found
            for records in batches.values():
                found += [
                    DeadLetter(
                        r.topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ())
                    )
                    for r in records
                ]
    finally:
        await consumer.stop()


async def replay(bootstrap: str, letters: Sequence[DeadLetter]) -> int:
    """Send dead letters back to the topic they came from, without the dead-letter headers.

    Consumers are idempotent, so an event that was applied after all changes nothing.
    """
    messages = [
        OutgoingMessage(
            letter.header("dlq_original_topic"),
            letter.key,
            letter.value,
            [(k, v) for k, v in letter.headers if k not in DLQ_HEADERS],
        )
        for letter in letters
        if letter.header("dlq_original_topic")
    ]
    producer = make_producer(bootstrap)
    await producer.start()
    marks = ProducedMarks(bootstrap)
    try:
        await KafkaPublisher(producer, marks).publish(messages)
    finally:
        await producer.stop()
        await marks.close()
    return len(messages)


def all_dead_letter_topics() -> list[str]:
    return [dlq(t.name) for t in EVENT_TOPICS]


async def readiness(urls: dict[str, str]) -> tuple[bool, list[str]]:
    lines, ready = [], True
    async with httpx.AsyncClient(timeout=5) as client:
        for name, base in urls.items():
            try:
                response = await client.get(f"{base.rstrip('/')}/readyz")
                body = response.json()
                ok = response.status_code == 200
                lines.append(f"{name:<14} {body.get('status')} {body.get('checks')}")
            except (httpx.HTTPError, ValueError) as exc:
                ok = False
                lines.append(f"{name:<14} unreachable: {type(exc).__name__}")
            ready = ready and ok
    return ready, lines


def default_urls() -> dict[str, str]:
    return {s.name: f"http://127.0.0.1:{s.default_port}" for s in SERVICES}


def main(args: argparse.Namespace) -> int:
    """Dispatch `python -m services ops …` (the parser lives in services/__main__.py)."""
    return COMMANDS[args.ops_command](args)


def backlog_command(args: argparse.Namespace) -> int:
    """Unpublished outbox rows per service."""
    print("\n".join(asyncio.run(backlog(args.data_dir))))
    return 0


def lag_command(args: argparse.Namespace) -> int:
    """Consumer groups behind their topics."""
    print("\n".join(asyncio.run(lag(args.bootstrap_servers, args.group_prefix))))
    return 0


def dlq_command(args: argparse.Namespace) -> int:
    """List the dead letters (all, or those at the given offsets), or replay them."""
    topics = [args.topic] if args.topic else all_dead_letter_topics()
    letters = asyncio.run(dead_letters(args.bootstrap_servers, topics))
    offsets = set(args.offset or [])
    chosen = [d for d in letters if not offsets or d.offset in offsets]
    if args.dlq_command == "list":
        print("\n".join(d.describe() for d in chosen) or "no dead letters")
        return 0
    print(f"replayed {asyncio.run(replay(args.bootstrap_servers, chosen))} messages")
    return 0


def readiness_command(args: argparse.Namespace) -> int:
    """Exits 1 when any service (the given `name=url`s, or all on their default ports) is
    not ready."""
    urls = dict(u.split("=", 1) for u in args.url or []) or default_urls()
    ready, lines = asyncio.run(readiness(urls))
    print("\n".join(lines))
    return 0 if ready else 1


def audit_command(args: argparse.Namespace) -> int:
    """`verify` exits 1 when any service's chain is broken, naming each broken link."""
    specs = [s for s in SERVICES if not args.service or s.name in args.service]
    if args.audit_command == "show":
        print("\n".join(asyncio.run(show_audit(specs, args.data_dir, args.limit))))
        return 0
    intact, lines = asyncio.run(verify_audit(specs, args.data_dir, _heads(args.expect_head or [])))
    print("\n".join(lines))
    return 0 if intact else 1


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "backlog": backlog_command,
    "lag": lag_command,
    "dlq": dlq_command,
    "audit": audit_command,
    "readiness": readiness_command,
}
