from datetime import date
from decimal import Decimal

import pytest

from services.kpi.domain.indicators import (
    Indicator,
    IndicatorKind,
    Level,
    ReportedValue,
)
from services.kpi.domain.kinds import value_problems
from services.kpi.domain.periods import Frequency, Period, PeriodError, quarters


def test_periods_read_and_print_quarters_and_years() -> None:
    q = Period.parse("2024-Q3")
    assert (q.year, q.quarter, q.frequency, str(q)) == (2024, 3, Frequency.QUARTERLY, "2024-Q3")
    assert (q.start, q.end) == (date(2024, 7, 1), date(2024, 9, 30))
    y = Period.parse("2024")
    assert (y.frequency, y.start, y.end) == (Frequency.YEARLY, date(2024, 1, 1), date(2024, 12, 31))
    assert Period.parse("2024-Q1").end == date(2024, 3, 31)


@pytest.mark.parametrize("text", ["2024-Q5", "24-Q1", "2024Q1", "2024-q1x", "", "Q1-2024"])
def test_malformed_periods_are_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(PeriodError, match="2024-Q1"):
        Period.parse(text)


@pytest.mark.parametrize("text", ["0000-Q1", "0000", "1899-Q4", "2200", "9999-Q4", "٢٠٢٤-Q1"])
def test_years_without_calendar_dates_or_far_away_are_refused_not_crashed(text: str) -> None:
    # 0000-Q1 used to pass the parser and fail on date(0, 1, 1): a 500 for the partner.
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_quarters_span_years_and_a_year_sorts_after_its_last_quarter() -> None:
    assert [str(p) for p in quarters(Period(2023, 3), Period(2024, 2))] == [
        "2023-Q3",
        "2023-Q4",
        "2024-Q1",
        "2024-Q2",
    ]
    assert Period(2024, 4) < Period(2024) < Period(2025, 1)


COUNT = Indicator(
    "MEET", "Meetings organised", "Bijeenkomsten", "meetings", Level.OUTPUT, IndicatorKind.FLOW
)
FTE = Indicator(
    "FTE",
    "Employment growth",
    None,
    "FTE",
    Level.OUTCOME,
    IndicatorKind.STOCK,
    decimals_allowed=True,
)
SHARE = Indicator("PLACED", "Placed in a job", None, "persons", Level.OUTCOME, IndicatorKind.RATIO)
STORY = Indicator(
    "LOOK", "Look back and ahead", None, "text", Level.ACTIVITY, IndicatorKind.QUALITATIVE
)


def _locs(indicator: Indicator, reported: ReportedValue) -> list[tuple[str | int, ...]]:
    return [p.loc for p in value_problems(indicator, reported)]


def test_counts_refuse_negatives_and_decimals_but_accept_zero() -> None:
    assert _locs(COUNT, ReportedValue(value=Decimal(0))) == []
    assert _locs(COUNT, ReportedValue(value=Decimal(-1))) == [("body", "value")]
    assert _locs(COUNT, ReportedValue(value=Decimal("2.5"))) == [("body", "value")]
    assert _locs(FTE, ReportedValue(value=Decimal("26.4"))) == []
    assert _locs(COUNT, ReportedValue()) == [("body", "value")]


def test_ratios_need_a_numerator_and_a_non_zero_denominator() -> None:
    assert _locs(SHARE, ReportedValue(numerator=Decimal(100), denominator=Decimal(130))) == []
    assert _locs(SHARE, ReportedValue(numerator=Decimal(1))) == [("body", "denominator")]
    assert _locs(SHARE, ReportedValue(numerator=Decimal(1), denominator=Decimal(0))) == [
        ("body", "denominator")
    ]
    assert _locs(SHARE, ReportedValue(value=Decimal(1))) == [
        ("body", "value"),
        ("body", "numerator"),
        ("body", "denominator"),
    ]


def test_qualitative_indicators_take_text_only() -> None:
    assert _locs(STORY, ReportedValue(text="IBDO held 39 meetings")) == []
    assert _locs(STORY, ReportedValue()) == [("body", "comment")]
    assert _locs(STORY, ReportedValue(value=Decimal(1), text="x")) == [("body", "value")]


def test_api_keys_are_hashed_with_the_server_secret() -> None:
    from services.kpi.access import hash_key, new_api_key

    key = new_api_key()
    assert hash_key(key, b"one secret") == hash_key(key, b"one secret")
    assert hash_key(key, b"one secret") != hash_key(key, b"another secret")
    assert key not in hash_key(key, b"one secret")
