"""The KPI service's tables: catalogue and intake (its own truth), the registry replica,
and the aggregation projection (rebuildable from the topics)."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import FixedDecimal, utcnow


class KpiBase(SQLModel, registry=registry()):
    pass


def amount(nullable: bool = True) -> Decimal | None:
    """An exact decimal column (see shared.db.FixedDecimal)."""
    return Field(default=None if nullable else Decimal(0), sa_type=FixedDecimal, nullable=nullable)  # type: ignore[no-any-return]


# --- the catalogue and the intake: this service's own truth ---------------------------------


class Indicator(KpiBase, table=True):
    __tablename__ = "indicators"

    code: str = Field(primary_key=True, max_length=40)
    name_en: str = Field(max_length=300)
    name_nl: str | None = Field(default=None, max_length=300)
    unit: str = Field(max_length=80)
    level: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    direction: str = Field(max_length=20)
    decimals_allowed: bool = False
    negative_allowed: bool = False
    eu_code: str | None = Field(default=None, max_length=20, index=True)
    source: str | None = Field(default=None, max_length=1000)
    plausible_target_percent: Decimal | None = amount()
    plausible_jump_factor: Decimal | None = amount()
    # enterprise | participant: counted once across projects (domain.distinct)
    counted_once: str | None = Field(default=None, max_length=20)
    methodology: str | None = Field(default=None, max_length=4000)
    # the latest of its definitions (IndicatorDefinition; 1 until one is recorded)
    definition_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class IndicatorDefinition(KpiBase, table=True):
    """A version of an indicator's definition, in force from a quarter's first day
    (domain.definitions). The first recorded change keeps the one before as version 1."""

    __tablename__ = "indicator_definitions"

    code: str = Field(primary_key=True, max_length=40)
    version: int = Field(primary_key=True)
    effective_from: date
    name_en: str = Field(max_length=300)
    name_nl: str | None = Field(default=None, max_length=300)
    unit: str = Field(max_length=80)
    kind: str = Field(max_length=20)
    eu_code: str | None = Field(default=None, max_length=20)
    methodology: str | None = Field(default=None, max_length=4000)
    change: str = Field(max_length=20)  # first | edit | conversion | break
    conversion_factor: Decimal | None = amount()
    reason: str | None = Field(default=None, max_length=2000)
    defined_by: str = Field(max_length=200)
    defined_at: datetime = Field(default_factory=utcnow)


class ProjectKpi(KpiBase, table=True):
    """A project's declaration that it reports an indicator, with baseline and targets."""

    __tablename__ = "project_kpis"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, foreign_key="indicators.code", max_length=40)
    frequency: str = Field(max_length=20)
    dimensions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    baseline_value: Decimal | None = amount()
    baseline_year: int | None = None
    target_value: Decimal | None = amount()
    target_date: date | None = None
    period_targets: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    updated_by: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class Report(KpiBase, table=True):
    """One version of one cell (project, indicator, period, disaggregation).

    Rows are only ever added; review sets the state and reviewer of a version.
    """

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint(
            "project_id",
            "indicator_code",
            "period",
            "dimension_key",
            "version",
            name="uq_report_version",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    project_id: uuid.UUID  # looked up through uq_report_version, which starts with it
    indicator_code: str = Field(max_length=40)
    period: str = Field(max_length=7)
    dimension_key: str = Field(default="", max_length=200)
    version: int
    value: Decimal | None = amount()
    numerator: Decimal | None = amount()
    denominator: Decimal | None = amount()
    comment: str | None = Field(default=None, max_length=2000)
    source_ref: str | None = Field(default=None, max_length=200)
    state: str = Field(max_length=20)  # submitted | approved | returned
    organisation_id: uuid.UUID | None = None
    submitted_by: str = Field(max_length=200)
    submitted_at: datetime = Field(default_factory=utcnow)
    revision_reason: str | None = Field(default=None, max_length=2000)
    flags: list[str] = Field(  # domain.plausibility
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    identifiers: list[str] = Field(  # keyed hashes, never the numbers (domain.distinct)
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    review_reason: str | None = Field(default=None, max_length=2000)
    reviewed_by: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = None


class ReportComment(KpiBase, table=True):
    """A message in a report's thread between its reviewers and its partner. A return's
    reason is kept there too, so the partner reads why beside what was said after."""

    __tablename__ = "report_comments"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    report_id: uuid.UUID = Field(index=True)
    author: str = Field(max_length=200)
    role: str = Field(max_length=20)  # staff | partner
    kind: str = Field(max_length=20)  # comment | return
    text: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class ApiKey(KpiBase, table=True):
    """A partner organisation's key; only its SHA-256 is kept, the key is shown once."""

    __tablename__ = "api_keys"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(index=True)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class PeriodLock(KpiBase, table=True):
    __tablename__ = "period_locks"
    __table_args__ = (UniqueConstraint("programme_id", "period", name="uq_period_lock"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: uuid.UUID
    period: str = Field(max_length=7)
    locked_by: str = Field(max_length=200)
    locked_at: datetime = Field(default_factory=utcnow)


class LockException(KpiBase, table=True):
    __tablename__ = "lock_exceptions"

    project_id: uuid.UUID = Field(primary_key=True)
    period: str = Field(primary_key=True, max_length=7)
    reason: str = Field(max_length=2000)
    granted_by: str = Field(max_length=200)
    granted_at: datetime = Field(default_factory=utcnow)


class IdempotencyRecord(KpiBase, table=True):
    __tablename__ = "idempotency_records"

    principal: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    body: str
    created_at: datetime = Field(default_factory=utcnow)


# --- the registry replica, kept from projects.events.v1 -----------------------------------------


class ProgrammeReplica(KpiBase, table=True):
    __tablename__ = "replica_programmes"

    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    period_start: int
    period_end: int


class GoalReplica(KpiBase, table=True):
    __tablename__ = "replica_goals"

    id: uuid.UUID = Field(primary_key=True)
    programme_id: uuid.UUID = Field(index=True)
    parent_id: uuid.UUID | None = None
    kind: str = Field(max_length=40)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)


class OrganisationReplica(KpiBase, table=True):
    __tablename__ = "replica_organisations"

    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)


class ProjectReplica(KpiBase, table=True):
    __tablename__ = "replica_projects"

    id: uuid.UUID = Field(primary_key=True)
    programme_id: uuid.UUID = Field(index=True)
    code: str = Field(max_length=40, index=True)
    name: str = Field(max_length=200)
    lead_organisation_id: uuid.UUID
    start_date: date
    end_date: date
    status: str = Field(max_length=20)
    version: int


class ProjectMemberReplica(KpiBase, table=True):
    __tablename__ = "replica_project_members"

    project_id: uuid.UUID = Field(primary_key=True)
    organisation_id: uuid.UUID = Field(primary_key=True, index=True)
    role: str = Field(max_length=40)


class ProjectGoalReplica(KpiBase, table=True):
    __tablename__ = "replica_project_goals"

    project_id: uuid.UUID = Field(primary_key=True)
    goal_id: uuid.UUID = Field(primary_key=True, index=True)


# --- the aggregation projection, kept from kpi.events.v1 (and rebuildable from it) -------------


class CellVersion(KpiBase, table=True):
    """Every version of every cell as the projection saw it, with its review state."""

    __tablename__ = "projection_cell_versions"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    period: str = Field(primary_key=True, max_length=7)
    dimension_key: str = Field(primary_key=True, max_length=200)
    version: int = Field(primary_key=True)
    kind: str = Field(max_length=20)
    value: Decimal | None = amount()
    numerator: Decimal | None = amount()
    denominator: Decimal | None = amount()
    comment: str | None = Field(default=None, max_length=2000)
    state: str = Field(max_length=20)
    flags: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class IdentifiedVersion(KpiBase, table=True):
    """The identifier hashes of a cell version that listed them (domain.distinct)."""

    __tablename__ = "projection_identifiers"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40, index=True)
    period: str = Field(primary_key=True, max_length=7)
    dimension_key: str = Field(primary_key=True, max_length=200)
    version: int = Field(primary_key=True)
    hashes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class TargetState(KpiBase, table=True):
    __tablename__ = "projection_targets"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=20)
    direction: str = Field(max_length=20)
    baseline_value: Decimal | None = amount()
    baseline_year: int | None = None
    target_value: Decimal | None = amount()
    target_date: date | None = None


class ProjectTotal(KpiBase, table=True):
    """A project's series for one indicator and view, summed over disaggregations."""

    __tablename__ = "projection_project_totals"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    view: str = Field(primary_key=True, max_length=10)  # current | approved
    period_key: str = Field(primary_key=True, max_length=7)
    value: Decimal = amount(nullable=False)  # type: ignore[assignment]
    numerator: Decimal = amount(nullable=False)  # type: ignore[assignment]
    denominator: Decimal = amount(nullable=False)  # type: ignore[assignment]
    # what this row adds to its nodes' count of reporting projects (domain.series.reporting)
    projects: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class NodeTotal(KpiBase, table=True):
    """A goal node's (or a whole programme's) total: each project counted once."""

    __tablename__ = "projection_node_totals"
    __table_args__ = (Index("ix_node_totals_lookup", "node_id", "indicator_code", "view"),)

    node_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    view: str = Field(primary_key=True, max_length=10)
    period_key: str = Field(primary_key=True, max_length=7)
    value: Decimal = amount(nullable=False)  # type: ignore[assignment]
    numerator: Decimal = amount(nullable=False)  # type: ignore[assignment]
    denominator: Decimal = amount(nullable=False)  # type: ignore[assignment]
    projects: int = 0


class ProgressState(KpiBase, table=True):
    __tablename__ = "projection_progress"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    realised: Decimal | None = amount()
    expected: Decimal | None = amount()
    percent_of_target: Decimal | None = Field(
        default=None, max_length=20
    )  # stored as text, rounded
    status: str | None = Field(default=None, max_length=20)
    as_of: date | None = None
    # the approved view, and what awaits review (latest versions not yet approved)
    approved: Decimal | None = amount()
    pending_reports: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    pending_value: Decimal | None = amount()
    flagged_reports: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


# --- the results chain: outcomes, links, reviews (own truth) and money per goal (replica) ---


class OutcomeIndicator(KpiBase, table=True):
    """A programme-level outcome or impact indicator of one goal, measured from statistics."""

    __tablename__ = "outcome_indicators"
    __table_args__ = (UniqueConstraint("programme_id", "code", name="uq_outcome_code"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    programme_id: uuid.UUID = Field(index=True)
    goal_id: uuid.UUID = Field(index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=300)
    unit: str = Field(max_length=80)
    level: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    direction: str = Field(max_length=20)
    baseline_value: Decimal | None = amount()
    baseline_date: date | None = None
    target_value: Decimal | None = amount()
    target_date: date | None = None
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class OutcomeMeasurement(KpiBase, table=True):
    """One publication of an outcome's value for a period; revisions are kept, not replaced."""

    __tablename__ = "outcome_measurements"
    __table_args__ = (
        UniqueConstraint("outcome_id", "period", "revision", name="uq_outcome_measurement"),
    )

    id: int | None = Field(default=None, primary_key=True)
    outcome_id: uuid.UUID = Field(foreign_key="outcome_indicators.id", index=True)
    period: str = Field(max_length=7)
    value: Decimal = amount(nullable=False)  # type: ignore[assignment]
    source: str = Field(max_length=300)
    published_on: date
    revision: int
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow)


class ContributionLink(KpiBase, table=True):
    """Per goal: an output indicator that contributes to an outcome (the logic model)."""

    __tablename__ = "contribution_links"

    goal_id: uuid.UUID = Field(primary_key=True)
    output_indicator: str = Field(primary_key=True, foreign_key="indicators.code", max_length=40)
    outcome_id: uuid.UUID = Field(primary_key=True, foreign_key="outcome_indicators.id")
    kind: str = Field(max_length=20)
    rationale: str = Field(max_length=2000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class GoalReview(KpiBase, table=True):
    """A periodic review of a goal with its partners; every review is kept."""

    __tablename__ = "goal_reviews"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: uuid.UUID = Field(index=True)
    period: str = Field(max_length=7)
    status: str = Field(max_length=20)
    narrative: str = Field(max_length=10000)
    decisions: str = Field(default="", max_length=10000)
    reviewed_by: str = Field(max_length=200)
    reviewed_at: datetime = Field(default_factory=utcnow)


class GoalInput(KpiBase, table=True):
    """Money per goal node and fund, as the funding service announced it."""

    __tablename__ = "replica_goal_inputs"

    goal_id: uuid.UUID = Field(primary_key=True)
    fund: str = Field(primary_key=True, max_length=20)
    allocated: Decimal = amount(nullable=False)  # type: ignore[assignment]
    committed: Decimal = amount(nullable=False)  # type: ignore[assignment]
    paid: Decimal = amount(nullable=False)  # type: ignore[assignment]


class TransmittedCutoff(KpiBase, table=True):
    """An EU transmission as the funding service announced it (funding.transmission.sealed.v1):
    reports for its projects and indicators, for periods ending by its cut-off, restate it
    (domain.restatements)."""

    __tablename__ = "replica_transmissions"

    id: uuid.UUID = Field(primary_key=True)
    programme_id: uuid.UUID = Field(index=True)
    fund: str = Field(max_length=20)
    number: int
    label: str = Field(max_length=40)
    as_of: date
    correction: int = 0
    projects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    indicators: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason_required: bool = True
    notify: bool = True
