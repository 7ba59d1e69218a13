"""Each notification rule with a fixed clock, and who may hear of what."""

import uuid
from datetime import date
from decimal import Decimal

from services.notifications.domain import rules
from services.notifications.domain.recipients import (
    backoff,
    default_subscriptions,
    may_receive,
    signature,
    webhook_url_problem,
)

PROJECT = uuid.uuid4()
KPI = rules.ReportingKpi(PROJECT, "IBDO", "MEETINGS", date(2025, 1, 1), date(2027, 12, 31))
DUE = dict(rules.RULES[rules.REPORT_DUE].defaults)  # 14 days before; due 30 days after
OVERDUE = dict(rules.RULES[rules.REPORT_OVERDUE].defaults)
Reported = set[tuple[uuid.UUID, str, str]]


def reminders(today: date, reported: Reported | None = None) -> set[str]:
    found = rules.due_reminders([KPI], reported or set(), today, DUE, OVERDUE)
    return {f"{o.rule}:{o.data['period']}" for o in found}


def test_a_quarter_report_is_due_in_the_two_weeks_before_its_due_date() -> None:
    # 2026-Q3 ends on 30 September and is due on 30 October: reminders from 16 October.
    assert "report_due:2026-Q3" not in reminders(date(2026, 10, 15))
    assert "report_due:2026-Q3" in reminders(date(2026, 10, 16))
    assert "report_due:2026-Q3" in reminders(date(2026, 10, 30))


def test_after_the_due_date_it_is_overdue_until_it_is_reported() -> None:
    assert "report_overdue:2026-Q3" in reminders(date(2026, 10, 31))
    reported = {(PROJECT, "MEETINGS", "2026-Q3")}
    assert "report_overdue:2026-Q3" not in reminders(date(2026, 10, 31), reported)


def test_a_running_quarter_and_quarters_long_past_are_not_chased() -> None:
    found = reminders(date(2026, 10, 31))
    assert not any("2026-Q4" in f for f in found)  # not over yet
    assert not any("2025-Q1" in f or "2025-Q2" in f for f in found)  # over a year ago
    assert "report_overdue:2025-Q4" in found


def test_one_occurrence_per_project_kpi_and_quarter() -> None:
    first = rules.due_reminders([KPI], set(), date(2026, 10, 31), DUE, OVERDUE)
    again = rules.due_reminders([KPI], set(), date(2026, 11, 1), DUE, OVERDUE)
    assert {(o.rule, o.key) for o in first} == {(o.rule, o.key) for o in again}


def test_the_eu_cutoff_warning_starts_thirty_days_ahead() -> None:
    params = rules.RULES[rules.EU_CUTOFF_APPROACHING].defaults
    unapproved = {PROJECT: ("IBDO", ["2026-Q2"])}
    assert rules.cutoff_warnings(unapproved, date(2026, 6, 30), params) == []
    warned = rules.cutoff_warnings(unapproved, date(2026, 7, 1), params)
    assert [(o.key, o.data["cutoff"]) for o in warned] == [(f"{PROJECT}:2026-07-31", "2026-07-31")]
    assert rules.next_cutoff(date(2026, 8, 1)) == date(2027, 1, 31)


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
    assert slipped.title["nl"] == "SPT PEOPLE_PLACED staat op risico"


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
