"""Each notification rule with a fixed clock, and who may hear of what."""

import uuid
from datetime import date
from decimal import Decimal

from services.notifications.domain import clock, rules
from services.notifications.domain.recipients import (
    backoff,
    default_subscriptions,
    may_receive,
    signature,
    webhook_url_problem,
)

PROJECT = uuid.uuid4()
KPI = clock.ReportingKpi(PROJECT, "IBDO", "MEETINGS", date(2025, 1, 1), date(2027, 12, 31))
DUE = dict(rules.RULES[rules.REPORT_DUE].defaults)  # 14 days before; due 30 days after
OVERDUE = dict(rules.RULES[rules.REPORT_OVERDUE].defaults)
Reported = set[tuple[uuid.UUID, str, str]]


def occurrences(
    today: date, reported: Reported | None = None, kpi: clock.ReportingKpi = KPI
) -> list[rules.Occurrence]:
    return clock.due_reminders([kpi], reported or set(), today, DUE, OVERDUE)


def reminders(today: date, reported: Reported | None = None) -> set[str]:
    return {f"{o.rule}:{o.data['period']}" for o in occurrences(today, reported)}


def overdue(today: date, reported: Reported | None = None) -> list[rules.Occurrence]:
    return [o for o in occurrences(today, reported) if o.rule == rules.REPORT_OVERDUE]


def test_a_quarter_report_is_due_in_the_two_weeks_before_its_due_date() -> None:
    # 2026-Q3 ends on 30 September and is due on 30 October: reminders from 16 October.
    assert "report_due:2026-Q3" not in reminders(date(2026, 10, 15))
    assert "report_due:2026-Q3" in reminders(date(2026, 10, 16))
    assert "report_due:2026-Q3" in reminders(date(2026, 10, 30))


def test_after_the_due_date_it_is_overdue_until_it_is_reported() -> None:
    assert "report_overdue:2026-Q3" in reminders(date(2026, 10, 31))
    reported = {(PROJECT, "MEETINGS", "2026-Q3")}
    assert "report_overdue:2026-Q3" not in reminders(date(2026, 10, 31), reported)
    assert "report_due:2026-Q3" not in reminders(date(2026, 10, 31))  # overdue, not due


def test_every_missing_quarter_of_the_reporting_period_is_overdue_however_long_ago() -> None:
    # 2025-Q1 ended 20 months before: a programme being closed still shows it missing.
    reported = {(PROJECT, "MEETINGS", p) for p in ("2025-Q2", "2025-Q3", "2026-Q2")}
    [found] = overdue(date(2026, 10, 31), reported)
    assert found.data["periods"] == ["2025-Q1", "2025-Q4", "2026-Q1", "2026-Q3"]
    assert found.title["en"] == "Reports overdue: IBDO MEETINGS, 4 quarters"
    assert "2025-Q1, 2025-Q4 to 2026-Q1, 2026-Q3" in found.body["en"]
    assert "2025-Q1, 2025-Q4 t/m 2026-Q1, 2026-Q3" in found.body["nl"]
    assert "2026-Q4" not in found.data["periods"]  # not over yet


def test_a_project_that_ended_years_ago_owes_the_quarters_of_its_own_period_only() -> None:
    ended = clock.ReportingKpi(
        PROJECT, "SPT", "PEOPLE_PLACED", date(2016, 1, 1), date(2019, 12, 31)
    )
    reported = {(PROJECT, "PEOPLE_PLACED", "2019-Q4")}
    [found] = occurrences(date(2026, 12, 5), reported, ended)
    assert found.rule == rules.REPORT_OVERDUE
    assert found.data["periods"][0] == "2016-Q1" and found.data["periods"][-1] == "2019-Q3"
    assert len(found.data["periods"]) == 15
    assert found.key == f"{PROJECT}:PEOPLE_PLACED:2019-Q4"  # as of its last quarter, for good
    assert occurrences(date(2027, 6, 1), reported, ended)[0].key == found.key


def test_one_overdue_occurrence_per_kpi_and_quarter_that_falls_due() -> None:
    first = overdue(date(2026, 10, 31))
    again = overdue(date(2026, 11, 1))
    assert [o.key for o in first] == [o.key for o in again] == [f"{PROJECT}:MEETINGS:2026-Q3"]
    # the next quarter falling due, with reports still missing, is news again
    [later] = overdue(date(2027, 1, 31))
    assert later.key == f"{PROJECT}:MEETINGS:2026-Q4" and later.data["period"] == "2026-Q4"
    # nothing missing, nothing overdue
    every = {(PROJECT, "MEETINGS", f"{y}-Q{q}") for y in (2025, 2026) for q in (1, 2, 3, 4)}
    assert overdue(date(2027, 1, 31), every) == []


