# ruff: noqa: F811  (pytest fixtures imported from the other portal module, named as arguments)
"""The whole portal as a programme manager meets it (issue 22), in Debian's chromium under
the portal's real CSP with JavaScript on, on the platform as `make run` starts it:

- every page of the menu and every link on it one level deep: no 5xx, no raw JSON, no
  script refused by the CSP, no codes where names belong; axe-core (the npm package,
  evaluated in the page) finds no serious or critical violation; a screenshot of each;
- every form, once with valid and once with invalid input, and what each one did.
"""

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, expect

from tests.e2e.test_portal_browser import (  # noqa: F401 (fixtures used by name)
    Platform,
    browser,
    platform,
    shot,
    signed_in,
)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RAW = re.compile(r'^\s*[\[{]|"detail"\s*:|"loc"\s*:|Traceback|Internal Server Error')
CODE = re.compile(
    r"\b[A-Z]{2,}_[A-Z0-9_]{2,}\b|\b[a-z]+_[a-z_]+\b"
)  # ENTREPRENEURS_REACHED, on_track
ACTOR = re.compile(r"\b(?:organisation|staff):[\w-]+")
CONSOLE: dict[int, list[str]] = {}  # per page: the browser's errors
NOT_A_PAGE = ("/static/", "/exports/", "/upload/template", "/favicon.ico")

pytestmark = pytest.mark.skipif(
    not AXE.exists(), reason="axe-core is not installed: run `npm ci` (make test does)"
)


@pytest.fixture
def page(browser: Browser, platform: Platform) -> Iterator[Page]:
    signed = signed_in(browser, platform, "admin", platform.admin_password)
    refused: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            refused.append(f"{signed.url}: {message.text}")

    signed.on("console", console)
    CONSOLE[id(signed)] = refused
    yield signed
    signed.close()
    assert not [r for r in refused if "Content Security Policy" in r or "Refused" in r], refused


def choose(select: Locator, start: str) -> None:
    """Choose the option whose text starts with (or, for a programme, holds) `start`."""
    texts = select.locator("option").all_inner_texts()
    select.select_option(label=next(t for t in texts if t.startswith(start) or start in t))


def looks_right(page: Page, where: str) -> None:
    """What a user would see wrong on any page: raw JSON, a 5xx text, a code for a name."""
    text = page.locator("body").inner_text()
    assert not RAW.search(text), (where, text[:300])
    main = page.locator("main").inner_text()
    codes = set(CODE.findall(main)) - {"staff_seed"}
    assert not codes, (where, sorted(codes)[:10])
    actors = ACTOR.findall(main)  # who did it by name, not `organisation:<id>`
    assert not actors, (where, actors[:3])


def accessible(page: Page, where: str) -> None:
    log = CONSOLE.get(id(page), [])
    before = len(log)
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    found = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    del log[before:]  # axe sets inline styles to measure contrast: the CSP refuses those
    assert found == [], (where, json.dumps(found))


def legible_charts(page: Page, where: str) -> int:
    """Every chart's text as drawn on this screen: at least 12 px (an SVG scales its text
    with its width). How many texts were measured."""
    sizes = page.evaluate(
        "() => [...document.querySelectorAll('svg.chart text')].map(t => {"
        " const m = t.ownerSVGElement.getScreenCTM();"
        " return m ? parseFloat(getComputedStyle(t).fontSize) * m.a : 99; })"
    )
    small = [px for px in sizes if px < 12]
    assert small == [], (where, small[:3])
    return len(sizes)


