"""The export page's EU transmissions, server side (ADR 30): the portal over the real
registry, KPI and funding APIs in this process, signed in as a finance officer. Transmit at
a cut-off, see the refusals in words (409 already transmitted, 422 a date off the cut-offs
without a reason), correct, download the sealed files byte for byte, and read the diff
against today in Dutch and English, with names instead of codes."""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.funding.main import MIGRATIONS as FUNDING_MIGRATIONS
from services.funding.main import create_app as funding_app
from services.funding.rules_data import load_ceilings
from services.kpi.catalogue import load_catalogue
from services.kpi.main import MIGRATIONS as KPI_MIGRATIONS
from services.kpi.main import create_app as kpi_app
from services.portal.config import PortalSettings
from services.portal.main import MIGRATIONS as PORTAL_MIGRATIONS
from services.portal.main import create_app as portal_app
from services.portal.seed import seed_admin
from services.portal.services import signed_in
from services.portal.uow import PortalUnitOfWork
from services.projects.main import MIGRATIONS as PROJECTS_MIGRATIONS
from services.projects.main import create_app as projects_app
from shared.auth import Role
from shared.contracts import kpi
from shared.migrations import upgrade
from tests.conftest import JWT_SECRET, AuthHeaders, registry_settings
from tests.integration.funding.harness import FundingService, funding_settings
from tests.integration.funding.test_transmissions import PLAN, approved, deliver, submitted
from tests.integration.kpi.harness import kpi_settings
from tests.integration.projects import builders
from tests.registry_events import Registry

RAW = re.compile(r'"detail"\s*:|"loc"\s*:|Traceback|Internal Server Error')
CODE = re.compile(r"\b[A-Z]{2,}_[A-Z0-9_]{2,}\b|\b[a-z]+_[a-z_]+\b")  # as the browser walk
CUTOFF = "2026-07-31"


@dataclass
class Portal:
    client: httpx.AsyncClient
    csrf: str
    programme: str
    funding: FundingService


def main_text(page: httpx.Response) -> str:
    body = page.text.split("<main", 1)[-1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", body)


def looks_right(page: httpx.Response) -> None:
    text = main_text(page)
    assert not RAW.search(text), text[:300]
    assert not set(CODE.findall(text)), sorted(set(CODE.findall(text)))


def migrated(migrations: Path, url: str, load: Any = None) -> None:
    upgrade(migrations, url)
    if load is not None:
        asyncio.run(load(url))


@pytest.fixture
async def portal(tmp_path: Path, auth: AuthHeaders) -> AsyncIterator[Portal]:
    urls = {name: f"sqlite+aiosqlite:///{tmp_path / name}.db" for name in ("p", "k", "f", "w")}
    for migrations, url, load in (
        (PROJECTS_MIGRATIONS, urls["p"], None),
        (KPI_MIGRATIONS, urls["k"], load_catalogue),
        (FUNDING_MIGRATIONS, urls["f"], load_ceilings),
        (PORTAL_MIGRATIONS, urls["w"], None),
    ):
        await asyncio.to_thread(migrated, migrations, url, load)
    apis = {
        "projects": projects_app(registry_settings(urls["p"])),
        "kpi": kpi_app(kpi_settings(urls["k"])),
        "funding": funding_app(funding_settings(urls["f"])),
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
    staff = auth(Role.ADMIN)
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apis["projects"]), base_url="http://projects"
        ) as registry_client,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apis["funding"]), base_url="http://funding"
        ) as funding_client,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://portal"
        ) as client,
    ):
        lead = await builders.organisation(registry_client, staff, name="IBDO Lead BV")
        programme, _, _ = await builders.programme_with_goals(registry_client, staff)
        funding = FundingService(
            funding_client,
            apis["funding"].state.runtime,
            funding_settings(urls["f"]),
            Registry(programme=uuid.UUID(programme["id"])),
            [date(2026, 11, 29)],
        )
        await prepare(funding, auth, lead["id"])
        password = await seed_admin(app.state.runtime)
        signed = await client.post("/login", data={"username": "admin", "password": password})
        assert signed.status_code == 303, signed.text
        runtime = app.state.runtime
        async with PortalUnitOfWork(runtime.sessions, "test", write=False) as uow:
            who = await signed_in(uow, client.cookies["koers_session"])
        assert who is not None
        yield Portal(client, who.csrf, programme["id"], funding)
    await app.state.http.aclose()
    for a in (*apis.values(), app):
        await a.state.runtime.close()


async def prepare(funding: FundingService, auth: AuthHeaders, lead: str) -> None:
    """IBDO with an EFRO grant and 12 enterprises approved for 2026-Q2 (RCO01, defined)."""
    r = funding.registry
    r.goal("LINE-A", kind="programme_line")
    r.organisations["IBDO Lead BV"] = uuid.UUID(lead)
    r.project("IBDO", lead="IBDO Lead BV", goals=["LINE-A"], municipality="Assen")
    await funding.deliver()
    finance = auth(Role.FINANCE_OFFICER)
    ibdo = r.projects["IBDO"]
    for url, method, body in (
        (
            f"/v1/programmes/{r.programme}/funding",
            "PUT",
            {"region_category": "transition", "jtf_territory": []},
        ),
        (f"/v1/projects/{ibdo}/plan", "PUT", PLAN),
        (
            f"/v1/projects/{ibdo}/grants",
            "POST",
            {"fund": "efro", "decided_on": "2026-03-01", "amount": "190000.00", "reference": "B"},
        ),
    ):
        response = await funding.client.request(method, url, json=body, headers=finance)
        assert response.status_code < 300, response.text
    first = submitted(funding, "12", period="2026-Q2")
    await deliver(funding, first, approved(funding, first), realised(funding, "12"))


