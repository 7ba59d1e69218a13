"""Units in the language of the page: every unit the shipped catalogue counts in has a
Dutch name, and the portal shows it ("deelnemers", not "participants") on Dutch pages."""

import csv

from services.kpi.catalogue import EU_CSV, PROGRAMME_INDICATORS
from services.portal.domain.catalogue import Names
from services.portal.domain.units import UNITS
from services.portal.i18n import label

SYMBOLS = {"%", "MW", "MWh", "km"}  # the same in either language


def test_every_unit_of_the_shipped_catalogue_has_a_dutch_name() -> None:
    with EU_CSV.open(encoding="utf-8") as rows:
        eu = {row["unit"] for row in csv.DictReader(rows)}
    own = {i.unit for i in PROGRAMME_INDICATORS}
    assert (eu | own) - SYMBOLS <= set(UNITS)


def test_a_unit_is_named_in_the_pages_language_and_an_unknown_one_shown_as_it_is() -> None:
    assert label("unit", "participants", "nl") == "deelnemers"
    assert label("unit", "participants", "en") == "participants"
    assert label("unit", "FTE", "nl") == "fte"
    assert label("unit", "tonnes CO2 eq./year", "nl") == "ton CO2-equivalent/jaar"
    assert label("unit", "MWh", "nl") == "MWh"
    assert label("unit", None, "nl") == "\u2013"


def test_an_indicators_unit_comes_in_the_language_of_the_names() -> None:
    indicators = [{"code": "PEOPLE_PLACED", "unit": "persons", "name_en": "People placed"}]
    assert Names.of("nl", indicators).unit("PEOPLE_PLACED") == "personen"
    assert Names.of("en", indicators).unit("PEOPLE_PLACED") == "persons"
    assert Names.of("nl", indicators).unit("UNKNOWN") == ""
