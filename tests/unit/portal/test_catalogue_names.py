"""Notification texts name the indicator they are about: the notifications service keeps
codes in its texts, and the portal's feed shows the catalogue's name in the user's language."""

from typing import Any

from services.portal.domain.catalogue import Names

CATALOGUE: list[dict[str, Any]] = [
    {"code": "PEOPLE_PLACED", "name_en": "People placed in work", "name_nl": "Mensen aan werk"},
    {"code": "RCO01", "name_en": "Enterprises supported", "name_nl": None},
]


def _item(title: str, body: str, indicator: str | None) -> dict[str, Any]:
    return {"title": title, "body": body, "data": {"indicator": indicator} if indicator else {}}


def test_a_notification_names_its_indicator_in_the_users_language() -> None:
    item = _item(
        "SPT PEOPLE_PLACED loopt risico",
        "Voortgang van PEOPLE_PLACED in SPT per 2019-12-31: loopt risico.",
        "PEOPLE_PLACED",
    )
    shown = Names.of("nl", CATALOGUE).notification(item)
    assert shown["title"] == "SPT Mensen aan werk loopt risico"
    assert shown["body"] == "Voortgang van Mensen aan werk in SPT per 2019-12-31: loopt risico."
    english = Names.of("en", CATALOGUE).notification(item)
    assert english["title"] == "SPT People placed in work loopt risico"


def test_only_whole_codes_are_named_and_unknown_ones_stay() -> None:
    names = Names.of("nl", CATALOGUE)
    assert names.in_text("RCO01 and RCO012 and X-RCO01", ["RCO01"]) == (
        "Enterprises supported and RCO012 and X-RCO01"
    )
    assert names.in_text("NEW_CODE is late", ["NEW_CODE"]) == "NEW_CODE is late"
    assert names.notification(_item("Budget almost committed", "...", None))["title"] == (
        "Budget almost committed"
    )


def test_who_did_it_is_a_user_or_an_organisation_never_an_id() -> None:
    names = Names.of("nl", organisations=[{"id": "0b1c", "name": "IBDO BV"}])
    assert names.actor("staff:anna") == "anna"
    assert names.actor("organisation:0b1c") == "IBDO BV"  # a partner's API key
    assert names.actor("organisation:ffff") == "partner"  # not (yet) in the registry
    assert names.actor("anna") == "anna"  # comments name staff by their user name
    assert names.actor(None) == "\u2013"