def realised(funding: FundingService, value: str) -> kpi.OutputsRealised:
    return kpi.OutputsRealised(
        project_id=funding.registry.projects["IBDO"],
        outputs=[
            kpi.RealisedValue(
                indicator_code="RCO01",
                indicator_kind="flow",
                unit="enterprises",
                eu_code="RCO01",
                realised=Decimal(value),
                as_of=date(2026, 6, 30),
                approved=Decimal(value),
            )
        ],
    )


def page_of(portal: Portal, tail: str = "", **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"programme": portal.programme, **params}.items())
    return f"/exports/transmissions{tail}?{query}&fund=efro"


async def transmit(portal: Portal, **form: str) -> httpx.Response:
    data = {"csrf": portal.csrf, "programme": portal.programme, "fund": "efro", **form}
    return await portal.client.post("/exports/transmissions", data=data)


async def test_a_finance_officer_transmits_and_sees_refusals_in_words(portal: Portal) -> None:
    empty = await portal.client.get(page_of(portal))
    assert empty.status_code == 200 and "Nog niets verzonden." in empty.text
    assert 'name="cutoff"' in empty.text and "31 jul 2026" in empty.text
    looks_right(empty)

    sent = await transmit(portal, cutoff=CUTOFF)
    assert sent.status_code == 303, sent.text
    listed = await portal.client.get(sent.headers["location"])
    assert "Verzonden en verzegeld: verzending 1." in listed.text
    assert 'data-number="1"' in listed.text

    again = await transmit(portal, cutoff=CUTOFF)
    assert again.status_code == 409
    assert (
        "Peildatum 2026-07-31 is al verzonden (verzending 1). Verzend opnieuw als correctie "
        "van verzending 1, met een reden." in again.text
    )
    looks_right(again)
    odd = await transmit(portal, cutoff="other", other="2026-09-15")
    assert odd.status_code == 422
    assert "2026-09-15 is geen EU-peildatum (31 januari, 31 juli): geef een reden." in odd.text
    looks_right(odd)
    nothing = await transmit(portal, cutoff="other", other="")
    assert nothing.status_code == 422 and "Kies een peildatum" in nothing.text
    bare = await transmit(portal, cutoff=CUTOFF, corrects="1")
    assert bare.status_code == 422 and "Geef een reden voor de correctie." in bare.text

    corrected = await transmit(portal, cutoff=CUTOFF, corrects="1", reason="IBDO herzien")
    assert corrected.status_code == 303, corrected.text
    assert corrected.headers["location"].endswith("done=2#transmissions")
    listed = await portal.client.get(page_of(portal))
    row = listed.text.split('data-number="2"', 1)[1].split("</tr>", 1)[0]
    assert "Verzending 1" in row and "IBDO herzien" in row and "admin" in row


async def test_the_sealed_files_come_through_byte_for_byte(
    portal: Portal, auth: AuthHeaders
) -> None:
    assert (await transmit(portal, cutoff=CUTOFF)).status_code == 303
    api = f"/v1/programmes/{portal.programme}/eu-reports/efro/transmissions/1"
    for fmt in ("xlsx", "csv", "json"):
        direct = await portal.funding.client.get(api, params={"format": fmt}, headers=auth())
        through = await portal.client.get(page_of(portal, "/1/file", format=fmt))
        assert through.status_code == 200
        assert through.content == direct.content
        assert through.headers["x-content-sha256"] == direct.headers["x-content-sha256"]
        name = re.search(r'filename="([^"]+)"', through.headers["content-disposition"])
        assert name is not None and name.group(1).startswith("eu-verzending-efro-1-")
        assert name.group(1).endswith(f"-peildatum-{CUTOFF}.{fmt}")
    opened = await portal.client.get(page_of(portal, "/1"))
    assert opened.status_code == 200
    assert "Verzending 1 · EFRO · 31 jul 2026" in opened.text
    assert "RCO01" in opened.text and direct.headers["x-content-sha256"] in opened.text
    looks_right(opened)


async def test_the_diff_names_the_revision_its_reason_actor_and_flag_in_both_languages(
    portal: Portal,
) -> None:
    assert (await transmit(portal, cutoff=CUTOFF)).status_code == 303
    funding = portal.funding
    revision = submitted(
        funding,
        "15",
        version=2,
        reason="drie bedrijven gemist",
        period="2026-Q2",
        flags=["restates:efro-1"],
    )
    await deliver(funding, revision, approved(funding, revision), realised(funding, "15"))
    diff = await portal.client.get(page_of(portal, "/1/diff"))
    assert diff.status_code == 200, diff.text
    looks_right(diff)
    text = " ".join(main_text(diff).split())
    assert "RCO01 EU-indicator waarde 12 15" in text
    assert "herziening na goedkeuring herziet verzending 1 (EFRO)" in text
    assert "drie bedrijven gemist" in text and "goedkeuring" in text and "reviewer" in text

    english = await portal.client.post(
        "/language", data={"csrf": portal.csrf, "lang": "en", "back": page_of(portal, "/1/diff")}
    )
    assert english.status_code == 303
    diff = await portal.client.get(english.headers["location"])
    text = " ".join(main_text(diff).split())
    assert "revision after approval restates transmission 1 (ERDF)" in text
    assert "RCO01 EU indicator value 12 15" in text
    looks_right(diff)


async def test_a_forged_form_and_an_unknown_transmission_are_refused(portal: Portal) -> None:
    forged = await portal.client.post(
        "/exports/transmissions",
        data={"csrf": "not-the-token", "programme": portal.programme, "fund": "efro"},
    )
    assert forged.status_code == 403
    unknown = await portal.client.get(page_of(portal, "/7/diff"))
    assert unknown.status_code == 404
    looks_right(unknown)
