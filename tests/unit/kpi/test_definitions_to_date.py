"""A project's figures to date under changed definitions (ADR 32): which break in series its
reported periods straddle, and what a value or a target is multiplied by to be in the
current unit."""

from datetime import UTC, date, datetime
from decimal import Decimal

from services.kpi.domain.definitions import (
    BREAK,
    CONVERSION,
    Definition,
    break_across,
    factor_for,
    factor_since,
)
from services.kpi.domain.indicators import IndicatorKind
from services.kpi.domain.periods import Period

FLOW = IndicatorKind.FLOW
KM = Definition(1, date(2000, 1, 1), "km", FLOW)
TO_M = Definition(
    2, date(2021, 7, 1), "m", FLOW, CONVERSION, Decimal(1000), datetime(2021, 8, 1, tzinfo=UTC)
)
TO_DAYS = Definition(2, date(2021, 4, 1), "days", FLOW, BREAK)


def quarters(*texts: str) -> list[Period]:
    return [Period.parse(t) for t in texts]


def test_a_break_counts_only_when_reported_periods_lie_on_both_sides() -> None:
    history = [KM, TO_DAYS]
    assert break_across(history, quarters("2021-Q1", "2021-Q2")) == TO_DAYS
    assert break_across(history, quarters("2021-Q2", "2021-Q3")) is None
    assert break_across(history, quarters("2020-Q4", "2021-Q1")) is None
    assert break_across([KM, TO_M], quarters("2021-Q1", "2021-Q3")) is None  # a conversion


def test_values_before_a_conversion_are_multiplied_by_its_factor() -> None:
    history = [KM, TO_M]
    assert factor_for(history, Period.parse("2021-Q2")) == 1000
    assert factor_for(history, Period.parse("2021-Q3")) == 1


def test_a_target_counts_in_the_unit_in_force_when_it_was_declared() -> None:
    history = [KM, TO_M]
    assert factor_since(history, datetime(2021, 7, 31, tzinfo=UTC)) == 1000  # in km
    assert factor_since(history, datetime(2021, 8, 2, tzinfo=UTC)) == 1  # in m already
