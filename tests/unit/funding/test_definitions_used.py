"""Which indicator definitions a transmission counted under (ADR 30, 32), without I/O: the
version in force for each period counted, the first and last of them, and the version in
force where the figures run to when no version was counted; and no figure adds up periods
on both sides of a break in series."""

from dataclasses import dataclass
from datetime import date

import pytest

from services.funding.domain.transmissions import (
    definitions_used,
    in_force,
    period_start,
    refuse_totals_across_breaks,
    totals_across_breaks,
)
from shared.errors import ConflictError


@dataclass(frozen=True)
class Definition:
    version: int
    effective_from: date


FIRST = Definition(1, date(1900, 1, 1))
SECOND = Definition(2, date(2026, 7, 1))
THIRD = Definition(3, date(2027, 1, 1))


def test_periods_start_on_their_first_day() -> None:
    assert [period_start(p) for p in ("2026-Q1", "2026-Q3", "2026-Q4", "2026")] == [
        date(2026, 1, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
        date(2026, 1, 1),
    ]


def test_each_period_counts_under_the_definition_in_force_for_it() -> None:
    used = definitions_used(
        [FIRST, SECOND, THIRD], ["2026-Q4", "2026-Q1", "2026-Q2", "2026-Q3"], date(2027, 1, 31)
    )
    assert used == [(FIRST, "2026-Q1", "2026-Q2"), (SECOND, "2026-Q3", "2026-Q4")]


def test_without_a_counted_period_the_one_in_force_where_the_figures_run_to() -> None:
    assert definitions_used([FIRST, SECOND], [], date(2026, 6, 30)) == [(FIRST, None, None)]
    assert definitions_used([FIRST, SECOND], [], date(2026, 9, 30)) == [(SECOND, None, None)]


def test_nothing_announced_names_nothing() -> None:
    assert definitions_used([], ["2026-Q1"], date(2026, 6, 30)) == []
    assert in_force([], date(2026, 1, 1)) is None


@dataclass(frozen=True)
class Line:
    indicator_code: str
    change: str | None
    unit: str | None
    effective_from: date | None
    first_period: str | None
    last_period: str | None


def test_a_break_with_periods_counted_on_both_sides_is_refused_naming_them() -> None:
    lines = [
        Line("RCO01", "first", "enterprises", date(1900, 1, 1), "2026-Q1", "2026-Q1"),
        Line("RCO01", "edit", "enterprises", date(2026, 4, 1), "2026-Q2", "2026-Q3"),
        Line("RCO01", "break", "enterprises", date(2026, 10, 1), "2026-Q4", "2027-Q1"),
    ]
    with pytest.raises(ConflictError) as refused:
        refuse_totals_across_breaks(lines)
    assert str(refused.value) == (
        "RCO01's definition has a break in series on 2026-10-01: the report would add up "
        "2026-Q1..2026-Q3, counted under the definition before it, and 2026-Q4..2027-Q1, "
        "counted under the new one; no total is given across a break"
    )
    assert refused.value.detail == {
        "indicator": "RCO01",
        "change": "break",
        "effective_from": "2026-10-01",
    }


def test_a_unit_changed_with_periods_counted_on_both_sides_is_refused_too() -> None:
    """The EU report adds values as reported: km and m would be added up unconverted."""
    lines = [
        Line("ROAD", "first", "km", date(1900, 1, 1), "2026-Q1", "2026-Q2"),
        Line("ROAD", "conversion", "m", date(2026, 7, 1), "2026-Q3", "2026-Q3"),
    ]
    with pytest.raises(ConflictError) as refused:
        refuse_totals_across_breaks(lines)
    assert str(refused.value).startswith(
        "ROAD's definition has its unit changed from km to m on 2026-07-01"
    )
    assert str(refused.value).endswith("no total is given across units")


def test_one_side_counted_or_another_indicator_is_no_total_across_a_change() -> None:
    refuse_totals_across_breaks(
        [
            Line("RCO01", "first", "enterprises", date(1900, 1, 1), None, None),
            Line("RCO01", "break", "enterprises", date(2026, 10, 1), "2026-Q4", "2027-Q1"),
            Line("RCO02", "first", "enterprises", date(1900, 1, 1), "2026-Q1", "2026-Q3"),
            Line("RCO03", "break", "enterprises", date(2026, 10, 1), "2026-Q4", "2026-Q4"),
            Line("RCO04", "first", "km", date(1900, 1, 1), "2026-Q1", "2026-Q3"),
            Line("RCO04", "edit", "km", date(2026, 10, 1), "2026-Q4", "2026-Q4"),
            Line("RCO05", "first", "km", date(1900, 1, 1), None, None),
            Line("RCO05", "conversion", "m", date(2026, 10, 1), "2026-Q4", "2026-Q4"),
        ]
    )


def test_every_indicator_across_a_change_is_named_once_for_a_report_preview() -> None:
    """The preview gives no value for each of them (the transmission refuses the first)."""
    found = totals_across_breaks(
        [
            Line("RCO01", "first", "enterprises", date(1900, 1, 1), "2026-Q3", "2026-Q3"),
            Line("RCO01", "break", "enterprises", date(2026, 10, 1), "2026-Q4", "2026-Q4"),
            Line("RCO01", "break", "enterprises", date(2027, 1, 1), "2027-Q1", "2027-Q1"),
            Line("RCO02", "first", "enterprises", date(1900, 1, 1), "2026-Q1", "2026-Q3"),
            Line("ROAD", "first", "km", date(1900, 1, 1), "2026-Q1", "2026-Q2"),
            Line("ROAD", "conversion", "m", date(2026, 7, 1), "2026-Q3", "2026-Q3"),
        ]
    )
    assert [(f.indicator_code, f.change, f.effective_from) for f in found] == [
        ("RCO01", "break", date(2026, 10, 1)),
        ("ROAD", "conversion", date(2026, 7, 1)),
    ]
    assert found[1].note == (
        "ROAD's definition has its unit changed from km to m on 2026-07-01: the report "
        "would add up 2026-Q1..2026-Q2, counted under the definition before it, and "
        "2026-Q3..2026-Q3, counted under the new one; no total is given across units"
    )
