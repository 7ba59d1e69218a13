"""Totals, progress and EU totals as the read API answers them."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from services.kpi.domain.distinct import CountedOnce
from services.kpi.domain.indicators import IndicatorKind


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
    note: str | None = Field(
        default=None,
        description="why a figure to date is missing: the indicator's definition has a break "
        "in series between the periods the project reported (ADR 32)",
    )


class EuTotalPublic(BaseModel):
    eu_code: str
    indicators: list[str]
    value: Decimal | None = Field(
        description="enterprise indicators: each listed enterprise once; in each indicator's "
        "current unit; null when an indicator's definition has a break in series (see note)"
    )
    projects: int
    reported_value: Decimal | None = Field(
        default=None, description="as the projects reported it, where identifiers were listed"
    )
    more_than_one_project: int | None = None
    note: str | None = Field(
        default=None, description="why no value is given: the break in series it would run across"
    )
