"""The review page's locks as a programme manager checks them (issue 22): the programme
shown, its quarters only in the lock form, what is locked and excepted by name; and counts
read as Dutch and English write them ("1 rij", not "1 rijen")."""

from datetime import date

from services.portal.domain import problems
from services.portal.domain.locks import Excepted, LockedPeriod, chosen_programme, locks_of
from services.portal.domain.review import Filters
from services.portal.i18n import counted

OLD = {"id": "p-old", "name": "OP Noord 2014-2020", "period_start": 2014, "period_end": 2020}
NEW = {"id": "p-new", "name": "OP Noord 2021-2027", "period_start": 2021, "period_end": 2027}
LATER = {"id": "p-later", "name": "Koers 2028", "period_start": 2028, "period_end": 2029}


def test_the_programme_asked_for_else_the_one_running_this_year_else_the_latest() -> None:
    found = [OLD, NEW, LATER]
    assert chosen_programme(found, "p-old", date(2026, 12, 6)) is OLD
    assert chosen_programme(found, "", date(2026, 12, 6)) is NEW
    assert chosen_programme(found, "not-a-programme", date(2026, 12, 6)) is NEW
    assert chosen_programme(found, "", date(2035, 1, 1)) is LATER
    assert chosen_programme([], "p-old", date(2026, 12, 6)) is None


def test_the_lock_form_offers_the_programmes_open_quarters_only() -> None:
    answer = {
        "locks": [
            {"period": "2021-Q1", "locked_by": "marloes", "locked_at": "2026-04-02T08:00:00Z"},
            {"period": "2022", "locked_by": "admin", "locked_at": "2026-04-03T08:00:00Z"},
        ],
        "exceptions": [],
    }
    locks = locks_of(NEW, answer, [])
    assert locks.quarters[0] == "2021-Q1" and locks.quarters[-1] == "2027-Q4"
    assert len(locks.quarters) == 7 * 4
    assert "2020-Q4" not in locks.quarters and "2028-Q1" not in locks.quarters
    # 2021-Q1 locked itself, 2022 as a whole year: its four quarters are no longer offered
    assert locks.open[:2] == ["2021-Q2", "2021-Q3"]
    assert not [q for q in locks.open if q.startswith("2022")]
    assert len(locks.open) == 28 - 1 - 4
    assert locks.locked == [
        LockedPeriod("2021-Q1", "marloes", "2026-04-02T08:00:00Z"),
        LockedPeriod("2022", "admin", "2026-04-03T08:00:00Z"),
    ]
    assert locks.known


def test_exceptions_name_their_project_and_the_form_offers_the_programmes_projects() -> None:
    answer = {
        "locks": [],
        "exceptions": [
            {
                "project_id": "j-1",
                "project_code": "IBDO",
                "project_name": "Ik Ben Drents Ondernemer",
                "period": "2021-Q1",
                "reason": "Late factuur",
                "granted_by": "marloes",
                "granted_at": "2026-04-02T08:00:00Z",
            }
        ],
    }
    projects = [
        {"id": "j-2", "code": "ZZ", "name": "Zonnedaken", "programme_id": "p-new"},
        {"id": "j-1", "code": "IBDO", "name": "Ik Ben Drents Ondernemer", "programme_id": "p-new"},
        {"id": "j-3", "code": "OUD", "name": "Oud project", "programme_id": "p-old"},
    ]
    locks = locks_of(NEW, answer, projects)
    assert locks.exceptions == [
        Excepted(
            "Ik Ben Drents Ondernemer",
            "2021-Q1",
            "Late factuur",
            "marloes",
            answer["exceptions"][0]["granted_at"],
        )
    ]
    assert [p["name"] for p in locks.projects] == ["Ik Ben Drents Ondernemer", "Zonnedaken"]
    assert locks.programme == "OP Noord 2021-2027"


def test_when_the_kpi_service_cannot_say_the_form_still_offers_the_quarters() -> None:
    locks = locks_of(OLD, None, [])
    assert not locks.known
    assert locks.locked == [] and locks.exceptions == []
    assert locks.open == locks.quarters and locks.quarters[0] == "2014-Q1"


def test_one_row_is_singular_in_both_languages_other_counts_plural() -> None:
    assert f"1 {counted('would_accept', 1, 'nl')}" == "1 rij zou worden verwerkt"
    assert f"1 {counted('would_accept', 1, 'en')}" == "1 row would be accepted"
    assert f"0 {counted('would_accept', 0, 'nl')}" == "0 rijen zouden worden verwerkt"
    assert f"2 {counted('would_reject', 2, 'en')}" == "2 rows would be rejected"
    assert f"1 {counted('rejected_rows', 1, 'nl')}" == "1 rij afgewezen"
    assert f"1 {counted('reports_waiting', 1, 'nl')}" == "1 rapportage wacht op een besluit"
    assert f"3 {counted('reports_waiting', 3, 'nl')}" == "3 rapportages wachten op een besluit"
    assert counted("store_these", 1, "nl") == "Deze ene rapportage opslaan"
    # a key without a singular form stays as it is
    assert counted("flagged_count", 1, "en") == "flagged"


def test_the_filters_set_are_kept_as_pairs_for_another_form() -> None:
    filters = Filters(period="2021-Q1", flagged=True, page=3)
    assert filters.pairs() == [("period", "2021-Q1"), ("flagged", "1"), ("page", "3")]
    assert filters.query() == "period=2021-Q1&flagged=1&page=3"
    assert Filters().pairs() == []


def test_a_lock_outside_the_programmes_years_is_refused_in_words() -> None:
    refusal = [
        {
            "loc": ["body", "period"],
            "msg": "2020-Q1 lies outside the programme's years 2016-2019",
            "type": "value_error",
        }
    ]
    assert problems.readable(refusal, "nl") == (
        "periode: 2020-Q1 valt buiten de jaren van het programma (2016 tot en met 2019)"
    )
    assert problems.readable(refusal, "en") == (
        "period: 2020-Q1 lies outside the programme's years 2016-2019"
    )
