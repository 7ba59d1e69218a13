"""The KPI service's HTTP contract. The partner intake part is a public, stable contract."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.kpi.domain.distinct import CountedOnce
from services.kpi.domain.indicators import Direction, IndicatorKind, Level
from services.kpi.domain.outcomes import LinkKind, OutcomeKind, OutcomeLevel
from services.kpi.domain.periods import Frequency
from shared.inputs import IsoDate

T = TypeVar("T")

Number = Annotated[Decimal, Field(max_digits=19, decimal_places=6, allow_inf_nan=False)]
PositiveNumber = Annotated[
    Decimal, Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False)
]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    ),
]
PeriodText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=7)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int
    limit: int
    offset: int


class Freshness(BaseModel):
    """How current the totals are, from figures at most a second old (ADR 0028)."""

    last_event_processed_at: datetime | None = Field(
        description="when this service last applied an event"
    )
    events_waiting: int | None = Field(
        description="accepted and not yet in the totals: the outbox backlog plus the lag of the "
        "aggregation (kpi.events.v1) and registry replica (projects.events.v1); none if the "
        "broker is away"
    )
    caught_up: bool = Field(
        description="everything accepted here, and every registry change published, is in the "
        "totals (false when it cannot be told: broker away)"
    )
    newest_applied_accepted_at: datetime | None = Field(
        description="when the newest event in the totals was accepted (to the millisecond)"
    )
    outbox_backlog: int = Field(description="accepted events not yet published")
    consumer_lag: int | None = Field(
        description="published events the two groups have not yet applied (produced marks "
        "minus committed offsets); none if the broker is away"
    )
    as_of: datetime = Field(description="when these figures were read")


class IndicatorIn(Input):
    code: Code
    name_en: Name
    name_nl: Name | None = None
    unit: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    level: Level
    kind: IndicatorKind
    direction: Direction = Direction.HIGHER_IS_BETTER
    decimals_allowed: bool = False
    negative_allowed: bool = False
    eu_code: Code | None = None
    counted_once: CountedOnce | None = Field(
        default=None,
        description="enterprise or participant: reports list identifiers and totals over "
        "several projects count each once (EU methodology for RCO01-RCO04)",
    )
    plausible_target_percent: PositiveNumber | None = Field(
        default=None,
        description="flag a value whose total to date exceeds this % of its target "
        "(default: the programme's setting, 200)",
    )
    plausible_jump_factor: PositiveNumber | None = Field(
        default=None,
        description="flag a value more than this many times the previous period's "
        "(default: the programme's setting, 5)",
    )


class IndicatorThresholdsIn(Input):
    """An indicator's own plausibility thresholds; null: the programme's setting again."""

    plausible_target_percent: PositiveNumber | None
    plausible_jump_factor: PositiveNumber | None


class IndicatorPublic(IndicatorIn):
    model_config = ConfigDict(extra="ignore")

    source: str | None = None
    methodology: str | None = None
    definition_version: int = Field(
        default=1, description="the latest of its definitions (GET …/definitions)"
    )


class DefinitionIn(Input):
    """A new definition of an indicator, in force from a quarter's first day. Fields left
    out stay as they are. A new unit on data already reported needs a conversion factor
    (old values times it, in the new unit) or a break in series."""

    effective_from: IsoDate
    name_en: Name | None = None
    name_nl: Name | None = None
    unit: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] | None
    ) = None
    kind: IndicatorKind | None = None
    eu_code: Code | None = None
    methodology: Annotated[str, StringConstraints(max_length=4000)] | None = None
    conversion_factor: (
        Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6, allow_inf_nan=False)] | None
    ) = None
    break_in_series: bool = False
    reason: Reason


class DefinitionPublic(BaseModel):
    code: str
    version: int
    effective_from: date
    name_en: str
    name_nl: str | None
    unit: str
    kind: IndicatorKind
    eu_code: str | None
    methodology: str | None
    change: Literal["first", "edit", "conversion", "break"]
    conversion_factor: Decimal | None
    reason: str | None
    defined_by: str
    defined_at: datetime


class ProjectKpiIn(Input):
    frequency: Frequency = Frequency.QUARTERLY
    dimensions: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]] = Field(
        default_factory=list, max_length=3, description="disaggregation dimensions, e.g. ['gender']"
    )
    baseline_value: Number | None = None
    baseline_year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    target_value: Number | None = None
    target_date: IsoDate | None = Field(default=None, description="when the end target is due")
    period_targets: dict[PeriodText, Number] = Field(default_factory=dict, max_length=200)


class ProjectKpiPublic(BaseModel):
    project_id: uuid.UUID
    indicator_code: str
    frequency: Frequency
    dimensions: list[str]
    baseline_value: Decimal | None
    baseline_year: int | None
    target_value: Decimal | None
    target_date: date | None
    period_targets: dict[str, Decimal]
    updated_by: str
    updated_at: datetime


class KpiDuePublic(BaseModel):
    indicator_code: str
    indicator_name: str
    unit: str
    kind: IndicatorKind
    frequency: Frequency
    dimensions: list[str]
    target_value: Decimal | None
    periods_due: list[str] = Field(
        description="periods that have ended with no value reported yet (a returned report "
        "is owed again), oldest first"
    )


class ProjectDirectoryPublic(BaseModel):
    """A project as a partner system needs it to report: what to send for which period."""

    id: uuid.UUID
    code: str
    programme_id: uuid.UUID
    start_date: date
    end_date: date
    kpis: list[KpiDuePublic]


class ReportIn(Input):
    """One value for one project, indicator and period. Zero is a value; leave a period out
    when nothing was measured."""

    project: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(description="the project's id or its code")
    indicator: Code
    period: PeriodText = Field(description="2024-Q1 for a quarter, 2024 for a yearly KPI")
    value: Number | None = None
    numerator: Number | None = None
    denominator: Number | None = None
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None, description="the partner's explanation (the text itself for qualitative KPIs)"
    )
    source_ref: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="the partner's own record id"
    )
    disaggregation: (
        dict[
            Annotated[str, StringConstraints(max_length=40)],
            Annotated[str, StringConstraints(min_length=1, max_length=60)],
        ]
        | None
    ) = Field(default=None, max_length=3)
    reason: Reason | None = Field(
        default=None, description="why a value changes; required once approved"
    )
    enterprises: list[Annotated[str, StringConstraints(max_length=40)]] | None = Field(
        default=None,
        max_length=10_000,
        description="the KvK numbers of the enterprises the value counts, for indicators that "
        "count enterprises once across projects; the value must equal how many are listed. "
        "Kept only as keyed hashes.",
    )
    participants: list[Annotated[str, StringConstraints(max_length=64)]] | None = Field(
        default=None,
        max_length=10_000,
        description="pseudonymous identifiers of the participants the value counts, for "
        "indicators that count participants once",
    )


class ReportPublic(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    indicator_code: str
    period: str
    dimension_key: str
    version: int
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    comment: str | None
    source_ref: str | None
    state: str
    organisation_id: uuid.UUID | None
    submitted_by: str
    submitted_at: datetime
    revision_reason: str | None
    review_reason: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    flags: list[str] = Field(
        default_factory=list,
        description="accepted, but implausible: above_target (the value to date is beyond the "
        "target's threshold), jump (many times the previous period's value)",
    )
    identifiers: list[str] = Field(
        default_factory=list,
        description="keyed hashes of the enterprises or participants listed (never the numbers)",
    )


class ReportAccepted(ReportPublic):
    outcome: Literal["submitted", "revised", "unchanged"]


class BatchIn(Input):
    reports: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class BatchItemResult(BaseModel):
    index: int
    status: int
    report: ReportAccepted | None = None
    errors: list[dict[str, Any]] | None = None


class BatchResult(BaseModel):
    accepted: int
    rejected: int
    results: list[BatchItemResult]


class ReviewIn(Input):
    decision: Literal["approve", "return"]
    reason: Reason | None = None


class CommentIn(Input):
    text: Reason


class CommentPublic(BaseModel):
    id: uuid.UUID
    report_id: uuid.UUID
    author: str
    role: Literal["staff", "partner"]
    kind: Literal["comment", "return"] = Field(
        description="return: the reason a reviewer gave when sending the report back"
    )
    text: str
    created_at: datetime


class ApiKeyIn(Input):
    organisation_id: uuid.UUID
    name: Name


class ApiKeyPublic(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyPublic):
    key: str = Field(description="shown once; store it now")


class PeriodLockIn(Input):
    programme_id: uuid.UUID
    period: PeriodText


class LockExceptionIn(Input):
    project_id: uuid.UUID
    period: PeriodText
    reason: Reason


class MeasurePublic(BaseModel):
    period: str
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    share_percent: Decimal | None
    projects: int | None = Field(
        description="projects reporting; not given for sums over several periods"
    )


class AggregatePublic(BaseModel):
    node_id: uuid.UUID
    indicator_code: str
    indicator_name: str
    unit: str
    kind: IndicatorKind
    view: Literal["current", "approved"]
    total: MeasurePublic | None
    series: list[MeasurePublic]
    counted_once: CountedOnce | None = Field(
        default=None,
        description="enterprise or participant: the total counts each listed one once across "
        "projects (EU methodology); values reported without identifiers count as reported",
    )
    reported_value: Decimal | None = Field(
        default=None, description="the same total as the projects reported it (added up)"
    )
    more_than_one_project: int | None = Field(
        default=None, description="listed ones supported by more than one project"
    )
    per_definition: list["DefinitionTotalPublic"] = Field(
        default_factory=list,
        description="when the range runs across a break in series: no total, one per definition",
    )
    note: str | None = None


class DefinitionTotalPublic(BaseModel):
    version: int
    unit: str
    first: str | None = Field(description="the range's part under this definition")
    last: str | None
    total: MeasurePublic | None


class ProgressPublic(BaseModel):
    indicator_code: str
    indicator_name: str
    unit: str
    kind: IndicatorKind
    baseline_value: Decimal | None
    baseline_year: int | None
    target_value: Decimal | None
    target_date: date | None
    realised: Decimal | None
    expected: Decimal | None
    percent_of_target: Decimal | None
    status: str | None
    as_of: date | None
    approved: Decimal | None = Field(
        default=None, description="realised counting approved values only"
    )
    pending_reports: int = Field(
        default=0, description="reports counted in `realised` that await review"
    )
    pending_value: Decimal | None = Field(default=None, description="their values' sum (flows)")
    flagged_reports: int = Field(
        default=0, description="of those, how many carry plausibility flags"
    )
    implausible: bool = Field(
        default=False,
        description="realised is beyond the indicator's plausible share of its target "
        "(settings: KPI_PLAUSIBILITY_TARGET_PERCENT; per indicator in the catalogue)",
    )
    series: list[MeasurePublic]
    texts: list[str] = []


class EuTotalPublic(BaseModel):
    eu_code: str
    indicators: list[str]
    value: Decimal = Field(description="enterprise indicators: each listed enterprise once")
    projects: int
    reported_value: Decimal | None = Field(
        default=None, description="as the projects reported it, where identifiers were listed"
    )
    more_than_one_project: int | None = None


# --- the results chain ----------------------------------------------------------------------


class OutcomeIndicatorIn(Input):
    code: Code
    name: Name
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    level: OutcomeLevel = OutcomeLevel.OUTCOME
    kind: OutcomeKind = Field(
        default=OutcomeKind.LEVEL,
        description="level: changes between measurements (a rate, jobs in a sector); "
        "flow: each period's value is the change itself (jobs added per year)",
    )
    direction: Direction = Direction.HIGHER_IS_BETTER
    baseline_value: Number | None = None
    baseline_date: IsoDate | None = None
    target_value: Number | None = None
    target_date: IsoDate | None = None


class MeasurementIn(Input):
    outcome: Code = Field(description="the outcome indicator's code in this programme")
    period: Annotated[int, Field(ge=1990, le=2100, description="the year the value describes")]
    value: Number
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    published_on: IsoDate


class MeasurementPublic(BaseModel):
    period: str
    value: Decimal
    source: str
    published_on: date
    revision: int
    recorded_by: str


class OutcomePublic(BaseModel):
    id: uuid.UUID
    goal_id: uuid.UUID
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
    latest_period: str | None = None
    latest_value: Decimal | None = None
    trend: list[MeasurementPublic] = Field(
        default_factory=list, description="the current value per period (latest publication)"
    )
    revisions: list[MeasurementPublic] = Field(default_factory=list)


class MeasurementsIn(Input):
    measurements: list[MeasurementIn] = Field(min_length=1, max_length=5000)


class LinkIn(Input):
    output_indicator: Code
    outcome: Code
    kind: LinkKind
    rationale: Reason


class ContributionPublic(BaseModel):
    """Outputs against the outcome's change over the same years: contribution, not attribution."""

    output_indicator: str
    outcome: str
    kind: str
    rationale: str
    first_year: int | None = None
    last_year: int | None = None
    outputs: Decimal | None = None
    outcome_change: Decimal | None = None
    share: Decimal | None = Field(default=None, description="outputs / outcome change")
    missing: list[str] = Field(default_factory=list)
    label: str = "contribution, not attribution"


