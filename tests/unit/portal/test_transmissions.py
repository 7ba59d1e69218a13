"""The export page's transmissions without I/O: the form read into a request, the funding
service's refusals in words, and a diff's codes named (ADR 30)."""

import csv
import io

from openpyxl import load_workbook

from services.portal.domain.catalogue import Names
from services.portal.domain.exports import csv_bytes, xlsx_bytes
from services.portal.domain.formatting import MISSING
from services.portal.domain.transmissions import (
    Transmit,
    figure_rows,
    file_name,
    refusal,
    transmit_request,
    version_rows,
)
from services.portal.i18n import label
from services.portal.routes.exports import eu_tables

NAMES = Names.of(
    "nl",
    indicators=[
        {
            "code": "ENTREPRENEURS_REACHED",
            "name_en": "Entrepreneurs reached",
            "name_nl": "Bereikte ondernemers",
        }
    ],
    organisations=[{"id": "9c1f", "name": "IBDO BV"}],
)


def test_the_form_asks_a_cutoff_or_another_date_and_for_a_correction_its_number() -> None:
    assert transmit_request("2019-07-31", "", "", "") == Transmit({"as_of": "2019-07-31"})
    assert transmit_request("other", " 2019-09-30 ", " closure ", "") == Transmit(
        {"as_of": "2019-09-30", "reason": "closure"}
    )
    assert transmit_request("2019-07-31", "", "late data", "2") == Transmit(
        {"as_of": "2019-07-31", "reason": "late data", "corrects": 2}
    )
    assert transmit_request("other", "", "", "") == "transmit_date_needed"
    assert transmit_request("31-07-2019", "", "", "") == "transmit_date_needed"
    assert transmit_request("2019-07-31", "", "", "two") == "bad_input"
    assert transmit_request("2019-07-31", "", "x" * 2001, "") == "reason_too_long"


def test_the_funding_services_refusals_read_as_sentences_in_both_languages() -> None:
    conflict = (
        "cut-off 2019-07-31 was transmitted as number 3: transmit a correction that refers "
        "to it (corrects: 3)"
    )
    assert refusal(conflict, "nl") == (
        "Peildatum 2019-07-31 is al verzonden (verzending 3). Verzend opnieuw als correctie "
        "van verzending 3, met een reden."
    )
    assert refusal(conflict, "en").startswith("Cut-off 2019-07-31 was transmitted already")
    problem = [
        {
            "loc": ["body", "reason"],
            "msg": "2019-09-30 is not a cut-off (31 January, 31 July): say why",
            "type": "value_error",
        }
    ]
    assert refusal(problem, "nl") == (
        "2019-09-30 is geen EU-peildatum (31 januari, 31 juli): geef een reden."
    )
    other = [{"loc": ["body", "as_of"], "msg": "Field required", "type": "missing"}]
    assert refusal(other, "nl") == "peildatum: is verplicht"  # the portal's general wording


def test_a_diff_names_scopes_fields_kinds_indicators_and_actors() -> None:
    diff = {
        "figures": [
            {
                "scope": "output",
                "code": "IBDO ENTREPRENEURS_REACHED",
                "field": "approved",
                "transmitted": "12",
                "today": "15",
            },
            {
                "scope": "project",
                "code": "IBDO",
                "field": "eu_paid",
                "transmitted": "0",
                "today": "100",
            },
        ],
        "versions": [
            {
                "kind": "revision_after_approval",
                "code": "IBDO",
                "indicator_code": "ENTREPRENEURS_REACHED",
                "period": "2019-Q2",
                "version": 2,
                "value": "15",
                "counted_value_transmitted": "12",
                "reason": "three missed",
                "actor": "organisation:9c1f",
                "recorded_at": None,
                "restates": ["efro-1"],
            }
        ],
    }
    figures = figure_rows(diff, NAMES, "nl")
    assert [(f["what"], f["scope"], f["field"], f["money"]) for f in figures] == [
        ("IBDO: Bereikte ondernemers", "projectresultaat", "goedgekeurd", False),
        ("IBDO", "project", "EU betaald", True),
    ]
    english = Names.of("en", NAMES.indicators.values(), organisations=NAMES.organisations.values())
    [version] = version_rows(diff, english, "en")
    assert (version["kind"], version["indicator"], version["actor"], version["restates"]) == (
        "revision after approval",
        "Entrepreneurs reached",
        "IBDO BV",
        ["restates transmission 1 (ERDF)"],
    )


def test_the_restates_flag_is_named_not_shown_as_its_code() -> None:
    assert label("flag", "restates:efro-3", "nl") == "herziet verzending 3 (EFRO)"
    assert label("flag", "restates:jtf-12", "en") == "restates transmission 12 (JTF)"
    assert label("flag", "restates:nonsense", "en") == "nonsense"


