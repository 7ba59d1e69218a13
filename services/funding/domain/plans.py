"""Financing plans: the rules a plan must meet before it is accepted.

A plan lists a project's costs and who pays them. It must balance; each EU fund may
pay at most its applicable rate of the (total or public) eligible cost, checked to the
cent; JTF money needs a project inside the programme's JTF territory and no other EU
fund beside it. Every problem found is reported, each at its field.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from services.funding.domain.funds import EU_FUNDS, PUBLIC_SOURCES, FundSource, Rate, RateBasis
from shared.errors import FieldProblem

CENT = Decimal("0.01")
SHARE_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class PlanFigures:
    total_costs: Decimal
    eligible_costs: Decimal
    ineligible_costs: Decimal
    contributions: Mapping[FundSource, Decimal]

    @property
    def public_contribution(self) -> Decimal:
        return sum((a for s, a in self.contributions.items() if s in PUBLIC_SOURCES), Decimal(0))

    @property
    def private_contribution(self) -> Decimal:
        return self.contributions.get(FundSource.PRIVATE, Decimal(0))


@dataclass(frozen=True)
class PlanContext:
    """What the checks need besides the plan: rates in force and the project's place."""

    rates: Mapping[FundSource, Rate | None]
    municipality: str | None
    jtf_territory: frozenset[str]


def rate_base(plan: PlanFigures, basis: RateBasis) -> Decimal:
    """Eligible cost, or (public basis) the part of it that public money pays."""
    if basis is RateBasis.TOTAL:
        return plan.eligible_costs
    return min(plan.eligible_costs, plan.public_contribution)


def maximum_eu_contribution(plan: PlanFigures, rate: Rate) -> Decimal:
    """The most the fund may pay, rounded down to the cent (one cent more is too much)."""
    return (rate_base(plan, rate.basis) * rate.rate).quantize(CENT, rounding=ROUND_DOWN)


def plan_problems(plan: PlanFigures, context: PlanContext) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if plan.eligible_costs + plan.ineligible_costs != plan.total_costs:
        problems.append(
            FieldProblem(
                ("eligible_costs",),
                f"eligible ({plan.eligible_costs}) and ineligible ({plan.ineligible_costs}) "
                f"costs must add up to the total costs ({plan.total_costs})",
            )
        )
    funded = sum(plan.contributions.values(), Decimal(0))
    if funded != plan.total_costs:
        problems.append(
            FieldProblem(
                ("contributions",),
                f"the plan does not balance: sources add up to {funded}, "
                f"total costs are {plan.total_costs}",
            )
        )
    for fund in sorted(EU_FUNDS & plan.contributions.keys()):
        problems += _eu_fund_problems(plan, fund, context)
    return problems


def _eu_fund_problems(
    plan: PlanFigures, fund: FundSource, context: PlanContext
) -> list[FieldProblem]:
    loc = ("contributions", fund.value)
    amount = plan.contributions[fund]
    if not amount:
        return []
    rate = context.rates.get(fund)
    if rate is None:
        return [FieldProblem(loc, f"no co-financing rate for {fund.value} is in force")]
    problems = []
    ceiling = maximum_eu_contribution(plan, rate)
    if amount > ceiling:
        problems.append(
            FieldProblem(
                loc,
                f"{fund.value} pays {amount}, more than the {ceiling} allowed: {rate.describe()}",
            )
        )
    if fund is FundSource.JTF:
        problems += _jtf_problems(plan, context)
    return problems


def _jtf_problems(plan: PlanFigures, context: PlanContext) -> list[FieldProblem]:
    problems = []
    others = sorted(s.value for s in EU_FUNDS - {FundSource.JTF} if plan.contributions.get(s))
    if others:
        problems.append(
            FieldProblem(
                ("contributions", FundSource.JTF.value),
                f"JTF co-financing may not come from another EU fund ({', '.join(others)})",
            )
        )
    territory = {m.casefold() for m in context.jtf_territory}
    where = context.municipality
    if where is None or where.casefold() not in territory:
        places = ", ".join(sorted(context.jtf_territory)) or "none configured"
        problems.append(
            FieldProblem(
                ("project_id",),
                f"the project lies in {where or 'no known municipality'}, outside the "
                f"programme's JTF territory ({places})",
            )
        )
    return problems


def goal_shares(
    goal_ids: Sequence[uuid.UUID], given: Mapping[uuid.UUID, Decimal] | None
) -> tuple[dict[uuid.UUID, Decimal], list[FieldProblem]]:
    """How the project's money is split over its goals: as given, or in equal shares.

    Equal shares are rounded to six places; the first goal takes the remainder, so the
    shares always add up to exactly 1.
    """
    if not given:
        if not goal_ids:
            return {}, []
        each = (Decimal(1) / len(goal_ids)).quantize(SHARE_PLACES, rounding=ROUND_DOWN)
        shares = dict.fromkeys(goal_ids, each)
        shares[goal_ids[0]] += Decimal(1) - each * len(goal_ids)
        return shares, []
    problems = [
        FieldProblem(("goal_shares", str(g)), "the project does not contribute to this goal")
        for g in given
        if g not in set(goal_ids)
    ]
    total = sum(given.values(), Decimal(0))
    if total != 1:
        problems.append(FieldProblem(("goal_shares",), f"shares add up to {total}, not 1"))
    return dict(given), problems


def commitment_problems(
    plan: PlanFigures, committed: Mapping[FundSource, Decimal]
) -> list[FieldProblem]:
    """A plan never foresees less from a fund than its grant decisions already commit: the
    grants are amended down first (a de-commitment), then the plan."""
    return [
        FieldProblem(
            ("contributions", fund.value),
            f"{fund.value} would foresee {plan.contributions.get(fund, Decimal(0))}, less than the "
            f"{amount} its grant decisions commit; de-commit the grant first",
        )
        for fund, amount in sorted(committed.items())
        if amount > plan.contributions.get(fund, Decimal(0))
    ]