def test_a_single_overdue_quarter_is_named_in_the_title() -> None:
    reported = {(PROJECT, "MEETINGS", f"{y}-Q{q}") for y in (2025, 2026) for q in (1, 2, 3, 4)}
    [found] = overdue(date(2027, 1, 31), reported - {(PROJECT, "MEETINGS", "2026-Q2")})
    assert found.title == {
        "en": "Report overdue: IBDO MEETINGS 2026-Q2",
        "nl": "Rapportage te laat: IBDO MEETINGS 2026-Q2",
    }
    assert found.data["due"] == "2026-07-30"


def test_the_eu_cutoff_warning_starts_thirty_days_ahead() -> None:
    params = rules.RULES[rules.EU_CUTOFF_APPROACHING].defaults
    unapproved = {PROJECT: ("IBDO", ["2026-Q2"])}
    assert clock.cutoff_warnings(unapproved, date(2026, 6, 30), params) == []
    warned = clock.cutoff_warnings(unapproved, date(2026, 7, 1), params)
    assert [(o.key, o.data["cutoff"]) for o in warned] == [(f"{PROJECT}:2026-07-31", "2026-07-31")]
    assert clock.next_cutoff(date(2026, 8, 1)) == date(2027, 1, 31)


def test_a_budget_alerts_once_above_its_threshold() -> None:
    params = rules.RULES[rules.BUDGET_NEARLY_COMMITTED].defaults
    line = uuid.uuid4()
    assert rules.budget_alert(PROJECT, line, "PL", "efro", Decimal("0.9"), params) is None
    alert = rules.budget_alert(PROJECT, line, "PL", "efro", Decimal("0.95"), params)
    assert alert is not None and alert.title["en"] == "Budget PL (efro) is 95% committed"
    again = rules.budget_alert(PROJECT, line, "PL", "efro", Decimal("0.99"), params)
    assert again is not None and again.key == alert.key


def test_progress_alerts_only_for_the_configured_statuses() -> None:
    params = rules.RULES[rules.PROGRESS_SLIPPED].defaults
    args = (PROJECT, "SPT", "PEOPLE_PLACED")
    assert rules.progress_slipped(*args, "on_track", date(2019, 12, 31), None, params) is None
    slipped = rules.progress_slipped(*args, "at_risk", date(2019, 12, 31), Decimal(77), params)
    assert slipped is not None and "77% of target" in slipped.body["en"]
    assert slipped.title["nl"] == "SPT PEOPLE_PLACED loopt risico"


def test_returned_and_revised_reports_are_keyed_by_their_version() -> None:
    returned = rules.report_returned(PROJECT, "IBDO", "MEETINGS", "2026-Q1", 2, "typo")
    assert returned.key.endswith(":2026-Q1:2") and returned.body["en"] == "Reason: typo"
    revised = rules.revised_after_approval(PROJECT, "IBDO", "MEETINGS", "2026-Q1", 3, None)
    assert revised.key.endswith(":3")


def test_role_defaults_and_partners_hear_only_of_their_own_projects() -> None:
    manager = default_subscriptions("staff", ["programme_manager"], False, False)
    assert ("progress_slipped", "in_app") in manager
    assert ("payment_made", "in_app") not in manager
    finance = default_subscriptions("staff", ["finance_officer"], True, False)
    assert {("payment_made", "email"), ("budget_nearly_committed", "in_app")} <= finance
    partner = default_subscriptions("organisation", [], True, True)
    assert ("report_due", "webhook") in partner and ("dead_letter", "email") not in partner
    org = uuid.uuid4()
    assert may_receive("organisation", org, PROJECT, {org})
    assert not may_receive("organisation", org, PROJECT, {uuid.uuid4()})
    assert not may_receive("organisation", org, None, {org})
    assert may_receive("staff", None, None, set())


def test_webhook_targets_signatures_and_backoff() -> None:
    assert webhook_url_problem("https://partner.example/hook", allow_http=False) is None
    assert "https" in (webhook_url_problem("http://partner.example/hook", False) or "")
    assert webhook_url_problem("http://127.0.0.1:9/hook", allow_http=True) is None
    assert webhook_url_problem("ftp://x", True) == "not an absolute http(s) URL"
    sig = signature("s3cret-s3cret-16", "1700000000", b'{"a":1}')
    assert sig.startswith("sha256=") and len(sig) == 71
    assert [backoff(n, 30) for n in (1, 2, 3)] == [30, 60, 120]
