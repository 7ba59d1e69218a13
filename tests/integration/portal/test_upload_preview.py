"""The upload page's preview, server side (issue 22): the portal over the real registry and
KPI APIs in this process, signed in as the admin. A file is checked first (the KPI
service's dry run: nothing stored), shown as the rows that would be stored and those that
would not, in Dutch; "store these N reports" stores them; a file with only refusals is a
failure; a store form whose rows were tampered with is refused in words."""

import asyncio
import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.kpi.catalogue import load_catalogue
from services.kpi.main import MIGRATIONS as KPI_MIGRATIONS
from services.kpi.main import create_app as kpi_app
from services.portal.config import PortalSettings
from services.portal.main import MIGRATIONS as PORTAL_MIGRATIONS
from services.portal.main import create_app as portal_app
from services.portal.seed import seed_admin
from services.projects.main import MIGRATIONS as PROJECTS_MIGRATIONS
from services.projects.main import create_app as projects_app
from shared.migrations import upgrade
from tests.conftest import JWT_SECRET, AuthHeaders, registry_settings
from tests.integration.kpi.harness import KpiService, kpi_settings
from tests.registry_events import Registry

RAW = re.compile(r'"detail"\s*:|"loc"\s*:|Traceback|Internal Server Error')


@dataclass
class Portal:
    client: httpx.AsyncClient
    kpi: KpiService
    auth: AuthHeaders
    services: httpx.AsyncClient  # the portal's own client to the registry and the KPI service

    async def stored(self) -> list[tuple[str, str]]:
        """The KPI service's versions of IBDO's reports, as (period, value)."""
        answer = await self.kpi.client.get(
            f"/v1/projects/{self.kpi.registry.projects['IBDO']}/reports", headers=self.auth()
        )
        return [(r["period"], r["value"]) for r in answer.json()]


def migrated(migrations: Path, url: str, load: Any = None) -> None:
    upgrade(migrations, url)
    if load is not None:
        asyncio.run(load(url))


@pytest.fixture
async def portal(tmp_path: Path, auth: AuthHeaders) -> AsyncIterator[Portal]:
    urls = {name: f"sqlite+aiosqlite:///{tmp_path / name}.db" for name in ("p", "k", "w")}
    for migrations, url, load in (
        (PROJECTS_MIGRATIONS, urls["p"], None),
        (KPI_MIGRATIONS, urls["k"], load_catalogue),
        (PORTAL_MIGRATIONS, urls["w"], None),
    ):
        await asyncio.to_thread(migrated, migrations, url, load)
    settings = kpi_settings(urls["k"])
    today = [date(2019, 6, 1)]
    apis = {
        "projects": projects_app(registry_settings(urls["p"])),
        "kpi": kpi_app(settings, today=lambda: today[0]),
    }
    app = portal_app(
        PortalSettings(
            database_url=urls["w"],
            kafka_bootstrap_servers="127.0.0.1:1",
            jwt_secret=JWT_SECRET,
            secure_cookies=False,
            projects_url="http://projects",
            kpi_url="http://kpi",
            funding_url="http://funding",
            notifications_url="http://notifications",  # not running: the header does without
        )
    )
    app.state.http = httpx.AsyncClient(
        mounts={f"http://{n}": httpx.ASGITransport(app=a) for n, a in apis.items()}
    )
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apis["kpi"]), base_url="http://kpi"
        ) as kpi_client,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://portal"
        ) as client,
    ):
        kpi = KpiService(kpi_client, apis["kpi"].state.runtime, settings, Registry(), today)
        kpi.registry.goal("LINE", kind="programme_line")
        kpi.registry.organisation("IBDO BV")
        kpi.registry.project("IBDO", lead="IBDO BV", goals=["LINE"])
        await kpi.deliver()
        declared = await kpi_client.put(
            f"/v1/projects/{kpi.registry.projects['IBDO']}/kpis/ENTREPRENEURS_REACHED",
            json={"target_value": 1000, "target_date": "2019-12-31"},
            headers=auth(),
        )
        assert declared.status_code == 200, declared.text
        password = await seed_admin(app.state.runtime)
        signed = await client.post("/login", data={"username": "admin", "password": password})
        assert signed.status_code == 303, signed.text
        yield Portal(client, kpi, auth, app.state.http)
    await app.state.http.aclose()
    for a in (*apis.values(), app):
        await a.state.runtime.close()


