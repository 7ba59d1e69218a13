from datetime import date
from decimal import Decimal

from services.kpi.domain.indicators import Direction
from services.kpi.domain.kinds import kind_of
from services.kpi.domain.periods import Period
from services.kpi.domain.progress import (
    Status,
    Target,
    Tolerances,
    expected_value,
    progress,
    status_of,
)
from services.kpi.domain.series import (
    ALL,
    Change,
    Measure,
    series_changes,
    sum_series,
)

D = Decimal
FLOW, STOCK, RATIO = kind_of("flow"), kind_of("stock"), kind_of("ratio")


def m(value: int | str) -> Measure:
    return Measure(value=D(value))


def test_flows_sum_over_quarters_years_and_the_whole_run() -> None:
    cells = {Period(2019, 1): m(10), Period(2019, 2): m(5), Period(2020, 1): m(24)}
    series = FLOW.series(cells)
    assert series["2019-Q2"] == m(5)
    assert series["2019"] == m(15)
    assert series[ALL] == m(39)


def test_a_stock_series_holds_its_changes_and_all_holds_the_latest_value() -> None:
    cells = {Period(2019, 1): m(40), Period(2019, 3): m(65)}
    series = STOCK.series(cells)
    assert series == {"2019-Q1": m(40), "2019-Q3": m(25), ALL: m(65)}
    assert STOCK.counted(series) == {
        "2019-Q1": (m(40), 1),
        "2019-Q3": (m(25), 0),
        ALL: (m(65), 1),
    }


def test_correcting_an_earlier_stock_quarter_does_not_overwrite_later_quarters() -> None:
    kind = STOCK
    before = kind.series({Period(2019, 1): m(40), Period(2019, 3): m(65)})
    after = kind.series({Period(2019, 1): m(45), Period(2019, 3): m(65)})
    changes = series_changes(kind.counted(before), kind.counted(after))
    # Q1 rises by 5, the change at Q3 falls by 5: from Q3 on the value is 65 as before
    assert changes == {"2019-Q1": Change(m(5), 0), "2019-Q3": Change(m(-5), 0)}


def test_ratios_sum_numerators_and_denominators_never_percentages() -> None:
    cells = {
        Period(2019, 1): Measure(numerator=D(1), denominator=D(2)),
        Period(2019, 2): Measure(numerator=D(99), denominator=D(198)),
    }
    series = RATIO.series(cells)
    assert series[ALL].share_percent == D(50)
    two_projects = sum_series(
        [
            series,
            RATIO.series({Period(2019, 1): Measure(numerator=D(0), denominator=D(100))}),
        ]
    )
    assert two_projects[ALL] == Measure(numerator=D(100), denominator=D(300))


def test_zero_and_not_reported_differ_in_the_count_of_reporting_projects() -> None:
    series = FLOW.series({Period(2020, 1): m(0)})
    assert series_changes({}, FLOW.counted(series))["2020-Q1"] == Change(m(0), 1)
    assert series_changes({}, {}) == {}


IBDO_REACHED = Target(
    target_value=D(1500), target_date=date(2019, 12, 31), baseline_value=D(0), baseline_year=2015
)


def test_ibdo_reached_more_entrepreneurs_than_targeted_and_is_on_track() -> None:
    result = progress(
        FLOW,
        {ALL: m(1705)},
        IBDO_REACHED,
        date(2019, 12, 31),
        date(2016, 1, 1),
        Tolerances(),
    )
    assert result.status is Status.ON_TRACK
    assert result.percent_of_target is not None and round(result.percent_of_target, 1) == D("113.7")


def test_expected_value_follows_a_straight_line_from_baseline_to_target() -> None:
    target = Target(
        target_value=D(20), target_date=date(2024, 12, 31), baseline_value=D(0), baseline_year=2019
    )
    assert expected_value(target, date(2019, 12, 31), date(2020, 1, 1)) == 0
    assert round(expected_value(target, date(2022, 7, 2), date(2020, 1, 1))) == 10
    assert expected_value(target, date(2030, 1, 1), date(2020, 1, 1)) == 20


def test_status_uses_the_tolerances_on_the_shortfall() -> None:
    t = Tolerances(on_track=D("0.15"), at_risk=D("0.30"))
    higher = Direction.HIGHER_IS_BETTER
    assert status_of(D(86), D(100), higher, t) is Status.ON_TRACK
    assert status_of(D(80), D(100), higher, t) is Status.AT_RISK
    assert status_of(D(69), D(100), higher, t) is Status.OFF_TRACK
    assert status_of(D(300), D(100), higher, t) is Status.ON_TRACK


def test_lower_is_better_indicators_are_judged_the_other_way_round() -> None:
    unemployment = Target(
        target_value=D("3.0"),
        target_date=date(2019, 12, 31),
        baseline_value=D("6.1"),
        baseline_year=2016,
        direction=Direction.LOWER_IS_BETTER,
    )
    result = progress(
        STOCK,
        {ALL: m("3.2")},
        unemployment,
        date(2019, 12, 31),
        date(2017, 1, 1),
        Tolerances(),
    )
    assert result.status is Status.ON_TRACK
    assert result.percent_of_target is not None and round(result.percent_of_target) == 94
    worse = progress(
        STOCK,
        {ALL: m("6.0")},
        unemployment,
        date(2019, 12, 31),
        date(2017, 1, 1),
        Tolerances(),
    )
    assert worse.status is Status.OFF_TRACK
