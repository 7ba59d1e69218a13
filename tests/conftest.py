"""Fixtures shared by every test level: real broker, real databases, tokens, clients."""

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.funding.main import MIGRATIONS as FUNDING_MIGRATIONS
from services.funding.rules_data import load_ceilings
from services.kpi.catalogue import load_catalogue
from services.kpi.main import MIGRATIONS as KPI_MIGRATIONS
from services.notifications.main import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from services.notifications.main import rule_settings as notification_rule_settings
from services.projects.config import ProjectsSettings
from services.projects.main import MIGRATIONS as REGISTRY_MIGRATIONS
from services.projects.main import create_app
from shared.auth import Role, TokenService
from shared.broker import EmbeddedBroker
from shared.migrations import upgrade
from tests.infra import PostgresDatabases, kafka_broker, postgres_server

JWT_SECRET = "test-signing-key-" + secrets.token_hex(16)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything outside tests/unit and tests/contract talks to real infrastructure."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "unit" not in parts and "contract" not in parts:
            item.add_marker(pytest.mark.integration)


@dataclass
class Kafka:
    bootstrap_servers: str
    broker: EmbeddedBroker | None


@pytest.fixture(scope="session")
def kafka() -> Iterator[Kafka]:
    with kafka_broker() as (bootstrap, broker):
        yield Kafka(bootstrap, broker)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    with postgres_server() as admin_url:
        databases = PostgresDatabases(admin_url)
        yield databases
        databases.drop_all()


async def migrated_database(
    kind: str, migrations: Path, tmp_path: Path, postgres: PostgresDatabases
) -> AsyncIterator[str]:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / migrations.parent.name}.db"
        await asyncio.to_thread(upgrade, migrations, url)
        yield url
        return
    await asyncio.to_thread(postgres.template_for, migrations)
    url = await postgres.create(migrations)
    yield url
    await postgres.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
async def registry_db(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases
) -> AsyncIterator[str]:
    """A freshly migrated registry database, once on SQLite and once on PostgreSQL."""
    async for url in migrated_database(request.param, REGISTRY_MIGRATIONS, tmp_path, postgres):
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def kpi_db(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases
) -> AsyncIterator[str]:
    """A migrated KPI database holding the shipped indicator catalogue, on each database kind."""
    async for url in migrated_database(request.param, KPI_MIGRATIONS, tmp_path, postgres):
        await load_catalogue(url)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def funding_db(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases
) -> AsyncIterator[str]:
    """A migrated funding database holding the shipped ceilings, on each database kind."""
    async for url in migrated_database(request.param, FUNDING_MIGRATIONS, tmp_path, postgres):
        await load_ceilings(url)
        yield url


@pytest.fixture
async def funding_pg_db(tmp_path: Path, postgres: PostgresDatabases) -> AsyncIterator[str]:
    async for url in migrated_database("postgresql", FUNDING_MIGRATIONS, tmp_path, postgres):
        await load_ceilings(url)
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def notifications_db(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresDatabases
) -> AsyncIterator[str]:
    """A migrated notification database with every rule's settings, on each database kind."""
    migrations = NOTIFICATIONS_MIGRATIONS
    async for url in migrated_database(request.param, migrations, tmp_path, postgres):
        await notification_rule_settings(url)
        yield url


@pytest.fixture
async def notifications_pg_db(tmp_path: Path, postgres: PostgresDatabases) -> AsyncIterator[str]:
    migrations = NOTIFICATIONS_MIGRATIONS
    async for url in migrated_database("postgresql", migrations, tmp_path, postgres):
        await notification_rule_settings(url)
        yield url


@pytest.fixture
async def kpi_pg_db(tmp_path: Path, postgres: PostgresDatabases) -> AsyncIterator[str]:
    async for url in migrated_database("postgresql", KPI_MIGRATIONS, tmp_path, postgres):
        await load_catalogue(url)
        yield url


@pytest.fixture
async def registry_pg_db(tmp_path: Path, postgres: PostgresDatabases) -> AsyncIterator[str]:
    async for url in migrated_database("postgresql", REGISTRY_MIGRATIONS, tmp_path, postgres):
        yield url


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(JWT_SECRET)


AuthHeaders = Callable[..., dict[str, str]]


@pytest.fixture
def auth(tokens: TokenService) -> AuthHeaders:
    """auth(Role.VIEWER) -> the Authorization header of a staff user with that role."""

    def headers(*roles: Role, user: str = "tester") -> dict[str, str]:
        token = tokens.mint(user, roles or (Role.PROGRAMME_MANAGER,))
        return {"Authorization": f"Bearer {token}"}

    return headers


def registry_settings(database_url: str, bootstrap: str = "127.0.0.1:1") -> ProjectsSettings:
    return ProjectsSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        jwt_secret=JWT_SECRET,
        outbox_poll_interval_s=0.02,
    )


@pytest.fixture
async def registry_client(registry_db: str) -> AsyncIterator[httpx.AsyncClient]:
    """The registry's API over ASGI, on each database kind, with no broker behind it."""
    app = create_app(registry_settings(registry_db))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://registry"
    ) as client:
        yield client
    await app.state.runtime.close()