class GoalReviewIn(Input):
    period: PeriodText
    status: Literal["on_track", "at_risk", "off_track"]
    narrative: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)
    ]
    decisions: Annotated[str, StringConstraints(max_length=10000)] = ""


class GoalReviewPublic(BaseModel):
    period: str
    status: str
    narrative: str
    decisions: str
    reviewed_by: str
    reviewed_at: datetime


class MoneyPublic(BaseModel):
    fund: str
    allocated: Decimal
    committed: Decimal
    paid: Decimal


class ProjectProgressLine(BaseModel):
    project_code: str
    indicator_code: str
    realised: Decimal | None
    target_value: Decimal | None
    percent_of_target: Decimal | None
    status: str | None
    approved: Decimal | None = None
    pending_reports: int = 0
    pending_value: Decimal | None = None
    flagged_reports: int = 0


class PendingOutputPublic(BaseModel):
    """Reports awaiting review under a goal, per indicator: not in its approved outputs."""

    indicator_code: str
    reports: int
    value: Decimal | None = Field(description="their values' sum (flows)")
    flagged: int


class ResultsChainPublic(BaseModel):
    """One goal's chain: what it cost, what came out, and whether it moves the needle."""

    goal_id: uuid.UUID
    code: str
    name: str
    input: list[MoneyPublic]
    outputs: list[AggregatePublic] = Field(
        description="the goal's approved totals (each project once)"
    )
    pending: list[PendingOutputPublic] = Field(
        default_factory=list, description="what awaits review, not in the outputs"
    )
    progress: list[ProjectProgressLine] = Field(description="its projects against their targets")
    outcomes: list[OutcomePublic]
    contributions: list[ContributionPublic]
    reviews: list[GoalReviewPublic]
