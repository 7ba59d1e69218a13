"""Outbox relay throughput against raw aiokafka produce, measured in one run.

    .venv/bin/python -m bench.outbox_relay [--events 20000] [--database sqlite|postgresql]

Writes N registry-sized events into a fresh outbox, then times (a) the relay
publishing all of them (read in batches, publish, mark sent) and (b) a bare aiokafka
producer sending the same messages to the same broker; prints both rates and their ratio.
"""

import argparse
import asyncio
import os
import secrets
import tempfile
import time
import uuid
from contextlib import nullcontext

from sqlalchemy import insert

from shared.broker import EmbeddedBroker, free_port
from shared.contracts import projects as events
from shared.contracts.envelope import CloudEvent
from shared.contracts.topics import ALL_TOPICS, PROJECTS
from shared.db import OutboxMessage, PlatformBase, create_engine, session_factory
from shared.messaging.kafka import KafkaPublisher, OutgoingMessage, create_topics, make_producer
from shared.messaging.outbox import OutboxRelay
from tests.infra import admin, asyncpg_url, postgres_server, with_database


def _envelopes(count: int) -> list[CloudEvent]:
    return [
        CloudEvent.wrap(
            events.OrganisationRegistered(
                organisation_id=uuid.uuid4(),
                name=f"Org {i}",
                kind="company",
                kvk_number=None,
                actor="bench",
            ),
            source="projects",
        )
        for i in range(count)
    ]


async def _fill_outbox(url: str, envelopes: list[CloudEvent]) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(PlatformBase.metadata.create_all)
        rows = [
            {
                "event_id": e.id,
                "topic": PROJECTS,
                "key": e.subject,
                "type": e.type,
                "source": e.source,
                "subject": e.subject,
                "time": e.time,
                "data": e.value().decode(),
                "traceparent": None,
            }
            for e in envelopes
        ]
        for start in range(0, len(rows), 5000):
            await conn.execute(insert(OutboxMessage), rows[start : start + 5000])
    await engine.dispose()


async def main(count: int, database: str, pg_admin_url: str) -> None:
    broker = EmbeddedBroker(free_port()).start()
    try:
        await create_topics(broker.bootstrap_servers, ALL_TOPICS)
        envelopes = _envelopes(count)
        messages = [
            OutgoingMessage(PROJECTS, e.subject.encode(), e.value(), e.headers()) for e in envelopes
        ]

        producer = make_producer(broker.bootstrap_servers)
        await producer.start()
        publisher = KafkaPublisher(producer)
        started = time.perf_counter()
        for start in range(0, count, 500):
            await publisher.publish(messages[start : start + 500])
        raw_rate = count / (time.perf_counter() - started)

        name = f"bench_outbox_{secrets.token_hex(3)}"
        url = (
            f"sqlite+aiosqlite:///{tempfile.gettempdir()}/{name}.db"
            if database == "sqlite"
            else asyncpg_url(with_database(pg_admin_url, name))
        )
        if database == "postgresql":
            await admin(pg_admin_url, f'CREATE DATABASE "{name}"')
        await _fill_outbox(url, _envelopes(count))
        engine = create_engine(url)
        relay = OutboxRelay(session_factory(engine), publisher, lock_name="bench", batch_size=500)
        started = time.perf_counter()
        sent = 0
        while sent < count:
            sent += await relay.publish_pending()
        relay_rate = count / (time.perf_counter() - started)
        await producer.stop()
        await engine.dispose()
        if database == "postgresql":
            await admin(pg_admin_url, f'DROP DATABASE "{name}" WITH (FORCE)')
        else:
            os.remove(f"{tempfile.gettempdir()}/{name}.db")
    finally:
        broker.stop()
    print(f"events: {count}, database: {database}")
    print(f"raw aiokafka produce (baseline): {raw_rate:10,.0f} msg/s")
    print(f"outbox relay (read, publish, mark sent): {relay_rate:10,.0f} msg/s")
    print(f"ratio relay / raw produce: {relay_rate / raw_rate:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    server = postgres_server() if args.database == "postgresql" else nullcontext("")
    with server as admin_url:  # KOERS_TEST_PG_URL, or a server of its own
        asyncio.run(main(args.events, args.database, admin_url))
