"""Which indicator definitions a transmission counted under (ADR 30, 32), without I/O: the
version in force for each period counted, the first and last of them, and the version in
force where the figures run to when no version was counted."""

from dataclasses import dataclass
from datetime import date

from services.funding.domain.transmissions import definitions_used, in_force, period_start


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
