"""Events of the KPI service, on `kpi.events.v1`, keyed by project id.

Report events carry the indicator's kind, so the aggregation projection (and a
rebuild from this topic) needs nothing but the events to add values up correctly.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import topics
from shared.contracts.base import Event, register


class KpiEvent(Event):
    topic: ClassVar[str] = topics.KPI
    key_field: ClassVar[str] = "project_id"

    project_id: UUID
    indicator_code: str


class ReportCellEvent(KpiEvent):
    """Identifies one version of one reported cell."""

    report_id: UUID
    indicator_kind: str
    period: str
    dimension_key: str  # "" when the KPI has no disaggregation
    version: int


class ReportSubmitted(ReportCellEvent):
    type: ClassVar[str] = "kpi.report.submitted.v1"

    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    comment: str | None
    source_ref: str | None
    organisation_id: UUID | None
    submitted_by: str
    # accepted but implausible (above_target, jump): the reviewer's eye is drawn to it
    flags: list[str] = Field(default_factory=list)
    # keyed hashes of the enterprises or participants the value counts (never the numbers)
    identifiers: list[str] = Field(default_factory=list)


class ReportRevised(ReportSubmitted):
    """A new version of a cell; it supersedes the earlier ones, which stay in the history."""

    type: ClassVar[str] = "kpi.report.revised.v1"

    reason: str | None


class ReportApproved(ReportCellEvent):
    type: ClassVar[str] = "kpi.report.approved.v1"

    reviewed_by: str


class ReportReturned(ReportCellEvent):
    type: ClassVar[str] = "kpi.report.returned.v1"

    reviewed_by: str
    reason: str


class TargetSet(KpiEvent):
    """A project's KPI declaration: what it reports, from which baseline, towards which target."""

    type: ClassVar[str] = "kpi.target.set.v1"

    indicator_kind: str
    direction: str
    frequency: str
    dimensions: tuple[str, ...]
    baseline_value: Decimal | None
    baseline_year: int | None
    target_value: Decimal | None
    target_date: date | None
    period_targets: dict[str, Decimal]
    actor: str


class ProgressStatusChanged(KpiEvent):
    type: ClassVar[str] = "kpi.progress.status_changed.v1"

    previous_status: str | None
    status: str
    realised: Decimal | None
    expected: Decimal | None
    percent_of_target: Decimal | None
    as_of: date | None


class OutputRealised(KpiEvent):
    """A project's realised value of an indicator to date changed (the current view).

    Derived by the aggregation projection from the indicator's kind, so consumers (the
    funding service's cost per output) take the figure as it is and re-implement no rule.
    Absolute, not a difference: applying it twice, or an older one again, is harmless.

    No longer written (see `OutputsRealised`, which carries the same per indicator);
    still read, so events of it already on the topic count.
    """

    type: ClassVar[str] = "kpi.output.realised.v1"

    indicator_kind: str
    unit: str | None
    eu_code: str | None
    realised: Decimal | None
    as_of: date | None


class RealisedValue(BaseModel):
    """One indicator's realised value to date, as in `OutputRealised`."""

    model_config = ConfigDict(frozen=True)

    indicator_code: str
    indicator_kind: str
    unit: str | None
    eu_code: str | None
    realised: Decimal | None
    as_of: date | None
    # the approved view beside the current one (realised counts submitted values too), and
    # what still awaits review: EU reports and cost per output count approved values only
    approved: Decimal | None = None
    pending_reports: int = 0
    pending_value: Decimal | None = None
    flagged_reports: int = 0


class OutputsRealised(Event):
    """Realised values to date of a project's indicators changed (the current view): every
    one a projection batch changed, in one event per project rather than one per indicator
    (a project reports its KPIs together; a programme of 1,000 projects with 20 KPIs each
    announced 20,000 events a quarter). Absolute values, as `OutputRealised`."""

    type: ClassVar[str] = "kpi.outputs.realised.v1"
    topic: ClassVar[str] = topics.KPI
    key_field: ClassVar[str] = "project_id"

    project_id: UUID
    outputs: list[RealisedValue]


