"""Sealed EU transmissions (ADR 30): what a finance officer sends, the sealed record, the
diff against today."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.funding.schemas.money import EuReportPublic
from shared.inputs import IsoDate


class TransmissionIn(BaseModel):
    as_of: IsoDate = Field(description="the cut-off: 31 January or 31 July (else give a reason)")
    reason: Annotated[str, Field(max_length=2000)] | None = Field(
        default=None, description="needed for another date and for a correction"
    )
    corrects: int | None = Field(
        default=None, description="the number of the transmission of this cut-off corrected"
    )


class TransmissionPublic(BaseModel):
    """A transmission as listed: who sealed what when; its files by number."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    programme_id: uuid.UUID
    fund: str
    number: int
    label: str
    as_of: date
    correction: int = Field(description="0 for the first transmission of the cut-off")
    corrects: int | None
    reason: str | None
    sealed_by: str
    sealed_at: datetime
    json_sha256: str
    csv_sha256: str
    xlsx_sha256: str


class CountedOutput(BaseModel):
    """A project's indicator as the transmission counted it (approved values only)."""

    project_id: uuid.UUID
    code: str
    indicator_code: str
    eu_code: str
    unit: str | None
    approved: Decimal | None
    counts_to: date = Field(description="the period end the value runs to")
    pending_reports: int
    pending_value: Decimal | None


class VersionLine(BaseModel):
    """One report version of a counted output's cells, and whether the figures count it."""

    report_id: uuid.UUID
    project_id: uuid.UUID
    indicator_code: str
    period: str
    dimension_key: str
    version: int
    state: str
    value: Decimal | None
    counted: bool


class DefinitionLine(BaseModel):
    """An indicator's definition a transmission counted under (ADR 32): the version in force
    for the periods it counted, as the KPI service announced it. Records sealed before the
    versions were announced hold the first four fields only (they are kept as sealed)."""

    indicator_code: str
    eu_code: str
    kind: str
    unit: str | None
    version: int | None = Field(
        default=None, description="none: the KPI service had not announced it when sealed"
    )
    effective_from: date | None = None
    name_en: str | None = None
    name_nl: str | None = None
    methodology: str | None = None
    methodology_sha256: str | None = Field(
        default=None, description="SHA-256 of the methodology text (none without one)"
    )
    change: str | None = Field(default=None, description="first | edit | conversion | break")
    conversion_factor: str | None = None
    first_period: str | None = Field(
        default=None, description="the first period counted under it (none: no version counted)"
    )
    last_period: str | None = None


class RulesInForce(BaseModel):
    region_category: str | None
    jtf_territory: list[str]
    ceiling: dict[str, str] | None = Field(description="the fund's ceiling in force at as_of")
    priority_rates: list[dict[str, str]] = Field(description="the programme's, at as_of")


class RestatementLine(BaseModel):
    report_id: uuid.UUID
    project_id: uuid.UUID
    code: str
    indicator_code: str
    period: str
    dimension_key: str
    version: int
    kind: str
    value: Decimal | None
    previous_value: Decimal | None
    reason: str | None
    submitted_by: str
    restates: list[str]


class TransmissionRecord(BaseModel):
    """What was transmitted, frozen: the JSON a transmission is returned as, byte for byte."""

    transmission: dict[str, Any]
    report: EuReportPublic
    outputs: list[CountedOutput]
    report_versions: list[VersionLine]
    definitions: list[DefinitionLine]
    cofinancing: RulesInForce
    late_data_policy: dict[str, bool]
    restatements: list[RestatementLine] = Field(
        description="report versions restating earlier transmissions that this one carries"
    )


class FigureChange(BaseModel):
    scope: str = Field(description="project | indicator | output")
    code: str
    field: str
    transmitted: Any
    today: Any


class VersionChange(BaseModel):
    """A report version seen since the transmission, for a period it covered."""

    kind: str = Field(
        description="late_report | revision | revision_after_approval | approval | return"
    )
    report_id: uuid.UUID
    project_id: uuid.UUID
    code: str
    indicator_code: str
    period: str
    dimension_key: str
    version: int
    state: str
    value: Decimal | None
    counted_value_transmitted: Decimal | None
    reason: str | None
    actor: str
    restates: list[str]
    recorded_at: datetime


class TransmissionDiff(BaseModel):
    transmission: TransmissionPublic
    figures: list[FigureChange]
    versions: list[VersionChange]
    restatements: list[RestatementLine]
