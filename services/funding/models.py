"""The funding service's tables: rules, plans, grants and payments (its own truth), and
read-only replicas of the registry and of the KPI service's realised outputs."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import FixedDecimal, utcnow


class FundingBase(SQLModel, registry=registry()):
    pass


def euro(nullable: bool = False) -> Decimal:
    """An exact amount column (see shared.db.FixedDecimal)."""
    return Field(default=None if nullable else Decimal(0), sa_type=FixedDecimal, nullable=nullable)  # type: ignore[no-any-return]


# --- rules --------------------------------------------------------------------------------


class CeilingRuleRow(FundingBase, table=True):
    """An EU fund's ceiling for a category of region, from a date on (history is kept)."""

    __tablename__ = "ceiling_rules"
    __table_args__ = (
        UniqueConstraint("fund", "region_category", "effective_from", name="uq_ceiling_rules"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fund: str = Field(max_length=20)
    region_category: str = Field(max_length=40)
    rate: Decimal = euro()
    basis: str = Field(max_length=10)
    effective_from: date
    source: str = Field(default="", max_length=1000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ProgrammeFunding(FundingBase, table=True):
    """A programme's category of region and its JTF territory."""

    __tablename__ = "programme_funding"

    programme_id: uuid.UUID = Field(primary_key=True)
    region_category: str = Field(max_length=40)
    jtf_territory: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class PriorityRateRow(FundingBase, table=True):
    """The rate approved for one priority (programme line) of a programme, from a date on."""

    __tablename__ = "priority_rates"

    programme_id: uuid.UUID = Field(primary_key=True)
    goal_id: uuid.UUID = Field(primary_key=True)
    fund: str = Field(primary_key=True, max_length=20)
    effective_from: date = Field(primary_key=True)
    rate: Decimal = euro()
    basis: str = Field(max_length=10)
    set_by: str = Field(max_length=200)
    set_at: datetime = Field(default_factory=utcnow)


# --- plans, grants, payments, budgets -------------------------------------------------------


class FinancingPlan(FundingBase, table=True):
    """One version of a project's financing plan; amendments add versions, none is changed."""

    __tablename__ = "financing_plans"

    project_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    total_costs: Decimal = euro()
    eligible_costs: Decimal = euro()
    ineligible_costs: Decimal = euro()
    reason: str | None = Field(default=None, max_length=2000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class PlanContribution(FundingBase, table=True):
    __tablename__ = "plan_contributions"

    project_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    source: str = Field(primary_key=True, max_length=20)
    amount: Decimal = euro()


class PlanGoalShare(FundingBase, table=True):
    __tablename__ = "plan_goal_shares"

    project_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    goal_id: uuid.UUID = Field(primary_key=True)
    share: Decimal = euro()


class GrantDecision(FundingBase, table=True):
    """A grant decision (beschikking): what one fund commits to one project."""

    __tablename__ = "grant_decisions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    project_id: uuid.UUID = Field(index=True)
    fund: str = Field(max_length=20)
    amount: Decimal = euro()
    decided_on: date
    reference: str = Field(max_length=100, unique=True)
    conditions: str = Field(default="", max_length=4000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class GrantDecommitment(FundingBase, table=True):
    """A decision that lowers what a grant commits (a de-commitment): the way to amend a
    grant down, e.g. before the financing plan foresees less from its fund."""

    __tablename__ = "grant_decommitments"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    project_id: uuid.UUID = Field(index=True)
    fund: str = Field(max_length=20)
    amount: Decimal = euro()
    decided_on: date
    reference: str = Field(max_length=100, unique=True)
    reason: str = Field(max_length=2000)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Payment(FundingBase, table=True):
    __tablename__ = "payments"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    project_id: uuid.UUID = Field(index=True)
    fund: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    amount: Decimal = euro()
    paid_on: date
    reference: str = Field(default="", max_length=100)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Settlement(FundingBase, table=True):
    """The final settlement (vaststelling) of one fund's grant to a project."""

    __tablename__ = "settlements"

    project_id: uuid.UUID = Field(primary_key=True)
    fund: str = Field(primary_key=True, max_length=20)
    amount: Decimal = euro()
    settled_on: date
    reference: str = Field(max_length=100)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Budget(FundingBase, table=True):
    """What a programme allocates to one programme line or goal from one fund."""

    __tablename__ = "budgets"

    programme_id: uuid.UUID = Field(primary_key=True)
    goal_id: uuid.UUID = Field(primary_key=True)
    fund: str = Field(primary_key=True, max_length=20)
    amount: Decimal = euro()
    set_by: str = Field(max_length=200)
    set_at: datetime = Field(default_factory=utcnow)


# --- replicas (from projects.events.v1 and kpi.events.v1) ----------------------------------


class ProgrammeReplica(FundingBase, table=True):
    __tablename__ = "replica_programmes"

    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    period_start: int
    period_end: int


class GoalReplica(FundingBase, table=True):
    __tablename__ = "replica_goals"

    id: uuid.UUID = Field(primary_key=True)
    programme_id: uuid.UUID = Field(index=True)
    parent_id: uuid.UUID | None = None
    kind: str = Field(max_length=40)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)


class ProjectReplica(FundingBase, table=True):
    __tablename__ = "replica_projects"

    id: uuid.UUID = Field(primary_key=True)
    programme_id: uuid.UUID = Field(index=True)
    code: str = Field(max_length=40, index=True)
    name: str = Field(max_length=200)
    municipality: str | None = Field(default=None, max_length=100)
    status: str = Field(max_length=20)
    version: int


class ProjectGoalReplica(FundingBase, table=True):
    __tablename__ = "replica_project_goals"

    project_id: uuid.UUID = Field(primary_key=True)
    goal_id: uuid.UUID = Field(primary_key=True, index=True)


class RealisedOutput(FundingBase, table=True):
    """A project's realised value of an indicator to date, as the KPI service derived it."""

    __tablename__ = "realised_outputs"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    indicator_kind: str = Field(max_length=20)
    unit: str | None = Field(default=None, max_length=80)
    eu_code: str | None = Field(default=None, max_length=20)
    realised: Decimal | None = euro(nullable=True)
    as_of: date | None = None
    # approved values only; what awaits review (EU reports and cost per output count
    # the approved value and show the pending one beside it)
    approved: Decimal | None = euro(nullable=True)
    pending_reports: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    pending_value: Decimal | None = euro(nullable=True)
    flagged_reports: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class DeclaredTarget(FundingBase, table=True):
    """A project's end target of an indicator as its KPI declaration set it
    (kpi.target.set.v1, the latest): what the EU report adds up as planned per EU code."""

    __tablename__ = "replica_targets"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    indicator_kind: str = Field(max_length=20)
    target_value: Decimal | None = euro(nullable=True)
    target_date: date | None = None
    set_by: str = Field(max_length=200)
    recorded_at: datetime


class RealisedHistory(FundingBase, table=True):
    """The realised value as it stood with reports up to each period end (for cut-offs)."""

    __tablename__ = "realised_history"

    project_id: uuid.UUID = Field(primary_key=True)
    indicator_code: str = Field(primary_key=True, max_length=40)
    as_of: date = Field(primary_key=True)
    realised: Decimal | None = euro(nullable=True)
    approved: Decimal | None = euro(nullable=True)
    pending_reports: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    pending_value: Decimal | None = euro(nullable=True)
    flagged_reports: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


# --- sealed transmissions (ADR 30) ---------------------------------------------------------


class Transmission(FundingBase, table=True):
    """An EU report as transmitted at a cut-off, frozen: its renderings are stored as they
    were sent and returned byte for byte; rows are only ever added (triggers refuse UPDATE
    and DELETE) and the inserting transaction's audit entry holds every column."""

    __tablename__ = "transmissions"
    __table_args__ = (
        UniqueConstraint("programme_id", "fund", "number", name="uq_transmission_number"),
        UniqueConstraint(
            "programme_id", "fund", "as_of", "correction", name="uq_transmission_cutoff"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    programme_id: uuid.UUID = Field(index=True)
    fund: str = Field(max_length=20)
    number: int
    as_of: date
    correction: int = 0
    corrects: int | None = None
    reason: str | None = Field(default=None, max_length=2000)
    sealed_by: str = Field(max_length=200)
    sealed_at: datetime
    document: str = Field(sa_type=Text)  # the JSON record, as returned
    csv: str = Field(sa_type=Text)
    xlsx: str = Field(sa_type=Text)  # base64 of the workbook's bytes
    json_sha256: str = Field(max_length=64)
    csv_sha256: str = Field(max_length=64)
    xlsx_sha256: str = Field(max_length=64)


class TransmissionRestatement(FundingBase, table=True):
    """A restatement (a report version for an already transmitted period) that a later
    transmission carries: each is carried by the first transmission after it."""

    __tablename__ = "transmission_restatements"

    transmission_id: uuid.UUID = Field(primary_key=True)
    report_id: uuid.UUID = Field(primary_key=True, index=True)


class ReportVersionReplica(FundingBase, table=True):
    """One version of a reported cell as kpi.report.*.v1 announced it: what a transmission
    freezes as counted, and what a diff names as changed since."""

    __tablename__ = "replica_report_versions"

    report_id: uuid.UUID = Field(primary_key=True)
    project_id: uuid.UUID = Field(index=True)
    indicator_code: str = Field(max_length=40)
    period: str = Field(max_length=7)
    period_end: date
    dimension_key: str = Field(default="", max_length=200)
    version: int
    value: Decimal | None = euro(nullable=True)
    state: str = Field(max_length=20)  # submitted | approved | returned
    submitted_by: str = Field(max_length=200)
    reason: str | None = Field(default=None, max_length=2000)  # a revision's
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # keyed hashes of the enterprises (or participants) the value counts (ADR 29)
    identifiers: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    reviewed_by: str | None = Field(default=None, max_length=200)
    review_reason: str | None = Field(default=None, max_length=2000)
    recorded_at: datetime  # when the funding service heard of the version
    reviewed_recorded_at: datetime | None = None


class RestatementReplica(FundingBase, table=True):
    """A restatement the KPI service flagged (kpi.restatement.flagged.v1)."""

    __tablename__ = "replica_restatements"

    report_id: uuid.UUID = Field(primary_key=True)
    project_id: uuid.UUID = Field(index=True)
    indicator_code: str = Field(max_length=40)
    period: str = Field(max_length=7)
    dimension_key: str = Field(default="", max_length=200)
    version: int
    kind: str = Field(max_length=20)
    value: Decimal | None = euro(nullable=True)
    previous_value: Decimal | None = euro(nullable=True)
    reason: str | None = Field(default=None, max_length=2000)
    submitted_by: str = Field(max_length=200)
    restates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime


class DefinitionReplica(FundingBase, table=True):
    """A version of an indicator's definition as kpi.indicator.defined.v1 announced it
    (ADR 32): what a transmission names as in force for the periods it counted."""

    __tablename__ = "replica_indicator_definitions"

    indicator_code: str = Field(primary_key=True, max_length=40)
    version: int = Field(primary_key=True)
    effective_from: date
    name_en: str = Field(max_length=300)
    name_nl: str | None = Field(default=None, max_length=300)
    unit: str = Field(max_length=80)
    kind: str = Field(max_length=20)
    eu_code: str | None = Field(default=None, max_length=20)
    methodology: str | None = Field(default=None, max_length=4000)
    change: str = Field(max_length=20)  # first | edit | conversion | break
    conversion_factor: str | None = Field(default=None, max_length=60)  # exact, as text
    reason: str | None = Field(default=None, max_length=2000)
    defined_by: str = Field(max_length=200)
    defined_at: datetime | None = None
    counted_once: str | None = Field(default=None, max_length=20)  # the indicator's (ADR 29)