def hidden(page: httpx.Response, name: str) -> str | None:
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    return html.unescape(found.group(1)) if found else None


def table_rows(page: httpx.Response, css: str) -> list[list[str]]:
    """The body rows of the table of that class, as the text of their cells."""
    table = page.text.split(f'<table class="{css}">', 1)
    if len(table) < 2:
        return []
    body = table[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


async def upload(portal: Portal, text: str) -> httpx.Response:
    form = await portal.client.get("/upload")
    assert form.status_code == 200
    csrf = hidden(form, "csrf")
    assert csrf
    files = {"file": ("reports.csv", text.encode(), "text/csv")}
    return await portal.client.post("/upload", data={"csrf": csrf}, files=files)


async def test_a_file_is_previewed_first_and_stored_on_request(portal: Portal) -> None:
    preview = await upload(
        portal,
        "project;indicator;period;value\n"
        "IBDO;ENTREPRENEURS_REACHED;2019-Q1;2.500\n"  # Dutch thousands: 2500, over 200 % of 1000
        "IBDO;ENTREPRENEURS_REACHED;2019-Q2;veel\n"
        "IBDO;ENTREPRENEURS_REACHED;2019-Q3;8\n",
    )
    assert preview.status_code == 200, preview.text
    assert "Dit was een controle: er is niets opgeslagen." in preview.text
    assert table_rows(preview, "preview") == [
        [
            "2",
            "IBDO",
            "Bereikte ondernemers",  # the indicator's name, not its code
            "2019-Q1",
            "2500",
            "nieuw",
            "ver boven de streefwaarde",
        ],
        # to date 2508 with the row above counted: flagged too
        [
            "4",
            "IBDO",
            "Bereikte ondernemers",  # the indicator's name, not its code
            "2019-Q3",
            "8",
            "nieuw",
            "ver boven de streefwaarde",
        ],
    ]
    problems = table_rows(preview, "problems")
    assert [p[:2] for p in problems] == [["3", "waarde"]]
    assert not RAW.search(preview.text)
    assert await portal.stored() == []  # nothing stored yet

    rows, csrf = hidden(preview, "rows"), hidden(preview, "csrf")
    assert rows and csrf and "Deze 2 rapportages opslaan" in preview.text
    stored = await portal.client.post("/upload/store", data={"csrf": csrf, "rows": rows})
    assert stored.status_code == 200, stored.text
    assert '<span class="accepted">2</span> rijen verwerkt' in stored.text
    assert "niets opgeslagen" not in stored.text and 'name="rows"' not in stored.text
    assert await portal.stored() == [("2019-Q1", "2500"), ("2019-Q3", "8")]


async def test_a_file_with_only_refusals_is_a_failure_with_nothing_to_store(
    portal: Portal,
) -> None:
    preview = await upload(
        portal, "project,indicator,period,value\nIBDO,ENTREPRENEURS_REACHED,2019-Q9,1\n"
    )
    assert preview.status_code == 422
    assert 'class="failure"' in preview.text and "Het bestand is afgewezen." in preview.text
    assert 'class="success"' not in preview.text
    assert hidden(preview, "rows") is None  # no "store" button
    assert [p[:2] for p in table_rows(preview, "problems")] == [["2", "periode"]]


async def test_rows_to_store_that_were_tampered_with_are_refused_in_words(
    portal: Portal,
) -> None:
    form = await portal.client.get("/upload")
    csrf = hidden(form, "csrf")
    for rows in ("not json", '{"items": [], "rows": []}', '{"items": [1], "rows": ["x"]}'):
        answer = await portal.client.post("/upload/store", data={"csrf": csrf, "rows": rows})
        assert answer.status_code == 422, answer.text
        assert "upload het bestand opnieuw" in answer.text
    assert await portal.stored() == []
