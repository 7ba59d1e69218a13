"""Fund sources, categories of region and the co-financing rate that applies.

The ceilings themselves are data (shipped from CPR Art. 112, editable by finance staff,
each with the date it takes effect); this module only says how to pick the one in force.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class FundSource(StrEnum):
    EFRO = "efro"  # the European Regional Development Fund (ERDF)
    JTF = "jtf"  # the Just Transition Fund
    PROVINCE = "province"
    MUNICIPALITY = "municipality"
    NATIONAL = "national"  # national government, e.g. a Regio Deal
    PRIVATE = "private"
    OTHER = "other"


EU_FUNDS = frozenset({FundSource.EFRO, FundSource.JTF})
PUBLIC_SOURCES = EU_FUNDS | {FundSource.PROVINCE, FundSource.MUNICIPALITY, FundSource.NATIONAL}


class RegionCategory(StrEnum):
    LESS_DEVELOPED = "less_developed"
    TRANSITION = "transition"
    TRANSITION_FORMERLY_LESS_DEVELOPED = "transition_formerly_less_developed"
    MORE_DEVELOPED = "more_developed"
    MORE_DEVELOPED_FORMERLY_TRANSITION = "more_developed_formerly_transition"


class RateBasis(StrEnum):
    """Whether the EU rate applies to all eligible cost or to its public part only."""

    TOTAL = "total"
    PUBLIC = "public"


@dataclass(frozen=True)
class Rate:
    """A rate in force: a fraction of the base (0.6 = 60%), and where it comes from."""

    fund: FundSource
    rate: Decimal
    basis: RateBasis
    effective_from: date
    origin: str  # "ceiling" (CPR Art. 112 for the region category) or "priority <code>"

    def describe(self) -> str:
        return f"{self.rate * 100:.2f}% of {self.basis.value} eligible cost ({self.origin})"


@dataclass(frozen=True)
class CeilingRule:
    fund: FundSource
    region_category: RegionCategory
    rate: Decimal
    basis: RateBasis
    effective_from: date


@dataclass(frozen=True)
class PriorityRate:
    """The rate a programme had approved for one priority (a programme line); ≤ the ceiling."""

    goal_id: uuid.UUID
    goal_code: str
    fund: FundSource
    rate: Decimal
    basis: RateBasis
    effective_from: date


def ceiling_in_force(
    rules: Iterable[CeilingRule], fund: FundSource, category: RegionCategory, on: date
) -> Rate | None:
    """The latest rule for the fund and category that took effect on or before `on`."""
    candidates = [
        r
        for r in rules
        if r.fund == fund and r.region_category == category and r.effective_from <= on
    ]
    if not candidates:
        return None
    rule = max(candidates, key=lambda r: r.effective_from)
    return Rate(fund, rule.rate, rule.basis, rule.effective_from, f"ceiling, {category.value}")


def applicable_rate(
    ceiling: Rate | None,
    priority_rates: Iterable[PriorityRate],
    fund: FundSource,
    priorities: Iterable[uuid.UUID],
    on: date,
) -> Rate | None:
    """The approved priority rate if the programme set one, else the ceiling.

    A project under several priorities takes the strictest of their rates: its EU
    money must be allowed under every priority it is booked on.
    """
    wanted = set(priorities)
    in_force: dict[uuid.UUID, PriorityRate] = {}
    for r in priority_rates:
        if r.fund != fund or r.goal_id not in wanted or r.effective_from > on:
            continue
        if r.goal_id not in in_force or r.effective_from > in_force[r.goal_id].effective_from:
            in_force[r.goal_id] = r
    rates = [
        Rate(fund, r.rate, r.basis, r.effective_from, f"priority {r.goal_code}")
        for r in in_force.values()
    ]
    if ceiling is not None:
        rates.append(ceiling)
    return min(rates, key=lambda r: r.rate) if rates else None