def test_a_sealed_file_is_named_without_the_day_it_was_fetched() -> None:
    assert file_name("efro", 2, "Economische Koers", "2019-07-31", "csv", "nl") == (
        "eu-verzending-efro-2-economische-koers-peildatum-2019-07-31.csv"
    )
    assert file_name("jtf", 1, "Koers", "2020-01-31", "xlsx", "en") == (
        "eu-transmission-jtf-1-koers-cut-off-2020-01-31.xlsx"
    )


def test_the_eu_export_shows_enterprises_counted_once_beside_the_reported_sum() -> None:
    report = {
        "fund": "efro",
        "as_of": "2027-01-31",
        "is_cutoff": True,
        "projects": [],
        "indicators": [
            {
                "eu_code": "RCO01",
                "unit": "enterprises",
                "value": "5",
                "planned": "12",
                "projects": 2,
                "reported_value": "6",
                "more_than_one_project": 1,
            },
            {"eu_code": "RCO02", "unit": "enterprises", "value": "3", "projects": 1},
        ],
    }
    _, indicators, pending = eu_tables(report, {"name": "Koers"}, "nl")
    assert [c.title for c in indicators.columns][2:4] == ["Waarde", "Gepland"]
    assert [c.title for c in indicators.columns][-3:] == [
        "Zoals gerapporteerd",
        "In meer dan één project",
        "Toelichting",
    ]
    assert indicators.rows == [  # units in the file's language, as on the pages
        ["RCO01", "ondernemingen", "5", "12", 2, "6", 1, ""],
        ["RCO02", "ondernemingen", "3", None, 1, None, None, ""],
    ]
    assert pending.rows == []


def test_the_eu_export_lists_what_awaited_review_at_the_cutoff_by_name() -> None:
    report = {
        "fund": "efro",
        "as_of": "2019-07-31",
        "is_cutoff": True,
        "projects": [],
        "indicators": [],
        "pending": [
            {
                "code": "IBDO",
                "indicator_code": "ENTREPRENEURS_REACHED",
                "eu_code": "RCO01",
                "unit": "enterprises",
                "pending_reports": 2,
                "pending_value": "205",
                "flagged_reports": 1,
            }
        ],
    }
    names = {"ENTREPRENEURS_REACHED": "Bereikte ondernemers"}
    *_, pending = eu_tables(report, {"name": "Koers"}, "nl", lambda c: names.get(c, c))
    assert pending.title == "Wachtend op beoordeling"
    assert [c.title for c in pending.columns] == [
        "Code",
        "Indicator",
        "EU-code",
        "Eenheid",
        "Rapportages",
        "Waarde",
        "Met signaal",
    ]
    assert pending.rows == [["IBDO", "Bereikte ondernemers", "RCO01", "ondernemingen", 2, "205", 1]]


def test_the_eu_export_shows_no_figure_and_the_note_where_funding_gives_no_total() -> None:
    """Across a break in series the funding service gives no value (null) and a note: the
    file shows a dash and the note in every format, and the rest of the report as given."""
    note = (
        "RCO01's definition has a break in series on 2026-10-01: the report would add up "
        "2026-Q3..2026-Q3, counted under the definition before it, and 2026-Q4..2026-Q4, "
        "counted under the new one; no total is given across a break"
    )
    report = {
        "fund": "efro",
        "as_of": "2027-01-31",
        "is_cutoff": True,
        "projects": [
            {
                "code": "IBDO",
                "name": "Ik Bouw",
                "eligible_costs": "380000.00",
                "eu_planned": "190000.00",
                "eu_committed": "190000.00",
                "eu_paid": "95000.00",
            }
        ],
        "eligible_costs": "380000.00",
        "eu_planned": "190000.00",
        "eu_committed": "190000.00",
        "eu_paid": "95000.00",
        "indicators": [
            {
                "eu_code": "RCO01",
                "unit": "enterprises",
                "value": None,
                "planned": "30",
                "projects": 1,
                "note": note,
            },
            {"eu_code": "RCO02", "unit": "enterprises", "value": "3", "projects": 1},
        ],
    }
    tables = eu_tables(report, {"name": "Koers"}, "en")
    projects, indicators, _ = tables
    assert projects.rows[-1] == ["Total", "", "380000.00", "190000.00", "190000.00", "95000.00"]
    assert indicators.rows[0] == ["RCO01", "enterprises", MISSING, "30", 1, None, None, note]
    dutch = csv_bytes(tables, dutch=True).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(dutch), delimiter=";"))
    assert ["RCO01", "enterprises", MISSING, "30", "1", "", "", note] in rows
    assert ["RCO02", "enterprises", "3", "", "1", "", "", ""] in rows
    book = load_workbook(io.BytesIO(xlsx_bytes(tables)))
    sheet = [[c.value for c in r] for r in book.worksheets[1].iter_rows()]
    assert ["RCO01", "enterprises", MISSING, 30, 1, None, None, note] in sheet
