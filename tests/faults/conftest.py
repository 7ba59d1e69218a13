"""Every fault scenario runs the whole platform on PostgreSQL databases of its own."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.funding.main import MIGRATIONS as FUNDING_MIGRATIONS
from services.funding.rules_data import load_ceilings
from services.kpi.catalogue import load_catalogue
from services.kpi.main import MIGRATIONS as KPI_MIGRATIONS
from services.notifications.main import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from services.notifications.main import rule_settings
from services.projects.main import MIGRATIONS as REGISTRY_MIGRATIONS
from shared.broker import EmbeddedBroker, free_port
from shared.contracts.topics import ALL_TOPICS
from shared.messaging.kafka import create_topics
from tests.faults.platform_load import PlatformDatabases
from tests.infra import PostgresDatabases


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
async def broker() -> AsyncIterator[EmbeddedBroker]:
    """A broker of the scenario's own: no other test's events to wade through, and free to
    pause or stop."""
    started = EmbeddedBroker(free_port()).start()
    try:
        await create_topics(started.bootstrap_servers, ALL_TOPICS)
        yield started
    finally:
        started.stop()
