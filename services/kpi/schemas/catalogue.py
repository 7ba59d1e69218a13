"""The catalogue: indicators, their definitions and thresholds; project KPIs and what a
partner owes."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.kpi.domain.distinct import CountedOnce
from services.kpi.domain.indicators import Direction, IndicatorKind, Level
from services.kpi.domain.periods import Frequency
from services.kpi.schemas.common import (
    Code,
    Input,
    Name,
    Number,
    PeriodText,
    PositiveNumber,
    Reason,
)
from shared.inputs import IsoDate


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
