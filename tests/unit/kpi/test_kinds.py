"""What the projection and every read rely on of an indicator kind, for every kind of the
registry (one row each in tests/indicator_kinds.py)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kpi.domain.kinds import KINDS, kind_of
from services.kpi.domain.periods import Period
from services.kpi.domain.ranges import Span
from services.kpi.domain.series import ALL, Measure, Series
from shared import kinds as shared
from tests.indicator_kinds import REPORTS, measure_of, node

every_kind = pytest.mark.parametrize("name", sorted(KINDS))

periods = st.builds(Period, st.integers(2018, 2022), st.one_of(st.none(), st.integers(1, 4)))


def cells_of(name: str) -> st.SearchStrategy[dict[Period, Measure]]:
    """One project's cells of one indicator of the kind, reported as the kind's row says."""
    report = st.builds(REPORTS[name], st.integers(0, 1000), st.integers(1, 1000)).map(measure_of)
    return st.dictionaries(periods, report, max_size=8)


def spans() -> st.SearchStrategy[Span]:
    bound = st.one_of(st.none(), periods)
    return st.builds(Span.of, bound, bound).filter(
        lambda s: s.first is None or s.last is None or s.first.start <= s.last.end
    )


def test_every_kind_has_a_row() -> None:
    """A kind without a row in tests/indicator_kinds.py would be tested by nothing."""
    assert set(REPORTS) == set(KINDS)


@every_kind
def test_a_kind_carries_the_facts_other_services_know_of_it(name: str) -> None:
    """Funding and the portal read `shared.kinds`; the KPI service's kind is the same object."""
    assert kind_of(name).facts is shared.FACTS[name]
    assert set(shared.FACTS) == set(KINDS)


@every_kind
def test_an_incremental_kind_moves_exactly_the_keys_its_series_rolls_up_into(name: str) -> None:
    """The projection's fast path adds a cell's difference at `period_keys`: the same keys,
    with the same sums, as the series recomputed in full."""
    kind = kind_of(name)
    if not kind.incremental:
        return

    @given(cells_of(name))
    def check(cells: dict[Period, Measure]) -> None:
        added: Series = {}
        for period, measure in cells.items():
            end, keys = kind.period_keys(str(period))
            assert end == period.end
            for key in keys:
                added[key] = added.get(key, Measure()) + measure
        assert added == kind.series(cells)
        # each key counts the project once, as the fast path's rows do
        assert set(kind.reporting(kind.series(cells)).values()) <= {1}

    check()


@every_kind
def test_a_project_counts_once_at_most_and_once_in_all(name: str) -> None:
    kind = kind_of(name)

    @given(cells_of(name))
    def check(cells: dict[Period, Measure]) -> None:
        counts = kind.counted(kind.series(cells))
        assert all(count in (0, 1) for _, count in counts.values())
        if counts:
            assert counts[ALL][1] == 1

    check()


@every_kind
def test_a_nodes_total_over_any_range_is_the_sum_of_its_projects(name: str) -> None:
    """Node totals are sums of project series (ADR 8): a kind's total must add up over them."""
    kind = kind_of(name)

    @given(st.lists(cells_of(name), min_size=1, max_size=4), spans())
    def check(projects: list[dict[Period, Measure]], span: Span) -> None:
        found = kind.total(node(kind, *projects), span)
        each = [kind.total(node(kind, cells), span) for cells in projects]
        summed = [t[0] for t in each if t is not None]
        if found is None:
            assert summed == [] or all(m.is_zero for m in summed)
        else:
            assert found[0] == sum(summed, Measure())

    check()


@every_kind
def test_a_progress_row_keeps_enough_to_read_the_realised_value_back(name: str) -> None:
    """The fast path rebuilds an unchanged key's total from its progress row's figure."""
    kind = kind_of(name)
    for realised in (Decimal(0), Decimal("12.5"), Decimal(1500)):
        if kind.figure(Measure(realised, realised, Decimal(1))) is not None:
            assert kind.realised({ALL: kind.from_realised(realised)}) == realised


@every_kind
def test_a_totals_public_parts_show_its_figure(name: str) -> None:
    kind = kind_of(name)
    figure = kind.facts.figure
    total = Measure(Decimal(3), Decimal(1), Decimal(4))
    value, _, _, share = kind.public(total)
    shown = {"value": value, "share_percent": share}
    if figure is not None:
        assert shown[figure] == kind.figure(total)
