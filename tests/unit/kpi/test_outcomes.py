"""The contribution of outputs to outcomes: periods aligned, units checked, missing data
shown as missing and never as zero."""

from datetime import date
from decimal import Decimal

from services.kpi.domain.outcomes import (
    LinkKind,
    OutcomeKind,
    Revision,
    contribution,
    current_values,
    definition_problems,
    link_problems,
    measurement_problems,
)

D = Decimal


def test_a_flow_outcome_is_set_against_the_outputs_of_its_own_year() -> None:
    # Health Hub Roden: 26.4 FTE created against the almost 5,000 jobs added in 2019.
    found = contribution(OutcomeKind.FLOW, {2019: D(5000)}, {2019: D("26.4")}, "flow", None)
    assert (found.first_year, found.last_year) == (2019, 2019)
    assert found.share == D("0.005280") and found.missing == []


def test_a_level_outcome_changes_after_its_first_year() -> None:
    measured = {2016: D("6.1"), 2019: D("3.2")}
    outputs = {2016: D(50), 2017: D(10), 2018: D(20), 2019: D(30)}
    found = contribution(OutcomeKind.LEVEL, measured, outputs, "flow", None)
    assert found.outcome_change == D("-2.9")
    assert found.outputs == D(60)  # 2017-2019: the 2016 outputs came before the change
    assert found.share is not None and found.share < 0


def test_a_year_without_output_is_missing_not_zero() -> None:
    found = contribution(
        OutcomeKind.LEVEL, {2016: D(10), 2019: D(12)}, {2017: D(1), 2019: D(2)}, "flow", None
    )
    assert found.outputs is None and found.share is None
    assert found.missing == ["no output reported for 2018"]


def test_an_unmeasured_year_is_missing_and_gives_no_share() -> None:
    found = contribution(OutcomeKind.FLOW, {2018: D(100)}, {2019: D(5)}, "flow", (2019, 2019))
    assert found.outcome_change is None and found.share is None
    assert found.missing == ["no measurement of the outcome for 2019"]
    nothing = contribution(OutcomeKind.FLOW, {}, {2019: D(5)}, "flow", None)
    assert nothing.missing == ["no measurement of the outcome"]


def test_a_stock_output_counts_its_growth_from_a_zero_baseline() -> None:
    found = contribution(
        OutcomeKind.LEVEL, {2016: D(100), 2019: D(140)}, {2017: D(5), 2019: D(25)}, "stock", None
    )
    assert found.outputs == D(25) and found.share == D("0.625000")


def test_no_change_means_no_share() -> None:
    found = contribution(
        OutcomeKind.LEVEL,
        {2016: D(5), 2019: D(5)},
        {2017: D(1), 2018: D(1), 2019: D(1)},
        "flow",
        None,
    )
    assert found.share is None and found.missing == ["the outcome did not change: no share"]


def test_a_later_publication_revises_a_period() -> None:
    values = current_values(
        [
            Revision(2019, D(4800), date(2020, 3, 1), 1),
            Revision(2019, D(5000), date(2020, 9, 1), 2),
            Revision(2018, D(4000), date(2019, 3, 1), 1),
        ]
    )
    assert values == {2019: D(5000), 2018: D(4000)}


def test_bad_definitions_measurements_and_links_are_refused_with_their_field() -> None:
    assert [p.loc for p in definition_problems(date(2019, 1, 1), date(2018, 1, 1))] == [
        ("body", "target_date")
    ]
    future = measurement_problems(2026, date(2027, 1, 1), date(2026, 11, 29))
    assert [p.loc for p in future] == [("body", "period"), ("body", "published_on")]
    assert link_problems(LinkKind.QUANTITATIVE, "persons", "%", "flow")[0].loc == ("body", "kind")
    assert link_problems(LinkKind.QUALITATIVE, "persons", "%", "flow") == []
    assert link_problems(LinkKind.QUANTITATIVE, "FTE", "fte", "flow") == []
