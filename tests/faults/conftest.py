"""Every fault scenario runs the whole platform on PostgreSQL databases of its own, and on
a broker of its own: the embedded one, and for the scenarios named in ON_APACHE_KAFKA each
Apache Kafka version too (`make test-kafka`)."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.funding.main import MIGRATIONS as FUNDING_MIGRATIONS
from services.funding.rules_data import load_ceilings
from services.kpi.catalogue import load_catalogue
from services.kpi.main import MIGRATIONS as KPI_MIGRATIONS
from services.notifications.main import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from services.notifications.main import rule_settings
from services.projects.main import MIGRATIONS as REGISTRY_MIGRATIONS
from tests.faults.platform_load import PlatformDatabases
from tests.infra import (
    EMBEDDED,
    BrokerUnderTest,
    PostgresDatabases,
    broker_params,
    broker_under_test,
    clients_for,
)

# The platform load under a broker cut off for 30 s, and under workers killed and
# rebalanced: the scenarios whose fault a single Apache Kafka broker has too. (The broker
# restarted empty is the embedded broker's own fault; the three-broker cluster's faults
# are in test_kafka_cluster.py.)
ON_APACHE_KAFKA = {"test_broker_paused", "test_worker_killed"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if "broker" in metafunc.fixturenames and module in ON_APACHE_KAFKA:
        metafunc.parametrize("broker", broker_params(), indirect=True)


@pytest.fixture
async def platform_dbs(
    postgres: PostgresDatabases, tmp_path: Path
) -> AsyncIterator[PlatformDatabases]:
    migrations = (REGISTRY_MIGRATIONS, KPI_MIGRATIONS, FUNDING_MIGRATIONS, NOTIFICATIONS_MIGRATIONS)
    urls = []
    for m in migrations:
        await asyncio.to_thread(postgres.template_for, m)
        urls.append(await postgres.create(m))
    dbs = PlatformDatabases(*urls)
    await load_catalogue(dbs.kpi)
    await load_ceilings(dbs.funding)
    await rule_settings(dbs.notifications)
    yield dbs
    for url in urls:
        await postgres.drop(url)


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> Iterator[BrokerUnderTest]:
    """A broker of the scenario's own: no other test's events to wade through, and free to
    pause or stop."""
    kind = getattr(request, "param", EMBEDDED)
    with broker_under_test(kind) as started, clients_for(kind):
        yield started
