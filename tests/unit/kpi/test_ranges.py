"""One rule for a total over a range, whichever way the range is written (ADR 8)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.kpi.domain.kinds import KINDS, Kind, kind_of
from services.kpi.domain.periods import Period
from services.kpi.domain.ranges import Span
from services.kpi.domain.series import Measure
from tests.indicator_kinds import REPORTS, measure_of, node

STOCK, FLOW = kind_of("stock"), kind_of("flow")


def m(value: int) -> Measure:
    return Measure(value=Decimal(value))


def span(first: str | None, last: str | None) -> Span:
    return Span.of(Period.parse(first) if first else None, Period.parse(last) if last else None)


def test_an_ended_project_keeps_its_last_stock_value_whatever_the_range() -> None:
    """The issue's example: A ended in 2020 with 10, B reports 5 in 2021-Q1."""
    rows = node(STOCK, {Period(2020, 4): m(10)}, {Period(2021, 1): m(5)})
    for first, last in [(None, None), ("2019-Q1", "2022-Q4"), ("2021", "2021"), ("2021-Q1", None)]:
        assert STOCK.total(rows, span(first, last)) == (m(15), 2), (first, last)
    assert STOCK.total(rows, span("2020", "2020")) == (m(10), 1)
    assert STOCK.total(rows, span(None, "2019-Q4")) is None


def test_a_stock_is_its_latest_value_at_the_end_of_each_quarter_and_year() -> None:
    rows = node(STOCK, {Period(2019, 1): m(40), Period(2019, 3): m(65)})
    assert [
        (str(p), int(v.value)) for p, v, _ in STOCK.by_quarter(rows, span("2019", "2020-Q1"))
    ] == [
        ("2019-Q1", 40),
        ("2019-Q2", 40),
        ("2019-Q3", 65),
        ("2019-Q4", 65),
        ("2020-Q1", 65),
    ]
    assert {y: v.value for y, v in STOCK.by_year(rows).items()} == {2019: 65}


def test_a_yearly_flow_value_counts_only_when_the_whole_year_is_in_the_range() -> None:
    rows = node(FLOW, {Period(2021): m(100)}, {Period(2021, 1): m(7), Period(2021, 3): m(3)})
    assert FLOW.total(rows, span("2021-Q1", "2021-Q4")) == (m(110), 2)
    assert FLOW.total(rows, span("2021", "2021")) == (m(110), 2)
    assert FLOW.total(rows, span("2021-Q1", "2021-Q2")) == (m(7), 1)
    assert FLOW.total(rows, span("2020-Q4", "2021-Q3")) == (m(10), None)


@st.composite
def kind_and_projects(draw: st.DrawFn) -> tuple[Kind, list[dict[Period, Measure]]]:
    """A kind of the registry and its projects' cells, reported as its row says."""
    name = draw(st.sampled_from(sorted(KINDS)))
    report = st.builds(REPORTS[name], st.integers(0, 1000), st.integers(1, 1000))
    cells = st.dictionaries(
        st.builds(Period, st.integers(2018, 2022), st.one_of(st.none(), st.integers(1, 4))),
        report.map(measure_of),
        max_size=8,
    )
    return kind_of(name), draw(st.lists(cells, min_size=1, max_size=4))


@given(kind_and_projects(), st.integers(2018, 2022), st.integers(0, 4))
def test_ranges_that_mean_the_same_quarters_give_the_same_total(
    drawn: tuple[Kind, list[dict[Period, Measure]]], year: int, years: int
) -> None:
    """Year bounds, quarter bounds and (for the whole data) no bounds agree, for every kind."""
    kind, projects = drawn
    rows = node(kind, *projects)
    last = year + years
    by_years = kind.total(rows, span(str(year), str(last)))
    by_quarters = kind.total(rows, span(f"{year}-Q1", f"{last}-Q4"))
    assert by_years == by_quarters
    everything, unbounded = kind.total(rows, span("2018", "2022")), kind.total(rows, Span())
    assert (everything and everything[0]) == (unbounded and unbounded[0])
