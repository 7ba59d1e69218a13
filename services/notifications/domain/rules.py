"""The notification rules: what each watches, whom it tells, and its thresholds (data); the
occurrences that events raise (those the clock raises are built in `clock`).

Each rule turns a fact (an event, or the clock) into at most one notification per
occurrence: the occurrence key names what happened (the project, KPI and period, say),
and a key seen before never notifies again, however often its events are redelivered
or the scheduler ticks.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Audience(StrEnum):
    """Who hears of a notification by default."""

    PARTNERS = "partners"  # the organisations of the project concerned
    PROGRAMME_MANAGERS = "programme_managers"
    FINANCE_OFFICERS = "finance_officers"
    OPS = "ops"  # administrators


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class RuleSpec:
    name: str
    description: str
    audiences: tuple[Audience, ...]
    defaults: Mapping[str, Any] = field(default_factory=dict)


REPORT_DUE = "report_due"
REPORT_OVERDUE = "report_overdue"
PROGRESS_SLIPPED = "progress_slipped"
REPORT_RETURNED = "report_returned"
REVISED_AFTER_APPROVAL = "report_revised_after_approval"
PLAN_OUT_OF_BOUNDS = "plan_out_of_bounds"
PAYMENT_MADE = "payment_made"
BUDGET_NEARLY_COMMITTED = "budget_nearly_committed"
EU_CUTOFF_APPROACHING = "eu_cutoff_approaching"
DEAD_LETTER = "dead_letter"
RESTATEMENT_FLAGGED = "restatement_flagged"
TRANSMISSION_SEALED = "transmission_sealed"

RULES: dict[str, RuleSpec] = {
    r.name: r
    for r in (
        RuleSpec(
            REPORT_DUE,
            "A quarterly KPI's report is due in `days_before` days (due = `due_after_days` "
            "after the quarter ends) and has not been submitted.",
            (Audience.PARTNERS,),
            {"days_before": 14, "due_after_days": 30},
        ),
        RuleSpec(
            REPORT_OVERDUE,
            "Quarterly KPI reports are past their due date (`due_after_days` after the quarter "
            "ends) and not submitted: every such quarter of the project's reporting period, "
            "however long ago, in one notification per KPI each time a quarter falls due.",
            (Audience.PARTNERS, Audience.PROGRAMME_MANAGERS),
            {"due_after_days": 30},
        ),
        RuleSpec(
            PROGRESS_SLIPPED,
            "A project KPI's progress turned at risk or off track.",
            (Audience.PROGRAMME_MANAGERS, Audience.PARTNERS),
            {"statuses": ["at_risk", "off_track"]},
        ),
        RuleSpec(
            REPORT_RETURNED,
            "A report was returned to the partner, with the reviewer's reason.",
            (Audience.PARTNERS,),
        ),
        RuleSpec(
            REVISED_AFTER_APPROVAL,
            "A report was revised after it had been approved.",
            (Audience.PROGRAMME_MANAGERS,),
        ),
        RuleSpec(
            PLAN_OUT_OF_BOUNDS,
            "A financing plan exceeds a co-financing ceiling or does not balance. The funding "
            "service refuses such plans, so no event announces one yet: the rule waits for it.",
            (Audience.FINANCE_OFFICERS,),
        ),
        RuleSpec(
            PAYMENT_MADE,
            "A payment (or a recovery) was made on a project's grant.",
            (Audience.FINANCE_OFFICERS, Audience.PARTNERS),
        ),
        RuleSpec(
            BUDGET_NEARLY_COMMITTED,
            "More than `share` of a programme line's budget of a fund is committed.",
            (Audience.FINANCE_OFFICERS,),
            {"share": "0.9"},
        ),
        RuleSpec(
            EU_CUTOFF_APPROACHING,
            "An EU indicator cut-off (31 January, 31 July) is `days_before` days away and "
            "projects have unapproved reports for periods before it.",
            (Audience.PROGRAMME_MANAGERS,),
            {"days_before": 30},
        ),
        RuleSpec(
            RESTATEMENT_FLAGGED,
            "A report or revision arrived for a period already transmitted to the EU: it "
            "restates that transmission (ADR 30), with the partner's reason.",
            (Audience.FINANCE_OFFICERS,),
        ),
        RuleSpec(
            TRANSMISSION_SEALED,
            "A fund's EU report was transmitted at a cut-off (or corrected) and sealed.",
            (Audience.FINANCE_OFFICERS, Audience.PROGRAMME_MANAGERS),
        ),
        RuleSpec(
            DEAD_LETTER,
            "A message landed in a dead-letter topic: an event could not be processed.",
            (Audience.OPS,),
        ),
    )
}


@dataclass(frozen=True)
class Occurrence:
    """Something worth telling, once: `key` identifies it among the rule's occurrences."""

    rule: str
    key: str
    title: dict[str, str]  # per language: en, nl
    body: dict[str, str]
    project_id: uuid.UUID | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