class ProgrammeLogicEvent(Event):
    """The results chain of one goal: its outcome indicators, their measurements, the links
    from outputs to outcomes and the periodic reviews. Keyed by goal id."""

    topic: ClassVar[str] = topics.KPI
    key_field: ClassVar[str] = "goal_id"

    goal_id: UUID
    programme_id: UUID
    actor: str


class OutcomeIndicatorDefined(ProgrammeLogicEvent):
    type: ClassVar[str] = "kpi.outcome.defined.v1"

    outcome_id: UUID
    code: str
    name: str
    unit: str
    level: str
    kind: str
    direction: str
    baseline_value: Decimal | None
    baseline_date: date | None
    target_value: Decimal | None
    target_date: date | None


class OutcomeMeasured(ProgrammeLogicEvent):
    """A published value of an outcome for a period; a later one for the period revises it."""

    type: ClassVar[str] = "kpi.outcome.measured.v1"

    outcome_id: UUID
    code: str
    period: str
    value: Decimal
    source: str
    published_on: date
    revision: int


class ContributionLinked(ProgrammeLogicEvent):
    type: ClassVar[str] = "kpi.contribution.linked.v1"

    output_indicator: str
    outcome_id: UUID
    kind: str
    rationale: str


class GoalReviewed(ProgrammeLogicEvent):
    type: ClassVar[str] = "kpi.goal.reviewed.v1"

    period: str
    status: str
    narrative: str
    decisions: str


class RestatementFlagged(KpiEvent):
    """A report or revision for a period an EU transmission already covered: accepted with
    its reason and flagged ``restates:<label>`` (ADR 30). Published with the report's own
    event, so finance hears of it and the next transmission lists it."""

    type: ClassVar[str] = "kpi.restatement.flagged.v1"

    report_id: UUID
    period: str
    dimension_key: str
    version: int
    kind: str  # revision | late_report
    value: Decimal | None
    previous_value: Decimal | None
    reason: str | None
    submitted_by: str
    organisation_id: UUID | None
    restates: list[str]  # labels of the transmissions restated, e.g. efro-3
    notify_finance: bool


class DefinitionVersion(BaseModel):
    """One version of an indicator's definition, in force from `effective_from` (a quarter's
    first day; version 1 from 1900) until the next (ADR 32)."""

    model_config = ConfigDict(frozen=True)

    version: int
    effective_from: date
    name_en: str
    name_nl: str | None
    unit: str
    kind: str
    eu_code: str | None
    methodology: str | None
    change: str  # first | edit | conversion | break
    conversion_factor: Decimal | None
    reason: str | None
    defined_by: str
    defined_at: datetime | None


class IndicatorDefined(Event):
    """An indicator's definitions, every version, oldest first (the full state): announced
    when an indicator is defined or redefined, and for the whole catalogue each time the
    KPI service migrates, so a new consumer learns them all. A transmission names the
    versions its figures counted under (ADR 30, 32). Keyed by indicator code."""

    type: ClassVar[str] = "kpi.indicator.defined.v1"
    topic: ClassVar[str] = topics.KPI
    key_field: ClassVar[str] = "indicator_code"

    indicator_code: str
    # enterprise | participant: counted once across projects by keyed hashes (ADR 29)
    counted_once: str | None
    definitions: list[DefinitionVersion]


register(
    OutcomeIndicatorDefined,
    OutcomeMeasured,
    ContributionLinked,
    GoalReviewed,
    ReportSubmitted,
    ReportRevised,
    ReportApproved,
    ReportReturned,
    TargetSet,
    ProgressStatusChanged,
    OutputRealised,
    OutputsRealised,
    RestatementFlagged,
    IndicatorDefined,
)
