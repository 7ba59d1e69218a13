"""The funding API's money: rules, plans, grants, payments, budgets, EU reports; amounts
are euro with at most two decimals."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.funding.domain.funds import FundSource, RateBasis, RegionCategory
from services.funding.domain.ledger import PaymentKind
from shared.inputs import IsoDate

Euro = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, examples=["125000.00"])]
PositiveEuro = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Fraction = Annotated[Decimal, Field(gt=0, le=1, decimal_places=6, examples=["0.6"])]
Text = Annotated[str, Field(max_length=2000)]
Reference = Annotated[str, Field(min_length=1, max_length=100)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- rules ----------------------------------------------------------------------------------


class CeilingRuleIn(Model):
    fund: FundSource = Field(description="an EU fund: efro or jtf")
    region_category: RegionCategory
    rate: Fraction
    basis: RateBasis = RateBasis.TOTAL
    effective_from: IsoDate
    source: Annotated[str, Field(max_length=1000)] = ""


class CeilingRulePublic(Public):
    fund: str
    region_category: str
    rate: Decimal
    basis: str
    effective_from: date
    source: str
    created_by: str
    created_at: datetime


class ProgrammeFundingIn(Model):
    region_category: RegionCategory
    jtf_territory: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100, description="municipalities or places"
    )


class ProgrammeFundingPublic(Public):
    programme_id: uuid.UUID
    region_category: str
    jtf_territory: list[str]
    updated_by: str
    updated_at: datetime


class PriorityRateIn(Model):
    goal_id: uuid.UUID = Field(description="the priority: a programme line of the programme")
    fund: FundSource
    rate: Fraction
    basis: RateBasis = RateBasis.TOTAL
    effective_from: IsoDate


class PriorityRatePublic(Public):
    programme_id: uuid.UUID
    goal_id: uuid.UUID
    fund: str
    rate: Decimal
    basis: str
    effective_from: date
    set_by: str


class RatePublic(BaseModel):
    fund: str
    rate: Decimal
    basis: str
    effective_from: date
    origin: str


# --- plans ----------------------------------------------------------------------------------


class FinancingPlanIn(Model):
    total_costs: PositiveEuro
    eligible_costs: Euro
    ineligible_costs: Euro = Decimal(0)
    contributions: dict[FundSource, Euro] = Field(min_length=1)
    goal_shares: dict[uuid.UUID, Fraction] | None = Field(
        default=None, description="share of the money per goal; equal shares when left out"
    )
    reason: Text | None = Field(default=None, description="required for an amendment")
    based_on: int | None = Field(
        default=None,
        ge=0,
        description="the version this plan was drawn up from (0: none yet); when another "
        "amendment came first, it is refused with 409 and the current version, instead of "
        "replacing what the other one changed. Left out: it becomes the next version.",
    )


class FinancingPlanPublic(BaseModel):
    project_id: uuid.UUID
    version: int
    total_costs: Decimal
    eligible_costs: Decimal
    ineligible_costs: Decimal
    contributions: dict[str, Decimal]
    goal_shares: dict[uuid.UUID, Decimal]
    public_contribution: Decimal
    private_contribution: Decimal
    leverage: Decimal | None
    eu_rates: list[RatePublic]
    reason: str | None
    created_by: str
    created_at: datetime


# --- grants and payments --------------------------------------------------------------------


class GrantDecisionIn(Model):
    fund: FundSource
    amount: PositiveEuro
    decided_on: IsoDate
    reference: Reference
    conditions: Annotated[str, Field(max_length=4000)] = ""


class GrantDecisionPublic(Public):
    id: uuid.UUID
    project_id: uuid.UUID
    fund: str
    amount: Decimal
    decided_on: date
    reference: str
    conditions: str
    created_by: str
    created_at: datetime


class DecommitmentIn(Model):
    """Lowers what one fund's grants commit to the project (never below what was paid)."""

    fund: FundSource
    amount: PositiveEuro
    decided_on: IsoDate
    reference: Reference
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class DecommitmentPublic(Public):
    id: uuid.UUID
    project_id: uuid.UUID
    fund: str
    amount: Decimal
    decided_on: date
    reference: str
    reason: str
    created_by: str
    created_at: datetime


class PaymentIn(Model):
    fund: FundSource
    kind: PaymentKind
    amount: PositiveEuro
    paid_on: IsoDate
    reference: Annotated[str, Field(max_length=100)] = ""


class PaymentPublic(Public):
    id: uuid.UUID
    project_id: uuid.UUID
    fund: str
    kind: str
    amount: Decimal
    paid_on: date
    reference: str
    created_by: str
    created_at: datetime


