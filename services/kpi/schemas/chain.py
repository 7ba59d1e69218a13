"""The results chain: outcomes, measurements, links, reviews and the chain view."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from services.kpi.domain.indicators import Direction
from services.kpi.domain.outcomes import LinkKind, OutcomeKind, OutcomeLevel
from services.kpi.schemas.aggregates import AggregatePublic
from services.kpi.schemas.common import Code, Input, Name, Number, PeriodText, Reason
from shared.inputs import IsoDate


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
