"""Versioned definitions: a conversion gives the same rows as values reported in the new
unit from the start; a break cuts a range into parts, one per definition."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.kpi.domain.definitions import (
    BREAK,
    CONVERSION,
    FIRST,
    Change,
    Definition,
    change_problems,
    converted,
    segments,
)
from services.kpi.domain.indicators import IndicatorKind
from services.kpi.domain.periods import Period
from services.kpi.domain.ranges import Span
from services.kpi.domain.series import ALL, Measure

QUARTERS = [Period(y, q) for y in (2020, 2021, 2022) for q in (1, 2, 3, 4)]
FLOW = IndicatorKind.FLOW


def _rows(values: dict[Period, Decimal]) -> dict[str, tuple[Measure, int]]:
    rows: dict[str, tuple[Measure, int]] = {}
    for period, value in values.items():
        for key in (str(period), str(period.year), ALL):
            held = rows.get(key, (Measure(), 1))[0]
            rows[key] = (held + Measure(value), 1)
    return rows


@given(
    st.lists(st.integers(0, 1000), min_size=12, max_size=12),
    st.sampled_from(QUARTERS[1:]),
    st.sampled_from([Decimal(1000), Decimal("0.5"), Decimal(3)]),
)
def test_a_conversion_equals_reporting_in_the_new_unit_from_the_start(
    values: list[int], change: Period, factor: Decimal
) -> None:
    raw = {p: Decimal(v) for p, v in zip(QUARTERS, values, strict=True)}
    in_new_unit = {p: v * factor if p < change else v for p, v in raw.items()}
    history = [
        Definition(1, date(1900, 1, 1), "km", FLOW),
        Definition(2, change.start, "m", FLOW, CONVERSION, factor),
    ]
    got = {k: m.value for k, (m, _) in converted(_rows(raw), history).items()}
    assert got == {k: m.value for k, (m, _) in _rows(in_new_unit).items()}


def test_a_break_cuts_a_range_in_two() -> None:
    history = [
        Definition(1, date(1900, 1, 1), "hours", FLOW),
        Definition(2, date(2021, 4, 1), "days", FLOW, BREAK),
    ]
    parts = segments(history, Span())
    assert [(d.unit, str(s.first), str(s.last)) for d, s in parts] == [
        ("hours", "None", "2021-Q1"),
        ("days", "2021-Q2", "None"),
    ]
    after = Span.of(Period(2021, 2), Period(2021, 4))
    assert [d.unit for d, _ in segments(history, after)] == ["days"]


def test_a_unit_change_on_data_needs_a_conversion_or_a_break() -> None:
    current = Definition(1, date(1900, 1, 1), "km", FLOW, FIRST)
    plain = Change(date(2021, 7, 1), "m", FLOW, None, False)
    assert [p.loc for p in change_problems(current, plain, has_data=True)] == [
        ("body", "conversion_factor")
    ]
    assert change_problems(current, plain, has_data=False) == []
    both = Change(date(2021, 7, 1), "m", FLOW, Decimal(1000), True)
    assert change_problems(current, both, has_data=True)
    mid = Change(date(2021, 8, 1), "m", FLOW, Decimal(1000), False)
    assert [p.loc for p in change_problems(current, mid, has_data=True)] == [
        ("body", "effective_from")
    ]
