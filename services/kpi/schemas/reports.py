"""Reports as partners send them and as the service answers; review and comments."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from services.kpi.schemas.common import Code, Input, Number, PeriodText, Reason


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