class SettlementIn(Model):
    fund: FundSource
    amount: Euro = Field(description="the definitive grant")
    settled_on: IsoDate
    reference: Reference


class LedgerPublic(BaseModel):
    fund: str
    committed: Decimal
    paid: Decimal
    remaining: Decimal
    settled: bool


class SettlementPublic(BaseModel):
    fund: str
    amount: Decimal
    settled_on: date
    reference: str
    payment: PaymentPublic | None = Field(description="the balance paid, or the recovery")
    ledger: LedgerPublic


class ProjectMoneyPublic(BaseModel):
    """A project's money at a glance: its plan, decisions, payments and ledgers per fund."""

    project_id: uuid.UUID
    code: str
    name: str
    plan: FinancingPlanPublic | None
    grants: list[GrantDecisionPublic]
    decommitments: list[DecommitmentPublic] = Field(
        default_factory=list, description="grants amended down, oldest first"
    )
    payments: list[PaymentPublic]
    ledgers: list[LedgerPublic]


# --- budgets, efficiency, EU reports --------------------------------------------------------


class BudgetIn(Model):
    goal_id: uuid.UUID
    fund: FundSource
    amount: Euro


class BudgetLinePublic(BaseModel):
    goal_id: uuid.UUID
    code: str
    name: str
    kind: str
    parent_id: uuid.UUID | None
    fund: str
    allocated: Decimal
    committed: Decimal
    paid: Decimal
    remaining: Decimal
    committed_share: Decimal | None
    absorption_rate: Decimal | None = Field(description="paid / allocated")


class OutputCostPublic(BaseModel):
    indicator_code: str
    unit: str | None
    realised: Decimal = Field(description="approved values only")
    committed_per_unit: Decimal | None
    paid_per_unit: Decimal | None
    pending_reports: int = Field(default=0, description="reports awaiting review")
    pending_value: Decimal = Field(default=Decimal(0), description="their values' sum")


class EfficiencyPublic(BaseModel):
    """Money against output of one project, one goal node, or the whole programme."""

    scope: str  # project | goal | programme
    id: uuid.UUID
    code: str
    name: str
    committed: Decimal
    paid: Decimal
    public_contribution: Decimal
    private_contribution: Decimal
    leverage: Decimal | None
    outputs: list[OutputCostPublic]


class EuProjectLine(BaseModel):
    project_id: uuid.UUID
    code: str
    name: str
    eligible_costs: Decimal
    eu_planned: Decimal
    eu_committed: Decimal
    eu_paid: Decimal


class EuIndicatorTotal(BaseModel):
    eu_code: str
    unit: str | None
    value: Decimal | None = Field(
        description="approved values only; null where one of the EU code's indicators "
        "counts reports on both sides of a break in series or a change of unit (see `note`)"
    )
    projects: int
    pending_reports: int = Field(default=0, description="reports awaiting review, not counted")
    pending_value: Decimal = Field(default=Decimal(0), description="their values' sum")
    reported_value: Decimal | None = Field(
        default=None,
        description="enterprises counted once (ADR 29): the value as the projects reported "
        "it; `value` counts each listed enterprise once",
    )
    more_than_one_project: int | None = Field(
        default=None, description="enterprises counted by more than one project"
    )
    planned: Decimal | None = Field(
        default=None,
        description="the end targets the projects declared for the indicators mapped to "
        "this EU code, added up as declared (null: none declared one)",
    )
    note: str | None = Field(
        default=None,
        description="why there is no value: the indicator, the break in series or unit "
        "change, its date and the periods on either side (ADR 32)",
    )


class EuPendingLine(BaseModel):
    """A project's indicator with reports awaiting review at the cut-off: not in the totals."""

    project_id: uuid.UUID
    code: str
    indicator_code: str
    eu_code: str
    unit: str | None
    pending_reports: int
    pending_value: Decimal
    flagged_reports: int = Field(description="of those, how many carry plausibility flags")


class EuReportPublic(BaseModel):
    programme_id: uuid.UUID
    fund: str
    as_of: date
    is_cutoff: bool = Field(description="as_of is an indicator cut-off (31 January or 31 July)")
    projects: list[EuProjectLine]
    eligible_costs: Decimal
    eu_planned: Decimal | None = Field(
        default=None,
        description="the EU money the projects' current plans give the fund (null in records "
        "sealed before it was given)",
    )
    eu_committed: Decimal
    eu_paid: Decimal
    indicators: list[EuIndicatorTotal]
    pending: list[EuPendingLine] = Field(
        default_factory=list, description="what awaits review, with plausibility flags"
    )
