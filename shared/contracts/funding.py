"""Events of the funding service, on `funding.events.v1`.

Project money (plans, decisions, payments, settlements) is keyed by project id, so one
project's money events stay in order; programme budgets and rules by their own ids.
Amounts are euro with cents, as exact decimals.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from shared.contracts import topics
from shared.contracts.base import Event, register


class ProjectMoneyEvent(Event):
    topic: ClassVar[str] = topics.FUNDING
    key_field: ClassVar[str] = "project_id"

    project_id: UUID
    programme_id: UUID
    actor: str


class FinancingPlanSet(ProjectMoneyEvent):
    """A new version of a project's financing plan (the first one, or an amendment)."""

    type: ClassVar[str] = "funding.plan.set.v1"

    version: int
    total_costs: Decimal
    eligible_costs: Decimal
    ineligible_costs: Decimal
    contributions: dict[str, Decimal]
    goal_shares: dict[str, Decimal]
    reason: str | None


class GrantDecided(ProjectMoneyEvent):
    type: ClassVar[str] = "funding.grant.decided.v1"

    grant_id: UUID
    fund: str
    amount: Decimal
    decided_on: date
    reference: str
    committed_total: Decimal  # of this fund for this project, after the decision


class GrantDecommitted(ProjectMoneyEvent):
    """A grant amended down: `amount` of one fund is no longer committed to the project."""

    type: ClassVar[str] = "funding.grant.decommitted.v1"

    decommitment_id: UUID
    fund: str
    amount: Decimal
    decided_on: date
    reference: str
    reason: str
    committed_total: Decimal  # of this fund for this project, after the de-commitment


class PaymentMade(ProjectMoneyEvent):
    """Money moved: an advance, interim or final payment, or a recovery (paid back)."""

    type: ClassVar[str] = "funding.payment.made.v1"

    payment_id: UUID
    fund: str
    kind: str
    amount: Decimal
    paid_on: date
    committed_total: Decimal
    paid_total: Decimal  # net of recoveries, after this payment


class GrantSettled(ProjectMoneyEvent):
    """The final settlement (vaststelling): the definitive grant of one fund for a project."""

    type: ClassVar[str] = "funding.grant.settled.v1"

    fund: str
    settled_amount: Decimal
    settled_on: date
    reference: str


class BudgetUsage(Event):
    """Where the money of one goal node in one fund stands: its budget (0 if none), what
    is committed and paid under it. Sent when a budget is set and, for every node of the
    programme in the project's funds, whenever a project's plan, grant, payment or
    settlement changes; the results chain and the budget alerts read it."""

    topic: ClassVar[str] = topics.FUNDING
    key_field: ClassVar[str] = "programme_id"
    type: ClassVar[str] = "funding.budget.usage.v1"

    programme_id: UUID
    goal_id: UUID
    goal_code: str
    fund: str
    allocated: Decimal
    committed: Decimal
    paid: Decimal
    committed_share: Decimal | None  # committed / allocated


class CeilingRuleSet(Event):
    """A co-financing ceiling (or a programme's approved rate) takes effect on a date."""

    topic: ClassVar[str] = topics.FUNDING
    key_field: ClassVar[str] = "fund"
    type: ClassVar[str] = "funding.rule.set.v1"

    fund: str
    region_category: str | None
    programme_id: UUID | None
    goal_id: UUID | None
    rate: Decimal
    basis: str
    effective_from: date
    actor: str


class TransmissionSealed(Event):
    """A finance officer transmitted a fund's EU report at a cut-off: the record is frozen
    (figures, the report versions counted, definitions and rules in force) and sealed into
    the audit trail. `label` (``efro-3``) names it; a correction has its own number and
    names the one it `corrects`. The KPI service keeps these to flag late data: a report
    for a project and indicator listed here, for a period ending on or before `as_of`,
    restates the transmission (with a reason when `late_data_reason_required`)."""

    topic: ClassVar[str] = topics.FUNDING
    key_field: ClassVar[str] = "programme_id"
    type: ClassVar[str] = "funding.transmission.sealed.v1"

    transmission_id: UUID
    programme_id: UUID
    fund: str
    number: int
    label: str
    as_of: date
    correction: int  # 0: the first transmission of this cut-off; 1, 2 ...: its corrections
    corrects: int | None  # the number of the transmission this one corrects
    reason: str | None
    projects: list[UUID]
    indicators: list[str]  # the indicator codes counted (those with an EU code)
    restatements: list[UUID]  # report versions restating earlier transmissions it carries
    late_data_reason_required: bool
    late_data_notify: bool
    digests: dict[str, str]  # sha256 of each frozen rendering: json, csv, xlsx
    actor: str
    sealed_at: datetime


register(
    FinancingPlanSet,
    GrantDecided,
    GrantDecommitted,
    PaymentMade,
    GrantSettled,
    BudgetUsage,
    CeilingRuleSet,
    TransmissionSealed,
)