def budget_alert(
    programme_id: uuid.UUID,
    goal_id: uuid.UUID,
    goal_code: str,
    fund: str,
    committed_share: Decimal | None,
    params: Mapping[str, Any],
) -> Occurrence | None:
    """Once per budget (line and fund) when its committed share passes the threshold."""
    threshold = Decimal(str(params["share"]))
    if committed_share is None or committed_share <= threshold:
        return None
    percent = f"{committed_share * 100:.0f}%"
    return Occurrence(
        BUDGET_NEARLY_COMMITTED,
        f"{goal_id}:{fund}:{threshold}",
        {
            "en": f"Budget {goal_code} ({fund}) is {percent} committed",
            "nl": f"Budget {goal_code} ({fund}) is voor {percent} vastgelegd",
        },
        {
            "en": f"More than {threshold:.0%} of the {fund} budget of {goal_code} is committed.",
            "nl": f"Meer dan {threshold:.0%} van het {fund}-budget van {goal_code} is vastgelegd.",
        },
        None,
        {"programme_id": str(programme_id), "goal_id": str(goal_id), "fund": fund},
    )


# --- rules driven by events ----------------------------------------------------------------


def _text(en: str, nl: str) -> dict[str, str]:
    return {"en": en, "nl": nl}


def progress_slipped(
    project_id: uuid.UUID,
    project_code: str,
    indicator: str,
    status: str,
    as_of: date | None,
    percent: Decimal | None,
    params: Mapping[str, Any],
) -> Occurrence | None:
    """Once per KPI, status and reporting date: slipping again later is news again."""
    if status not in params["statuses"]:
        return None
    label = {"at_risk": ("at risk", "loopt risico"), "off_track": ("off track", "loopt achter")}
    en, nl = label.get(status, (status, status))
    share_en = f" ({percent:.0f}% of target)" if percent is not None else ""
    share_nl = f" ({percent:.0f}% van de streefwaarde)" if percent is not None else ""
    return Occurrence(
        PROGRESS_SLIPPED,
        f"{project_id}:{indicator}:{status}:{as_of}",
        _text(f"{project_code} {indicator} is {en}", f"{project_code} {indicator} {nl}"),
        _text(
            f"Progress of {indicator} in {project_code} as of {as_of}: {en}{share_en}.",
            f"Voortgang van {indicator} in {project_code} per {as_of}: {nl}{share_nl}.",
        ),
        project_id,
        {"indicator": indicator, "status": status, "as_of": str(as_of) if as_of else None},
    )


def report_returned(
    project_id: uuid.UUID, project_code: str, indicator: str, period: str, version: int, reason: str
) -> Occurrence:
    what = f"{project_code} {indicator} {period}"
    return Occurrence(
        REPORT_RETURNED,
        f"{project_id}:{indicator}:{period}:{version}",
        _text(f"Report returned: {what}", f"Rapportage teruggestuurd: {what}"),
        _text(f"Reason: {reason}", f"Reden: {reason}"),
        project_id,
        {"indicator": indicator, "period": period, "version": version, "reason": reason},
    )


