"""The co-financing rules, each ceiling at its edge, and the ledger's invariants."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funding.domain.eu_report import is_cutoff, latest_cutoff
from services.funding.domain.funds import (
    CeilingRule,
    FundSource,
    PriorityRate,
    RateBasis,
    RegionCategory,
    applicable_rate,
    ceiling_in_force,
)
from services.funding.domain.ledger import (
    Ledger,
    PaymentKind,
    payment_problems,
    settlement,
    settlement_problems,
)
from services.funding.domain.plans import PlanContext, PlanFigures, goal_shares, plan_problems
from services.funding.rules_data import shipped_ceilings

E = FundSource
TODAY = date(2026, 11, 29)
RULES = [
    CeilingRule(
        E(r.fund), RegionCategory(r.region_category), r.rate, RateBasis(r.basis), r.effective_from
    )
    for r in shipped_ceilings()
]
CEILINGS = {
    (E.EFRO, RegionCategory.LESS_DEVELOPED): "0.85",
    (E.EFRO, RegionCategory.TRANSITION_FORMERLY_LESS_DEVELOPED): "0.70",
    (E.EFRO, RegionCategory.TRANSITION): "0.60",
    (E.EFRO, RegionCategory.MORE_DEVELOPED_FORMERLY_TRANSITION): "0.50",
    (E.EFRO, RegionCategory.MORE_DEVELOPED): "0.40",
    (E.JTF, RegionCategory.LESS_DEVELOPED): "0.85",
    (E.JTF, RegionCategory.TRANSITION): "0.70",
    (E.JTF, RegionCategory.MORE_DEVELOPED): "0.50",
}


def context(fund: FundSource, category: RegionCategory, where: str = "Emmen") -> PlanContext:
    return PlanContext(
        rates={fund: ceiling_in_force(RULES, fund, category, TODAY)},
        municipality=where,
        jtf_territory=frozenset({"Emmen", "Groningen"}),
    )


def plan(fund: FundSource, eu: str, eligible: str = "100000.00") -> PlanFigures:
    rest = Decimal(eligible) - Decimal(eu)
    return PlanFigures(
        Decimal(eligible), Decimal(eligible), Decimal(0), {fund: Decimal(eu), E.PROVINCE: rest}
    )


@pytest.mark.parametrize(("fund", "category"), CEILINGS)
def test_exactly_at_the_ceiling_passes_and_one_cent_above_fails(
    fund: FundSource, category: RegionCategory
) -> None:
    at = Decimal(CEILINGS[(fund, category)]) * 100000
    assert plan_problems(plan(fund, f"{at:.2f}"), context(fund, category)) == []
    above = plan_problems(plan(fund, f"{at + Decimal('0.01'):.2f}"), context(fund, category))
    assert [p.loc for p in above] == [("contributions", fund.value)]


def rate_on(rules: list[CeilingRule], day: date) -> Decimal | None:
    rate = ceiling_in_force(rules, E.EFRO, RegionCategory.TRANSITION, day)
    return rate.rate if rate else None


def test_a_ceiling_takes_effect_on_its_date_and_a_later_rule_replaces_it() -> None:
    lowered = CeilingRule(
        E.EFRO, RegionCategory.TRANSITION, Decimal("0.55"), RateBasis.TOTAL, date(2027, 1, 1)
    )
    rules = [*RULES, lowered]
    assert rate_on(rules, date(2026, 12, 31)) == Decimal("0.60")
    assert rate_on(rules, date(2027, 1, 1)) == Decimal("0.55")
    assert ceiling_in_force(rules, E.EFRO, RegionCategory.TRANSITION, date(2020, 12, 31)) is None


def test_on_a_public_basis_the_rate_applies_to_the_publicly_paid_part_only() -> None:
    public_basis = CeilingRule(
        E.EFRO, RegionCategory.TRANSITION, Decimal("0.6"), RateBasis.PUBLIC, date(2021, 1, 1)
    )
    ctx = PlanContext(
        {E.EFRO: ceiling_in_force([public_basis], E.EFRO, RegionCategory.TRANSITION, TODAY)},
        None,
        frozenset(),
    )
    money = {E.EFRO: Decimal("48000"), E.PROVINCE: Decimal("32000"), E.PRIVATE: Decimal("20000")}
    figures = PlanFigures(Decimal(100000), Decimal(100000), Decimal(0), money)
    assert plan_problems(figures, ctx) == []  # 60% of the 80,000 public
    money[E.EFRO], money[E.PROVINCE] = Decimal("48000.01"), Decimal("31999.99")
    assert [p.loc for p in plan_problems(figures, ctx)] == [("contributions", "efro")]


def test_the_strictest_priority_rate_applies_and_the_ceiling_otherwise() -> None:
    line_a, line_b = uuid.uuid4(), uuid.uuid4()
    ceiling = ceiling_in_force(RULES, E.EFRO, RegionCategory.TRANSITION, TODAY)
    rates = [
        PriorityRate(line_a, "A", E.EFRO, Decimal("0.5"), RateBasis.TOTAL, date(2021, 1, 1)),
        PriorityRate(line_b, "B", E.EFRO, Decimal("0.4"), RateBasis.TOTAL, date(2030, 1, 1)),
    ]
    assert applicable_rate(ceiling, rates, E.EFRO, [line_a, line_b], TODAY).origin == "priority A"  # type: ignore[union-attr]
    assert applicable_rate(ceiling, rates, E.EFRO, [uuid.uuid4()], TODAY) == ceiling


def test_jtf_outside_the_territory_or_beside_efro_is_refused() -> None:
    ctx = PlanContext(
        {
            E.JTF: ceiling_in_force(RULES, E.JTF, RegionCategory.TRANSITION, TODAY),
            E.EFRO: ceiling_in_force(RULES, E.EFRO, RegionCategory.TRANSITION, TODAY),
        },
        "Assen",
        frozenset({"Emmen"}),
    )
    money = {E.JTF: Decimal(50), E.EFRO: Decimal(10), E.PRIVATE: Decimal(40)}
    found = {
        p.loc: p.msg
        for p in plan_problems(PlanFigures(Decimal(100), Decimal(100), Decimal(0), money), ctx)
    }
    assert set(found) == {("contributions", "jtf"), ("project_id",)}
    assert "Assen" in found[("project_id",)]


def test_equal_goal_shares_add_up_to_exactly_one() -> None:
    goals = [uuid.uuid4() for _ in range(3)]
    shares, problems = goal_shares(goals, None)
    assert problems == [] and sum(shares.values()) == 1
    _, wrong = goal_shares(goals, {goals[0]: Decimal("0.5"), uuid.uuid4(): Decimal("0.4")})
    assert len(wrong) == 2  # a goal the project is not on, and shares adding up to 0.9


def test_indicator_cutoffs_are_31_january_and_31_july() -> None:
    assert is_cutoff(date(2026, 1, 31)) and is_cutoff(date(2026, 7, 31))
    assert not is_cutoff(date(2026, 10, 31))
    assert latest_cutoff(date(2026, 1, 30)) == date(2025, 7, 31)
    assert latest_cutoff(date(2026, 11, 29)) == date(2026, 7, 31)


cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
kinds = st.sampled_from([PaymentKind.ADVANCE, PaymentKind.INTERIM, PaymentKind.RECOVERY])


@given(committed=cents, payments=st.lists(st.tuples(kinds, cents), max_size=30), settled=cents)
def test_accepted_payments_never_exceed_the_commitment(
    committed: Decimal, payments: list[tuple[PaymentKind, Decimal]], settled: Decimal
) -> None:
    ledger = Ledger(committed, Decimal(0))
    for kind, amount in payments:
        if not payment_problems(ledger, kind, amount):
            ledger = ledger.after(kind, amount)
        assert Decimal(0) <= ledger.paid <= ledger.committed
    if settlement_problems(ledger, settled):
        assert settled > ledger.committed
        return
    final = Ledger(settled, ledger.paid, settled=True)
    caused = settlement(final, settled)
    if caused:
        final = final.after(*caused)
    assert final.paid == final.committed == settled


@given(
    eligible=st.integers(min_value=1, max_value=10_000_000),
    ineligible=st.integers(min_value=0, max_value=1_000_000),
    parts=st.lists(st.integers(min_value=0, max_value=5_000_000), min_size=1, max_size=4),
)
def test_an_accepted_plan_always_balances(eligible: int, ineligible: int, parts: list[int]) -> None:
    sources = [E.PROVINCE, E.MUNICIPALITY, E.NATIONAL, E.PRIVATE]
    money = {s: Decimal(a) for s, a in zip(sources, parts, strict=False)}
    total = Decimal(eligible + ineligible)
    figures = PlanFigures(total, Decimal(eligible), Decimal(ineligible), money)
    if not plan_problems(figures, PlanContext({}, None, frozenset())):
        assert sum(money.values()) == figures.total_costs
        assert figures.eligible_costs + figures.ineligible_costs == figures.total_costs
