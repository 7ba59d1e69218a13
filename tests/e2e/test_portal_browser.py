"""The staff portal in a real browser (Debian's chromium, headless, driven by Playwright) on
the whole platform as `make run` starts it, with the Drenthe demo. Screenshots of the main
pages go to .artifacts/screenshots."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from shared.broker import free_port
from tests.e2e.platform import start, stop, wait_for_start

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@dataclass
class Platform:
    portal: str
    kpi: str
    admin_password: str


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    ports = {
        n: free_port() for n in ("broker", "projects", "kpi", "funding", "notifications", "portal")
    }
    process = start(tmp_path_factory.mktemp("platform"), ports)
    lines = wait_for_start(process)
    password = next(
        re.search(r"password (\S+)", line) for line in lines if "sign in as admin" in line
    )
    assert password is not None
    yield Platform(
        f"http://127.0.0.1:{ports['portal']}", f"http://127.0.0.1:{ports['kpi']}", password.group(1)
    )
    stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


def signed_in(browser: Browser, platform: Platform, user: str, password: str) -> Page:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(platform.portal + "/login")
    page.get_by_label(re.compile("Gebruikersnaam|Username")).fill(user)
    page.get_by_label(re.compile("Wachtwoord|Password")).fill(password)
    page.get_by_role("button", name=re.compile("Inloggen|Sign in")).click()
    page.wait_for_url(platform.portal + "/")
    return page


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ibdo_row(page: Page, indicator: str = "ENTREPRENEURS_REACHED") -> str:
    return page.locator(f'tr[data-indicator="{indicator}"]').first.inner_text()


def test_overview_drill_down_and_review(browser: Browser, platform: Platform) -> None:
    page = signed_in(browser, platform, "admin", platform.admin_password)
    expect(page.get_by_role("heading", name="Programma-overzicht")).to_be_visible()
    row = ibdo_row(page)
    assert "1.705" in row and "1.500" in row and "113,7%" in row  # the Dutch way
    assert "gebeurtenissen in de wachtrij" in page.locator(".fresh").inner_text()
    shot(page, "overview")

    page.get_by_role("link", name="Concurrentiekracht").click()
    expect(page.get_by_role("heading", name=re.compile("Concurrentiekracht"))).to_be_visible()
    not_yet = page.locator('tr[data-indicator="ENTREPRENEURS_REACHED"] .approved').inner_text()
    assert "1.705" not in not_yet  # nothing approved yet
    shot(page, "goal")
    page.get_by_role("link", name=re.compile("^IBDO")).click()
    expect(page.get_by_role("heading", name=re.compile("Ik Ben Drents Ondernemer"))).to_be_visible()
    kpi = ibdo_row(page)
    assert "1.705" in kpi and "1.500" in kpi
    shot(page, "project")
    crumbs = page.get_by_role("navigation", name="Kruimelpad")  # back to its goals and line
    assert (crumbs.get_by_role("link").first.get_attribute("href") or "").startswith("/?programme=")
    crumbs.get_by_role("link", name="Concurrentiekracht").first.click()
    expect(page.get_by_role("heading", name=re.compile("Concurrentiekracht"))).to_be_visible()
    page.go_back()

    page.goto(platform.portal + "/review")
    queued = page.locator('tr[data-indicator="ENTREPRENEURS_REACHED"]').filter(has_text="IBDO")
    expect(queued).to_contain_text("Bereikte ondernemers")  # the indicator's name, not its code
    queued.get_by_role("button", name="Goedkeuren").click()
    expect(page.get_by_role("status")).to_have_text("Opgeslagen: 1 beslist.")
    shot(page, "review")

    page.goto(platform.portal + "/")
    page.get_by_role("link", name="Concurrentiekracht").click()
    approved = page.locator('tr[data-indicator="ENTREPRENEURS_REACHED"] .approved')
    for _ in range(40):  # the aggregate follows the approval event
        if "1.705" in approved.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert "1.705" in approved.inner_text()


def test_upload_with_one_bad_row(browser: Browser, platform: Platform, tmp_path: Path) -> None:
    page = signed_in(browser, platform, "admin", platform.admin_password)
    upload = tmp_path / "reports.csv"
    upload.write_text(
        "project,indicator,period,value,comment\n"
        "IBDO,MEETINGS_ORGANISED,2019-Q3,8,from the portal\n"
        "IBDO,MEETINGS_ORGANISED,2019-Q2,lots,\n"
    )
    page.goto(platform.portal + "/upload")
    page.set_input_files('input[type="file"]', str(upload))
    page.get_by_role("button", name="Controleren").click()
    expect(page.get_by_role("status")).to_contain_text("er is niets opgeslagen")
    expect(page.locator(".accepted")).to_have_text("1")
    expect(page.locator(".rejected")).to_have_text("1")
    expect(page.get_by_role("status")).to_contain_text(
        "1 rij zou worden verwerkt, 1 rij zou worden afgewezen"
    )
    expect(page.locator("table.preview tbody tr")).to_have_count(1)
    assert page.locator("table.preview tbody tr").first.inner_text().startswith("2")
    problem = page.locator("table.problems tbody tr").first.inner_text()
    assert problem.startswith("3") and "waarde" in problem
    shot(page, "upload-preview")
    page.get_by_role(
        "button", name="Deze ene rapportage opslaan"
    ).click()  # one, not "1 rapportages"
    expect(page.get_by_role("status")).to_contain_text("1 rij verwerkt")
    expect(page.locator(".accepted")).to_have_text("1")
    expect(page.get_by_role("button", name=re.compile("opslaan"))).to_have_count(0)
    shot(page, "upload")


def test_an_issued_api_key_posts_a_report(browser: Browser, platform: Platform) -> None:
    page = signed_in(browser, platform, "admin", platform.admin_password)
    page.goto(platform.portal + "/admin")
    form = page.locator("form", has=page.get_by_role("button", name="Sleutel uitgeven"))
    form.get_by_label("Organisatie").select_option(label="Provincie Drenthe")
    form.get_by_label("Naam", exact=True).fill("Portal test CRM")
    form.get_by_role("button", name="Sleutel uitgeven").click()
    key = page.locator("code.key").inner_text()
    assert key.startswith("km_")
    shot(page, "admin")
    report = {"project": "IBDO", "indicator": "PARTNERSHIPS", "period": "2019-Q3", "value": 3}
    response = httpx.post(
        platform.kpi + "/v1/reports", json=report, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201, response.text


def test_a_viewer_cannot_reach_administration_or_approve(
    browser: Browser, platform: Platform
) -> None:
    admin = signed_in(browser, platform, "admin", platform.admin_password)
    admin.goto(platform.portal + "/admin")
    admin.get_by_label("Gebruikersnaam").fill("vera")
    admin.get_by_label("Wachtwoord").fill("viewer-password-1")
    admin.get_by_label("kijker").check()
    admin.get_by_role("button", name="Gebruiker toevoegen").click()
    expect(admin.get_by_role("cell", name="vera", exact=True)).to_be_visible()

    viewer = signed_in(browser, platform, "vera", "viewer-password-1")
    expect(viewer.get_by_role("link", name="Beheer")).to_have_count(0)
    expect(viewer.get_by_role("link", name="Beoordelen")).to_have_count(0)
    assert viewer.goto(platform.portal + "/admin").status == 403  # type: ignore[union-attr]
    assert viewer.goto(platform.portal + "/review").status == 403  # type: ignore[union-attr]
    expect(viewer.get_by_role("heading", name="Geen toegang")).to_be_visible()
    expect(viewer.get_by_role("button", name="Uitloggen")).to_be_visible()  # the menu stays
    shot(viewer, "viewer-forbidden")

    admin.goto(platform.portal + "/admin")
    admin.locator("tr", has_text="vera").get_by_role("button", name="Uitschakelen").click()
    viewer.goto(platform.portal + "/")
    assert viewer.url == platform.portal + "/login"  # a deactivated user's session ends