def revised_after_approval(
    project_id: uuid.UUID,
    project_code: str,
    indicator: str,
    period: str,
    version: int,
    reason: str | None,
) -> Occurrence:
    what = f"{project_code} {indicator} {period}"
    why = reason or "-"
    return Occurrence(
        REVISED_AFTER_APPROVAL,
        f"{project_id}:{indicator}:{period}:{version}",
        _text(f"Approved report revised: {what}", f"Goedgekeurde rapportage herzien: {what}"),
        _text(f"Version {version}; reason: {why}", f"Versie {version}; reden: {why}"),
        project_id,
        {"indicator": indicator, "period": period, "version": version},
    )


def payment_made(
    payment_id: uuid.UUID,
    project_id: uuid.UUID,
    project_code: str,
    fund: str,
    kind: str,
    amount: Decimal,
    paid_on: date,
) -> Occurrence:
    return Occurrence(
        PAYMENT_MADE,
        str(payment_id),
        _text(
            f"{kind.capitalize()} of EUR {amount:,.2f} ({fund}) for {project_code}",
            f"{kind.capitalize()} van EUR {amount:,.2f} ({fund}) voor {project_code}",
        ),
        _text(
            f"A {kind} of EUR {amount:,.2f} from {fund} was booked on {paid_on}.",
            f"Een {kind} van EUR {amount:,.2f} uit {fund} is geboekt op {paid_on}.",
        ),
        project_id,
        {"fund": fund, "kind": kind, "amount": str(amount), "paid_on": str(paid_on)},
    )


def dead_letter(topic: str, partition: int, offset: int, error: str, event_type: str) -> Occurrence:
    where = f"{topic}[{partition}]@{offset}"
    return Occurrence(
        DEAD_LETTER,
        where,
        _text(f"Dead letter on {topic}", f"Dead letter op {topic}"),
        _text(
            f"{event_type or 'an undecodable message'} at {where}: {error}",
            f"{event_type or 'een onleesbaar bericht'} op {where}: {error}",
        ),
        None,
        {"topic": topic, "partition": partition, "offset": offset, "error": error},
    )


def restatement_flagged(
    report_id: uuid.UUID,
    project_id: uuid.UUID,
    project_code: str,
    indicator: str,
    period: str,
    version: int,
    value: Decimal | None,
    previous: Decimal | None,
    reason: str | None,
    actor: str,
    restates: list[str],
) -> Occurrence:
    """Once per restating version: what it restates, from which value to which, and why."""
    what = f"{project_code} {indicator} {period}"
    sent = ", ".join(restates)
    was = "-" if previous is None else str(previous)
    now = "-" if value is None else str(value)
    why = reason or "-"
    return Occurrence(
        RESTATEMENT_FLAGGED,
        str(report_id),
        _text(f"EU transmission {sent} restated: {what}", f"EU-verzending {sent} herzien: {what}"),
        _text(
            f"Version {version}: {was} -> {now}, by {actor}; reason: {why}",
            f"Versie {version}: {was} -> {now}, door {actor}; reden: {why}",
        ),
        project_id,
        {
            "indicator": indicator,
            "period": period,
            "version": version,
            "restates": restates,
            "report_id": str(report_id),
        },
    )


def transmission_sealed(
    transmission_id: uuid.UUID,
    label: str,
    as_of: date,
    correction: int,
    actor: str,
    restatements: int,
) -> Occurrence:
    kind_en = f"correction {correction}" if correction else "transmission"
    kind_nl = f"correctie {correction}" if correction else "verzending"
    return Occurrence(
        TRANSMISSION_SEALED,
        str(transmission_id),
        _text(
            f"EU report transmitted: {label} as of {as_of}",
            f"EU-rapportage verzonden: {label} per {as_of}",
        ),
        _text(
            f"Sealed by {actor} ({kind_en}); carries {restatements} restatement(s).",
            f"Verzegeld door {actor} ({kind_nl}); bevat {restatements} herziening(en).",
        ),
        None,
        {"label": label, "as_of": str(as_of), "correction": correction},
    )