def shape(path: str) -> str:
    """/projects/<id> and /goals/<id>: one check of axe per kind of page is enough."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<id>", path.split("#")[0].split("?")[0])


def test_every_menu_page_and_every_link_one_level_deep(page: Page, platform: Platform) -> None:
    menu = [
        urlparse(a.get_attribute("href") or "/").path for a in page.locator("header nav a").all()
    ]
    assert {
        "/",
        "/review",
        "/completeness",
        "/upload",
        "/exports",
        "/notifications",
        "/admin",
    } <= set(menu)
    linked: dict[str, str] = {}
    checked: set[str] = set()
    measured = 0  # chart texts
    for path in menu:
        response = page.goto(platform.portal + path)
        assert response is not None and response.status == 200, path
        looks_right(page, path)
        measured += legible_charts(page, path)
        accessible(page, path)
        checked.add(shape(path))
        shot(page, "menu" + (path.replace("/", "-") if path != "/" else "-overview"))
        for a in page.locator("main a[href]").all():
            href = (a.get_attribute("href") or "").split("#")[0]
            if href.startswith("/") and not href.startswith(NOT_A_PAGE) and href not in menu:
                linked.setdefault(href, path)
    assert len(linked) > 10, linked
    assert measured > 0  # the overview's charts at least
    for href, source in sorted(linked.items()):
        response = page.goto(platform.portal + href)
        assert response is not None and response.status < 500, (source, href)
        assert response.status in (200, 404) or href.startswith("/review"), (href, response.status)
        looks_right(page, href)
        measured += legible_charts(page, href)
        if shape(href) not in checked:
            checked.add(shape(href))
            accessible(page, href)
            shot(page, "linked" + re.sub(r"[^a-z0-9]+", "-", shape(href)))
    for wrong in ("/goals/not-a-uuid", "/projects/00000000-0000-0000-0000-000000000000", "/nope"):
        response = page.goto(platform.portal + wrong)
        assert response is not None and response.status == 404, wrong
        expect(page.get_by_role("heading", name="Niet gevonden")).to_be_visible()
        expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()  # the menu stays
        accessible(page, wrong)
    icon = page.request.get(platform.portal + "/favicon.ico")  # as the browser fetches it
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"


def test_the_overview_in_any_programme_period_line_and_fund(page: Page, platform: Platform) -> None:
    choose(page.locator("select[name=programme]"), "2020")
    page.wait_for_url(re.compile(r"programme="))  # chosen without a button: the script
    expect(page.locator("h2").first).to_be_visible()
    assert "2020" in page.locator("select[name=programme] option:checked").inner_text()
    page.goto(platform.portal + "/")
    filters = page.get_by_role("form", name="Filters")
    filters.get_by_label("Vanaf periode").select_option("2019-Q1")
    filters.get_by_label("Tot en met periode").select_option("2019-Q4")
    filters.get_by_label("Fonds").select_option(label="EFRO")
    filters.get_by_label("Alleen goedgekeurde waarden").check()
    filters.get_by_role("button", name="Filteren").click()
    assert "from=2019-Q1" in page.url and "fund=efro" in page.url and "approved=1" in page.url
    for money in page.locator("section.line table").first.locator("tbody th").all():
        assert money.inner_text() == "EFRO"  # only the chosen fund
    outputs = page.locator("section.line table.outputs").first
    expect(outputs.locator("thead")).not_to_contain_text("Ingediend")  # approved values only
    for row in outputs.locator("tbody tr[data-indicator]").all():
        cells = row.locator("td").all_inner_texts()  # unit, approved, target, %, status
        assert cells[1] != "\u2013" or cells[3] == "\u2013", cells  # no share of nothing
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV voor Nederlandse Excel (puntkomma)").click()
    body = Path(download.value.path()).read_bytes()
    assert body.startswith("\ufeff".encode()) and b";" in body
    assert "-efro-2019-q1-2019-q4-" in download.value.suggested_filename  # fund and periods
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert any(r[:2] == ["Alleen goedgekeurde waarden", "ja"] for r in rows)
    looks_right(page, "/ filtered")
    page.locator("section.line h2 a").first.click()  # a line's goal page, the same filters
    expect(page.get_by_role("form", name="Filters").get_by_label("Vanaf periode")).to_have_value(
        "2019-Q1"
    )
    assert "approved=1" in page.url and "fund=efro" in page.url
    expect(page.locator("table.outputs thead").first).not_to_contain_text("Ingediend")
    looks_right(page, "goal filtered")

    bad = page.goto(platform.portal + "/?from=2019-Q9")
    assert bad is not None and bad.status == 422
    expect(page.get_by_role("alert")).to_contain_text("heeft niet de juiste vorm")
    looks_right(page, "/?from=2019-Q9")


def test_review_decides_with_context_and_comes_back_to_the_same_place(
    page: Page, platform: Platform
) -> None:
    page.goto(platform.portal + "/review")
    filters = page.get_by_role("form", name="Filters")
    choose(filters.locator("select[name=project]"), "HHR")
    filters.get_by_role("button", name="Filteren").click()
    page.wait_for_url(re.compile(r"project="))
    rows = page.locator("table.review tbody tr[data-report]")
    expect(rows.first).to_be_visible()  # the filtered page, loaded
    assert rows.count() >= 3 and all("HHR" in r.inner_text() for r in rows.all())
    where = page.url

    page.get_by_role("button", name="Selectie goedkeuren").click()  # nothing selected
    expect(page.get_by_role("alert")).to_have_text("Selecteer eerst een of meer rapportages.")
    page.goto(where)
    rows.nth(0).get_by_role("checkbox").check()
    page.get_by_role("button", name="Selectie terugsturen").click()  # no reason
    expect(page.get_by_role("alert")).to_have_text("Geef een reden om terug te sturen.")

    page.goto(where)
    first, second = rows.nth(0), rows.nth(1)
    ids = [first.get_attribute("data-report"), second.get_attribute("data-report")]
    first.get_by_role("checkbox").check()
    second.get_by_role("checkbox").check()
    page.get_by_label("Reden bij terugsturen", exact=True).fill("Graag de deelnemerslijst erbij")
    page.get_by_role("button", name="Selectie terugsturen").click()
    expect(page.get_by_role("status")).to_have_text("Opgeslagen: 2 beslist.")
    assert "project=" in page.url  # the same filters
    for report_id in ids:
        expect(page.locator(f'tr[data-report="{report_id}"]')).to_have_count(0)
    row = rows.nth(0)
    report_id = row.get_attribute("data-report")
    row.locator("summary").click()  # the versions and the conversation with the partner
    row.get_by_role("button", name="Reactie toevoegen").click()  # nothing written
    expect(page.get_by_role("alert")).to_have_text("Schrijf eerst een reactie.")
    row = page.locator(f'tr[data-report="{report_id}"]')
    row.locator("summary").click()
    row.get_by_label("Uw reactie aan de partner").fill("Klopt 26,4 FTE? Dat is meer dan verwacht.")
    row.get_by_role("button", name="Reactie toevoegen").click()
    expect(page.get_by_role("status")).to_have_text("Reactie geplaatst.")
    row = page.locator(f'tr[data-report="{report_id}"]')
    row.locator("summary").click()
    expect(row.locator("ol.thread li.staff")).to_contain_text("Klopt 26,4 FTE?")
    row.get_by_role("button", name="Goedkeuren").click()
    expect(page.get_by_role("status")).to_have_text("Opgeslagen: 1 beslist.")
    shot(page, "review-decided")


def test_locking_a_period_and_granting_an_exception(page: Page, platform: Platform) -> None:
    page.goto(platform.portal + "/review")
    chooser = page.locator("form[aria-label='Vergrendelingen van een programma']")
    choose(chooser.locator("select[name=programme]"), "2016")
    chooser.get_by_role("button", name="Vergrendelingen tonen").click()
    lock = page.locator("form[action='/review/locks']")
    offered = lock.get_by_label("Periode").locator("option").all_inner_texts()
    assert offered[0] == "2016-Q1" and offered[-1] == "2019-Q4", offered  # its years only
    lock.get_by_label("Periode").select_option("2016-Q1")
    lock.get_by_role("button", name="Periode vergrendelen").click()
    expect(page.get_by_role("status")).to_have_text("Periode vergrendeld.")
    locked = page.locator("#locked-periods tbody tr", has_text="2016-Q1")
    expect(locked).to_contain_text("admin")
    expect(locked.locator("td").nth(2)).to_have_text(re.compile(r"\d{4},? \d{2}:\d{2}"))
    assert "2016-Q1" not in page.locator("form[action='/review/locks'] option").all_inner_texts()
    shot(page, "review-locked")

    exception = page.locator("form[action='/review/lock-exceptions']")
    choose(exception.locator("select[name=project_id]"), "IBDO")
    exception.get_by_label("Periode").select_option("2016-Q1")
    exception.get_by_label("Reden").fill("Late factuur van de accountant")
    exception.get_by_role("button", name="Uitzondering verlenen").click()
    expect(page.get_by_role("status")).to_have_text("Uitzondering verleend.")
    granted = page.locator("#lock-exceptions tbody tr", has_text="Late factuur van de accountant")
    expect(granted).to_contain_text("Ik Ben Drents Ondernemer")
    expect(granted).to_contain_text("2016-Q1")
    looks_right(page, "locks listed")

    # a period outside the programme's years, forged past the list: refused by the KPI service
    lock = page.locator("form[action='/review/locks']")
    lock.get_by_label("Periode").evaluate("e => { e.options[0].value = '2020-Q1' }")
    lock.get_by_role("button", name="Periode vergrendelen").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "2020-Q1 valt buiten de jaren van het programma (2016 tot en met 2019)"
    )
    looks_right(page, "lock 2020-Q1")

    lock = page.locator("form[action='/review/locks']")
    lock.get_by_label("Periode").evaluate("e => { e.options[0].value = '2016-Q7' }")
    lock.get_by_role("button", name="Periode vergrendelen").click()
    expect(page.get_by_role("alert")).to_contain_text("periode")
    looks_right(page, "lock 2016-Q7")


def test_completeness_sends_reminders(page: Page, platform: Platform) -> None:
    page.goto(platform.portal + "/completeness")
    page.get_by_role("button", name="Herinnering sturen").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Selecteer eerst een of meer ontbrekende rapportages."
    )
    missing = page.locator("table.missing tbody tr")
    assert missing.count() >= 1
    missing.nth(0).get_by_role("checkbox").check()
    page.get_by_role("button", name="Herinnering sturen").click()
    expect(page.get_by_role("status")).to_have_text(
        "Herinneringen verstuurd: 1; vandaag al eerder herinnerd: 0."
    )
    shot(page, "completeness-reminded")


def test_upload_template_and_a_rejected_file(
    page: Page, platform: Platform, tmp_path: Path
) -> None:
    page.goto(platform.portal + "/upload")
    choose(page.locator("select[name=project]"), "IBDO")
    with page.expect_download() as download:
        page.get_by_role("button", name="Sjabloon downloaden").click()
    template = Path(download.value.path()).read_text(encoding="utf-8")
    assert template.startswith("\ufeffproject;indicator;period;")  # opens in Dutch Excel
    assert "IBDO;ENTREPRENEURS_REACHED;" in template
    page.goto(platform.portal + "/upload")
    page.set_input_files('input[type="file"]', str(_file(tmp_path, template)))
    page.get_by_role("button", name="Controleren").click()
    expect(page.locator(".rejected")).to_have_text("0")  # every sample row would be accepted
    expect(page.get_by_role("status")).to_contain_text("er is niets opgeslagen")
    expect(page.locator("table.preview")).to_contain_text("Bereikte ondernemers")
    looks_right(page, "upload preview")  # indicators by name, outcomes in words
    page.get_by_role("button", name=re.compile(r"Deze \d+ rapportages opslaan")).click()
    expect(page.get_by_role("status")).to_contain_text("rijen verwerkt")
    expect(page.locator(".rejected")).to_have_text("0")  # and every one was stored

    bad = tmp_path / "bad.csv"
    bad.write_text("project;indicator;period;value\nIBDO;ENTREPRENEURS_REACHED;2019-Q9;1.705\n")
    page.set_input_files('input[type="file"]', str(bad))
    page.get_by_role("button", name="Controleren").click()
    expect(page.locator(".failure")).to_contain_text("Het bestand is afgewezen.")
    expect(page.get_by_role("button", name=re.compile("opslaan"))).to_have_count(0)
    expect(page.locator("table.problems")).to_contain_text("periode")
    looks_right(page, "upload rejected")


def _file(folder: Path, template: str) -> Path:
    path = folder / "template.csv"
    path.write_text(template, encoding="utf-8")
    return path


def test_exports_for_brussels_and_for_excel(page: Page, platform: Platform) -> None:
    page.goto(platform.portal + "/exports")
    form = page.locator("form[action='/exports/eu']").first
    form.get_by_label("Peildatum").select_option(index=0)
    cutoff = form.get_by_label("Peildatum").input_value()
    form.get_by_label("Formaat").select_option("csv-nl")
    with page.expect_download() as download:
        form.get_by_role("button", name="Downloaden").click()
    name = download.value.suggested_filename
    assert name.startswith("eu-rapportage-efro-") and f"peildatum-{cutoff}" in name, name
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert "Economische Koers" in text and "Totaal" in text
    waiting = text.split("Wachtend op beoordeling", 1)[1]  # what is not in the totals yet
    assert "Code;Indicator;EU-code;Eenheid;Rapportages;Waarde;Met signaal\r\n" in waiting
    assert not re.search(r"\b[A-Z]{2,}_[A-Z0-9_]{2,}\b", text)  # indicators by name
    form = page.locator("form[action='/exports/overview']").first
    with page.expect_download() as download:
        form.get_by_role("button", name="Downloaden").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    bad = page.goto(platform.portal + "/exports/eu?programme=not-an-id")
    assert bad is not None and bad.status in (404, 422)
    looks_right(page, "/exports/eu bad")


def test_a_transmission_sealed_refused_again_opened_downloaded_and_compared(
    page: Page, platform: Platform
) -> None:
    """ADR 30 on the export page: a finance task walked as a user does it, plain forms only."""
    page.goto(platform.portal + "/exports")
    page.get_by_role("link", name=re.compile("^EU-verzendingen EFRO")).first.click()
    expect(
        page.get_by_role("heading", name="Verzendingen van de EU-rapportage EFRO")
    ).to_be_visible()
    looks_right(page, "transmissions")
    accessible(page, "transmissions")
    form = page.locator("form[action='/exports/transmissions']")
    form.get_by_label("Peildatum", exact=True).select_option("2019-07-31")
    form.get_by_role("button", name="Verzenden en verzegelen").click()
    expect(page.get_by_role("status")).to_have_text("Verzonden en verzegeld: verzending 1.")
    shot(page, "transmissions")

    form = page.locator("form[action='/exports/transmissions']")
    form.get_by_label("Peildatum", exact=True).select_option("2019-07-31")
    form.get_by_role("button", name="Verzenden en verzegelen").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Peildatum 2019-07-31 is al verzonden (verzending 1)"
    )
    looks_right(page, "transmitted twice")
    form = page.locator("form[action='/exports/transmissions']")
    form.get_by_label("Peildatum", exact=True).select_option(label="andere datum (met reden)")
    form.get_by_label("Andere datum (jjjj-mm-dd)").fill("2019-09-30")
    form.get_by_role("button", name="Verzenden en verzegelen").click()
    expect(page.get_by_role("alert")).to_have_text(
        "2019-09-30 is geen EU-peildatum (31 januari, 31 juli): geef een reden."
    )
    form = page.locator("form[action='/exports/transmissions']")
    form.get_by_label("Peildatum", exact=True).select_option("2019-07-31")
    form.get_by_label("Correctie van verzending").select_option("1")
    form.get_by_label("Reden").fill("Cijfers van IBDO nagekomen")
    form.get_by_role("button", name="Verzenden en verzegelen").click()
    expect(page.get_by_role("status")).to_have_text("Verzonden en verzegeld: verzending 2.")
    expect(page.locator('tr[data-number="2"]')).to_contain_text("Cijfers van IBDO nagekomen")

    page.locator('tr[data-number="1"]').get_by_role("link", name="Verzending 1", exact=True).click()
    expect(page.get_by_role("heading", name="Verzending 1 · EFRO · 31 jul 2019")).to_be_visible()
    looks_right(page, "transmission")
    accessible(page, "transmission")
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden XLSX").click()
    name = download.value.suggested_filename
    assert name.startswith("eu-verzending-efro-1-") and name.endswith("2019-07-31.xlsx"), name
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # a workbook
    shot(page, "transmission")

    page.get_by_role("link", name="Vergelijken met vandaag").click()
    expect(
        page.get_by_role("heading", name=re.compile("^Wat is er sindsdien veranderd"))
    ).to_be_visible()
    looks_right(page, "transmission diff")
    accessible(page, "transmission diff")
    shot(page, "transmission-diff")
    page.get_by_role("button", name="English").click()
    try:
        expect(
            page.get_by_role("heading", name=re.compile("^What has changed since"))
        ).to_be_visible()
        looks_right(page, "en transmission diff")
    finally:
        page.get_by_role("button", name="Nederlands").click()


def test_notifications_and_own_subscriptions(page: Page, platform: Platform) -> None:
    page.goto(platform.portal + "/notifications")
    box = page.get_by_role("checkbox", name="Rapportage te laat: in de portal")
    box.set_checked(not box.is_checked())
    wanted = box.is_checked()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_have_text("Opgeslagen.")
    assert (
        page.get_by_role("checkbox", name="Rapportage te laat: in de portal").is_checked() == wanted
    )
    box = page.get_by_role("checkbox", name="Budget bijna vastgelegd: in de portal")
    box.evaluate("e => { e.value = 'no_such_rule:in_app'; e.checked = true; }")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("alert")).to_be_visible()
    looks_right(page, "subscriptions refused")


def test_administration_refuses_in_words(page: Page, platform: Platform) -> None:
    page.goto(platform.portal + "/admin")
    form = page.locator("form[action='/admin/organisations']")
    form.get_by_label("Naam").fill("Gemeente Assen test")
    form.get_by_label("Soort").select_option(label="gemeente")
    form.get_by_role("button", name="Organisatie toevoegen").click()
    expect(page.get_by_role("status")).to_have_text("Opgeslagen.")
    expect(page.locator("main li", has_text="Gemeente Assen test")).to_be_visible()
    form = page.locator("form[action='/admin/organisations']")
    form.get_by_label("Naam").fill("gemeente assen TEST")
    form.get_by_role("button", name="Organisatie toevoegen").click()
    expect(page.get_by_role("alert")).to_be_visible()
    looks_right(page, "organisation twice")

    form = page.locator("form[action='/admin/users']")
    form.get_by_label("Gebruikersnaam").fill("kort")
    form.get_by_label("Wachtwoord").evaluate("e => e.removeAttribute('minlength')")
    form.get_by_label("Wachtwoord").fill("kort")
    form.get_by_label("programmamanager").check()
    form.get_by_role("button", name="Gebruiker toevoegen").click()
    expect(page.get_by_role("alert")).to_have_text("wachtwoord: minstens 12 tekens")

    page.goto(platform.portal + "/admin?done=1")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()  # same page
    page.get_by_role("button", name="Nederlands").click()
    expect(page.get_by_role("heading", name="Beheer")).to_be_visible()


def test_the_english_pages_name_every_code_too(page: Page, platform: Platform) -> None:
    page.get_by_role("button", name="English").click()
    try:
        expect(page.get_by_role("heading", name="Programme overview")).to_be_visible()
        goal = page.locator("section.line h2 a").first.get_attribute("href")
        paths = ["/", "/review", "/completeness", "/upload", "/exports", "/notifications"]
        for path in [*paths, "/admin", str(goal)]:
            response = page.goto(platform.portal + path)
            assert response is not None and response.status == 200, path
            looks_right(page, "en " + path)
        project = page.locator("main a[href^='/projects/']").first.get_attribute("href")
        page.goto(platform.portal + str(project))
        looks_right(page, "en " + str(project))
        expect(page.get_by_role("heading", name="Indicators per period")).to_be_visible()
        shot(page, "project-en")
    finally:
        page.goto(platform.portal + "/")
        page.get_by_role("button", name="Nederlands").click()


def test_the_other_forms_valid_and_invalid(
    page: Page, platform: Platform, browser: Browser
) -> None:
    """The forms the walks above leave: signing in, a lock exception without a reason, an
    API key issued, refused and revoked, notifications read one by one and all at once."""
    stranger = browser.new_page()
    try:
        stranger.goto(platform.portal + "/login")
        stranger.get_by_label("Gebruikersnaam").fill("admin")
        stranger.get_by_label("Wachtwoord").fill("not-the-password")
        stranger.get_by_role("button", name="Inloggen").click()
        expect(stranger.get_by_text("Onbekende gebruiker of onjuist wachtwoord.")).to_be_visible()
        assert stranger.url.endswith("/login")
    finally:
        stranger.close()

    page.goto(platform.portal + "/review")
    chooser = page.locator("form[aria-label='Vergrendelingen van een programma']")
    choose(chooser.locator("select[name=programme]"), "2016")
    chooser.get_by_role("button", name="Vergrendelingen tonen").click()
    exception = page.locator("form[action='/review/lock-exceptions']")
    exception.get_by_label("Periode").select_option(index=1)
    exception.get_by_label("Reden").evaluate("e => e.removeAttribute('required')")
    exception.get_by_role("button", name="Uitzondering verlenen").click()
    expect(page.get_by_role("alert")).to_contain_text("reden")
    looks_right(page, "lock exception without a reason")

    page.goto(platform.portal + "/admin")
    form = page.locator("form[action='/admin/keys']")
    form.get_by_label("Naam", exact=True).evaluate("e => e.removeAttribute('required')")
    form.get_by_role("button", name="Sleutel uitgeven").click()
    expect(page.get_by_role("alert")).to_contain_text("naam")
    looks_right(page, "key without a name")
    page.goto(platform.portal + "/admin")
    form = page.locator("form[action='/admin/keys']")
    form.get_by_label("Naam", exact=True).fill("Walk CRM")
    form.get_by_role("button", name="Sleutel uitgeven").click()
    expect(page.locator("code.key")).to_contain_text("km_")
    page.goto(platform.portal + "/admin")
    forged = page.locator("tr", has_text="Walk CRM").locator("form")
    forged.evaluate(
        "f => f.setAttribute('action', '/admin/keys/00000000-0000-0000-0000-000000000000/revoke')"
    )
    forged.get_by_role("button").click()
    expect(page.get_by_role("heading", name="Niet gevonden")).to_be_visible()
    looks_right(page, "unknown key revoked")
    page.goto(platform.portal + "/admin")
    page.locator("tr", has_text="Walk CRM").get_by_role("button", name="Intrekken").click()
    expect(page.get_by_role("status")).to_have_text("Opgeslagen.")
    expect(page.locator("tr", has_text="Walk CRM").get_by_role("button")).to_have_count(0)

    # a new programme manager: the defaults fire on the demo (overdue reports) once the
    # notifications service has seen them and ticked (every 5 seconds on one machine)
    page.goto(platform.portal + "/admin")
    form = page.locator("form[action='/admin/users']")
    form.get_by_label("Gebruikersnaam").fill("petra")
    form.get_by_label("Wachtwoord").fill("petra-password-1")
    form.get_by_label("programmamanager").check()
    form.get_by_role("button", name="Gebruiker toevoegen").click()
    expect(page.get_by_role("status")).to_have_text("Opgeslagen.")
    manager = signed_in(browser, platform, "petra", "petra-password-1")
    try:
        _read_notifications(manager, platform)
    finally:
        manager.close()


def _read_notifications(page: Page, platform: Platform) -> None:
    """One notification read, an unknown one refused in words, then all of them read."""
    page.goto(platform.portal + "/notifications")
    one = page.locator("form[action$='/read']")
    for _ in range(60):
        if one.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    unread = one.count()
    assert unread >= 2
    expect(page.locator("header .badge")).to_be_visible()  # the unread count in the header
    one.first.get_by_role("button").click()
    expect(page.locator("form[action$='/read']")).to_have_count(unread - 1)
    forged = page.locator("form[action$='/read']").first
    forged.evaluate(
        "f => f.setAttribute('action', '/notifications/00000000-0000-0000-0000-000000000000/read')"
    )
    forged.get_by_role("button").click()
    expect(page.get_by_role("heading", name="Niet gevonden")).to_be_visible()
    looks_right(page, "unknown notification read")
    page.goto(platform.portal + "/notifications")
    page.get_by_role("button", name="Alles gelezen").click()
    expect(page.locator("form[action$='/read']")).to_have_count(0)
    expect(page.locator("header .badge")).to_have_count(0)  # the header's unread count too
