"""Each service's API as two processes on one database, once on SQLite and once on PostgreSQL.

Started once per module and database (a process takes a second or two to start on two
shared cores); every test makes its own programme, projects and people, so tests do not
see each other's state.
"""

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from services.funding.main import MIGRATIONS as FUNDING_MIGRATIONS
from services.funding.rules_data import load_ceilings
from services.kpi.catalogue import load_catalogue
from services.kpi.main import MIGRATIONS as KPI_MIGRATIONS
from services.notifications.main import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from services.notifications.main import rule_settings
from services.portal.main import MIGRATIONS as PORTAL_MIGRATIONS
from services.projects.main import MIGRATIONS as REGISTRY_MIGRATIONS
from services.projects.main import create_app as registry_app
from tests.concurrency.harness import ApiProcesses, api_processes
from tests.conftest import migrated_database, registry_settings
from tests.infra import PostgresDatabases
from tests.integration.funding.harness import FundingService, funding_service
from tests.integration.kpi.harness import KpiService, kpi_service
from tests.integration.notifications.harness import (
    NotificationsApi,
    notifications_api,
    notifications_settings,
)

INSTANCES = 2


@dataclass
class FundingRace:
    """The funding API as two processes, and the service in the test's own process on the
    same database (to feed its replica and read back what the processes wrote)."""

    local: FundingService
    servers: ApiProcesses
    database: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def funding_race(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresDatabases,
) -> AsyncIterator[FundingRace]:
    folder = tmp_path_factory.mktemp(f"funding-race-{request.param}")
    async for url in migrated_database(request.param, FUNDING_MIGRATIONS, folder, postgres):
        await load_ceilings(url)
        async for local in funding_service(url):
            with api_processes("funding", url, folder, INSTANCES) as servers:
                yield FundingRace(local, servers, request.param)


@dataclass
class RegistryRace:
    """The registry API as two processes, and over ASGI in the test's process (same database)."""

    local: httpx.AsyncClient
    servers: ApiProcesses
    database: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def registry_race(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresDatabases,
) -> AsyncIterator[RegistryRace]:
    folder = tmp_path_factory.mktemp(f"registry-race-{request.param}")
    async for url in migrated_database(request.param, REGISTRY_MIGRATIONS, folder, postgres):
        app = registry_app(registry_settings(url))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as local:
            with api_processes("projects", url, folder, INSTANCES) as servers:
                yield RegistryRace(local, servers, request.param)
        await app.state.runtime.close()


@dataclass
class NotificationsRace:
    """The notification API as two processes, and over ASGI in the test's process."""

    local: NotificationsApi
    servers: ApiProcesses
    database: str
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def notifications_race(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresDatabases,
) -> AsyncIterator[NotificationsRace]:
    folder = tmp_path_factory.mktemp(f"notifications-race-{request.param}")
    migrations = NOTIFICATIONS_MIGRATIONS
    async for url in migrated_database(request.param, migrations, folder, postgres):
        await rule_settings(url)
        async with notifications_api(notifications_settings(url)) as local:
            with api_processes("notifications", url, folder, INSTANCES) as servers:
                yield NotificationsRace(local, servers, request.param, url)


class _Upstream(BaseHTTPRequestHandler):
    """The services behind the portal, empty: every list is empty, every count nought."""

    def do_GET(self) -> None:
        body = b"[]" if self.path.split("?")[0].endswith("api-keys") else b'{"data": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def empty_services() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class PortalRace:
    """The portal as two processes, the services behind it empty (the rules under test are
    the portal's own), and its database for the test's own sessions."""

    servers: ApiProcesses
    database: str
    url: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def portal_race(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresDatabases,
) -> AsyncIterator[PortalRace]:
    folder = tmp_path_factory.mktemp(f"portal-race-{request.param}")
    async for url in migrated_database(request.param, PORTAL_MIGRATIONS, folder, postgres):
        with empty_services() as upstream:
            urls = {f"{s}_URL": upstream for s in ("PROJECTS", "KPI", "FUNDING", "NOTIFICATIONS")}
            with api_processes(
                "portal", url, folder, INSTANCES, SECURE_COOKIES="false", **urls
            ) as s:
                yield PortalRace(s, request.param, url)


@dataclass
class KpiRace:
    """The KPI API as two processes, and over ASGI in the test's process (same database), to
    set up registry facts, KPIs and keys and to read back."""

    local: KpiService
    servers: ApiProcesses
    database: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def kpi_race(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresDatabases,
) -> AsyncIterator[KpiRace]:
    folder = tmp_path_factory.mktemp(f"kpi-race-{request.param}")
    async for url in migrated_database(request.param, KPI_MIGRATIONS, folder, postgres):
        await load_catalogue(url)
        async for local in kpi_service(url):
            with api_processes("kpi", url, folder, INSTANCES) as servers:
                yield KpiRace(local, servers, request.param)
